"""Configuration from the environment (and an optional `.env`), defaulting to the sandbox.

Every channel reads ``ICHIGEN_<CHANNEL>_URL`` and its credentials from
``ICHIGEN_<CHANNEL>_...`` variables. The defaults point at the sandbox simulators on
127.0.0.1 with the sandbox's own credentials, so a fresh checkout runs end to end; pointing a
channel at a real store is a matter of setting its variables (see the README's table).
`ENV_VARS` is that table's source: a test keeps the README and this module in step.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from urllib.parse import urlsplit

from dotenv import load_dotenv

from ichigen.paths import DataPaths

__all__ = [
    "ENV_VARS",
    "SANDBOX_PORTS",
    "AmazonSettings",
    "EnvVar",
    "RakutenSettings",
    "Settings",
    "ShopifySettings",
    "SupplierSettings",
    "load_settings",
]

SANDBOX_HOST: Final = "127.0.0.1"
# Fixed ports so that the default URLs below reach `oms sandbox serve` without configuration.
SANDBOX_PORTS: Final = {"shopify": 8701, "amazon": 8702, "rakuten": 8703, "supplier": 8704}


def _sandbox_url(channel: str) -> str:
    return f"http://{SANDBOX_HOST}:{SANDBOX_PORTS[channel]}"


@dataclass(frozen=True)
class EnvVar:
    name: str
    default: str | None  # None: derived from other settings (documented in `doc`)
    doc: str
    secret: bool = False


ENV_VARS: Final = (
    EnvVar("ICHIGEN_DATA_DIR", "./data", "Everything generated, landed and built."),
    EnvVar(
        "ICHIGEN_SHOPIFY_URL",
        _sandbox_url("shopify"),
        "Shop base URL, e.g. https://your-shop.myshopify.com.",
    ),
    EnvVar("ICHIGEN_SHOPIFY_ACCESS_TOKEN", "shpat_sandbox", "Admin API access token.", True),
    EnvVar("ICHIGEN_SHOPIFY_API_VERSION", "2024-10", "Admin REST API version."),
    EnvVar(
        "ICHIGEN_AMAZON_URL",
        _sandbox_url("amazon"),
        "SP-API endpoint, e.g. https://sellingpartnerapi-fe.amazon.com.",
    ),
    EnvVar(
        "ICHIGEN_AMAZON_LWA_URL",
        None,
        "LWA token URL; default `<ICHIGEN_AMAZON_URL>/auth/o2/token` "
        "(real: https://api.amazon.com/auth/o2/token).",
    ),
    EnvVar("ICHIGEN_AMAZON_CLIENT_ID", "amzn1.application-oa2-client.sandbox", "LWA client id."),
    EnvVar("ICHIGEN_AMAZON_CLIENT_SECRET", "sandbox-client-secret", "LWA client secret.", True),
    EnvVar(
        "ICHIGEN_AMAZON_REFRESH_TOKEN", "Atzr|sandbox-refresh-token", "LWA refresh token.", True
    ),
    EnvVar("ICHIGEN_AMAZON_MARKETPLACE_ID", "A1VC38T7YXB528", "Marketplace (Amazon.co.jp)."),
    EnvVar("ICHIGEN_AMAZON_SELLER_ID", "A2SANDBOXSELLER", "Seller (merchant) id for listings."),
    EnvVar(
        "ICHIGEN_RAKUTEN_URL",
        _sandbox_url("rakuten"),
        "RMS API base URL, e.g. https://api.rms.rakuten.co.jp.",
    ),
    EnvVar("ICHIGEN_RAKUTEN_SERVICE_SECRET", "SP000000_sandbox", "RMS serviceSecret.", True),
    EnvVar("ICHIGEN_RAKUTEN_LICENSE_KEY", "SL000000_sandbox", "RMS licenseKey.", True),
    EnvVar("ICHIGEN_SUPPLIER_URL", _sandbox_url("supplier"), "Supplier purchase-order API."),
    EnvVar("ICHIGEN_SUPPLIER_API_KEY", "sup_sandbox", "Supplier API key.", True),
    EnvVar(
        "ICHIGEN_POS_DROP_DIR",
        None,
        "Folder of POS CSV exports; default `<ICHIGEN_DATA_DIR>/sandbox/drops/pos`.",
    ),
    EnvVar(
        "ICHIGEN_POS_MEMBERS_DROP_DIR",
        None,
        "Folder of the POS member master exports (会員マスタ); default "
        "`<ICHIGEN_DATA_DIR>/sandbox/drops/pos_members`.",
    ),
    EnvVar(
        "ICHIGEN_WHOLESALE_DROP_DIR",
        None,
        "Folder of wholesale order sheets; default `<ICHIGEN_DATA_DIR>/sandbox/drops/wholesale`.",
    ),
    EnvVar(
        "ICHIGEN_WHOLESALE_MAPPINGS_DIR",
        None,
        "Folder of the buyers' column mappings (YAML/TOML); default: the examples shipped in "
        "`ingestion/files/mappings`, one per sandbox buyer layout.",
    ),
    EnvVar("ICHIGEN_DAGSTER_PORT", "3000", "Port of the Dagster UI that `oms demo` starts."),
    EnvVar("ICHIGEN_APP_PORT", "8501", "Port of the Streamlit app (`oms app`, `oms demo`)."),
    EnvVar(
        "ICHIGEN_RATE_MULTIPLIER",
        "1",
        "Multiplies the request rates connectors keep under (each API's published allowance); "
        "`oms demo` uses 10, which the sandbox simulators allow.",
    ),
    EnvVar(
        "ICHIGEN_STOCK_DROP_DIR",
        None,
        "Folder of warehouse stock snapshots; default `<ICHIGEN_DATA_DIR>/sandbox/drops/stock`.",
    ),
)

_DEFAULTS: Final = {var.name: var.default for var in ENV_VARS}


@dataclass(frozen=True)
class ShopifySettings:
    url: str
    access_token: str
    api_version: str

    def __repr__(self) -> str:  # credentials never reach a log line
        return f"ShopifySettings(url={self.url!r}, api_version={self.api_version!r})"


@dataclass(frozen=True)
class AmazonSettings:
    url: str
    lwa_url: str
    client_id: str
    client_secret: str
    refresh_token: str
    marketplace_id: str
    seller_id: str

    def __repr__(self) -> str:
        return f"AmazonSettings(url={self.url!r}, marketplace_id={self.marketplace_id!r})"


@dataclass(frozen=True)
class RakutenSettings:
    url: str
    service_secret: str
    license_key: str

    def __repr__(self) -> str:
        return f"RakutenSettings(url={self.url!r})"


@dataclass(frozen=True)
class SupplierSettings:
    url: str
    api_key: str

    def __repr__(self) -> str:
        return f"SupplierSettings(url={self.url!r})"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    shopify: ShopifySettings
    amazon: AmazonSettings
    rakuten: RakutenSettings
    supplier: SupplierSettings
    pos_drop_dir: Path
    wholesale_drop_dir: Path
    stock_drop_dir: Path
    pos_members_drop_dir: Path
    rate_multiplier: float = 1.0
    wholesale_mappings_dir: Path | None = None  # None: the shipped example mappings
    dagster_port: int = 3000
    app_port: int = 8501

    @property
    def paths(self) -> DataPaths:
        """The data directory's layout: every path under `data_dir` comes from here."""
        return DataPaths(self.data_dir)

    @property
    def sandbox_dir(self) -> Path:
        return self.paths.sandbox

    def sandbox_ports(self) -> dict[str, int]:
        """Where the simulators should listen so that these settings reach them.

        A channel configured with a loopback URL is served on that URL's port; one pointed at a
        real service keeps its default sandbox port (nothing will call it there).
        """
        ports = dict(SANDBOX_PORTS)
        for name in SANDBOX_PORTS:
            url = urlsplit(getattr(self, name).url)
            if url.hostname in ("127.0.0.1", "localhost") and url.port:
                ports[name] = url.port
        return ports


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Read settings from `environ` (default: the process environment plus `.env`)."""
    if environ is None:
        if dotenv:
            load_dotenv(override=False)  # real environment variables win over .env
        environ = os.environ

    def get(name: str) -> str:
        value = environ.get(name) or _DEFAULTS.get(name)
        if value is None:
            raise KeyError(name)
        return value

    data_dir = Path(get("ICHIGEN_DATA_DIR")).resolve()
    drops = data_dir / "sandbox" / "drops"
    amazon_url = get("ICHIGEN_AMAZON_URL").rstrip("/")
    return Settings(
        data_dir=data_dir,
        shopify=ShopifySettings(
            url=get("ICHIGEN_SHOPIFY_URL").rstrip("/"),
            access_token=get("ICHIGEN_SHOPIFY_ACCESS_TOKEN"),
            api_version=get("ICHIGEN_SHOPIFY_API_VERSION"),
        ),
        amazon=AmazonSettings(
            url=amazon_url,
            lwa_url=environ.get("ICHIGEN_AMAZON_LWA_URL") or f"{amazon_url}/auth/o2/token",
            client_id=get("ICHIGEN_AMAZON_CLIENT_ID"),
            client_secret=get("ICHIGEN_AMAZON_CLIENT_SECRET"),
            refresh_token=get("ICHIGEN_AMAZON_REFRESH_TOKEN"),
            marketplace_id=get("ICHIGEN_AMAZON_MARKETPLACE_ID"),
            seller_id=get("ICHIGEN_AMAZON_SELLER_ID"),
        ),
        rakuten=RakutenSettings(
            url=get("ICHIGEN_RAKUTEN_URL").rstrip("/"),
            service_secret=get("ICHIGEN_RAKUTEN_SERVICE_SECRET"),
            license_key=get("ICHIGEN_RAKUTEN_LICENSE_KEY"),
        ),
        supplier=SupplierSettings(
            url=get("ICHIGEN_SUPPLIER_URL").rstrip("/"),
            api_key=get("ICHIGEN_SUPPLIER_API_KEY"),
        ),
        pos_drop_dir=Path(environ.get("ICHIGEN_POS_DROP_DIR") or drops / "pos"),
        wholesale_drop_dir=Path(environ.get("ICHIGEN_WHOLESALE_DROP_DIR") or drops / "wholesale"),
        stock_drop_dir=Path(environ.get("ICHIGEN_STOCK_DROP_DIR") or drops / "stock"),
        pos_members_drop_dir=Path(
            environ.get("ICHIGEN_POS_MEMBERS_DROP_DIR") or drops / "pos_members"
        ),
        rate_multiplier=_positive(get("ICHIGEN_RATE_MULTIPLIER"), "ICHIGEN_RATE_MULTIPLIER"),
        wholesale_mappings_dir=_optional_path(environ.get("ICHIGEN_WHOLESALE_MAPPINGS_DIR")),
        dagster_port=int(_positive(get("ICHIGEN_DAGSTER_PORT"), "ICHIGEN_DAGSTER_PORT")),
        app_port=int(_positive(get("ICHIGEN_APP_PORT"), "ICHIGEN_APP_PORT")),
    )


def _optional_path(raw: str | None) -> Path | None:
    return Path(raw) if raw else None


def _positive(raw: str, name: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise ValueError(f"{name} must be a positive number, not {raw!r}")
    return value
