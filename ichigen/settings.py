"""Configuration from the environment (and an optional `.env`), defaulting to the sandbox.

Every channel reads ``ICHIGEN_<CHANNEL>_URL`` and its credentials from
``ICHIGEN_<CHANNEL>_...`` variables. The defaults point at the sandbox simulators on
127.0.0.1 with the sandbox's own credentials, so a fresh checkout runs end to end; pointing a
channel at a real store is a matter of setting its variables (see the README's table, which
a test keeps in step with `ENV_VARS`, the list this module's fields make).

The settings are built once at the top (the `oms` command line, the Dagster definitions, the
app) with `load_settings` and handed down; nothing below reads the environment itself.
Credentials are `SecretStr`: a settings object in a log line or a traceback shows
``'**********'``, and whoever sends one asks for it with ``.get_secret_value()``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dotenv import load_dotenv
from pydantic import (
    AfterValidator,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.dataclasses import dataclass as settings_dataclass
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

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

ENV_PREFIX: Final = "ICHIGEN_"
SANDBOX_HOST: Final = "127.0.0.1"
# Fixed ports so that the default URLs below reach `oms sandbox serve` without configuration.
SANDBOX_PORTS: Final = {"shopify": 8701, "amazon": 8702, "rakuten": 8703, "supplier": 8704}


def _sandbox_url(channel: str) -> str:
    return f"http://{SANDBOX_HOST}:{SANDBOX_PORTS[channel]}"


# A base URL without its trailing slash, so that paths join onto it with one.
_Url = Annotated[str, AfterValidator(lambda url: url.rstrip("/"))]


# The channels' settings are frozen pydantic dataclasses rather than models: callers copy them
# with `dataclasses.replace` (a connector pointed at another URL), as they did before pydantic.
@settings_dataclass(frozen=True)
class ShopifySettings:
    url: _Url = Field(
        default=_sandbox_url("shopify"),
        description="Shop base URL, e.g. https://your-shop.myshopify.com.",
    )
    access_token: SecretStr = Field(
        default=SecretStr("shpat_sandbox"), description="Admin API access token."
    )
    api_version: str = Field(default="2024-10", description="Admin REST API version.")
    web_location: str = Field(
        default="WH-TOKYO",
        description="ichigen location (seeds/inventory_locations.csv) that fulfils web orders "
        "Shopify sends without a location (`location_id: null`) and not yet fulfilled.",
    )


@settings_dataclass(frozen=True)
class AmazonSettings:
    url: _Url = Field(
        default=_sandbox_url("amazon"),
        description="SP-API endpoint, e.g. https://sellingpartnerapi-fe.amazon.com.",
    )
    lwa_url: str = Field(
        default="",
        validate_default=True,
        description="LWA token URL; default `<ICHIGEN_AMAZON_URL>/auth/o2/token` "
        "(real: https://api.amazon.com/auth/o2/token).",
    )
    client_id: str = Field(
        default="amzn1.application-oa2-client.sandbox", description="LWA client id."
    )
    client_secret: SecretStr = Field(
        default=SecretStr("sandbox-client-secret"), description="LWA client secret."
    )
    refresh_token: SecretStr = Field(
        default=SecretStr("Atzr|sandbox-refresh-token"), description="LWA refresh token."
    )
    marketplace_id: str = Field(default="A1VC38T7YXB528", description="Marketplace (Amazon.co.jp).")
    seller_id: str = Field(
        default="A2SANDBOXSELLER", description="Seller (merchant) id for listings."
    )

    @field_validator("lwa_url")
    @classmethod
    def _lwa_beside_the_api(cls, value: str, info: ValidationInfo) -> str:
        """The sandbox serves Login with Amazon beside SP-API; Amazon itself does not."""
        return value or f"{info.data['url']}/auth/o2/token"


@settings_dataclass(frozen=True)
class RakutenSettings:
    url: _Url = Field(
        default=_sandbox_url("rakuten"),
        description="RMS API base URL, e.g. https://api.rms.rakuten.co.jp.",
    )
    service_secret: SecretStr = Field(
        default=SecretStr("SP000000_sandbox"), description="RMS serviceSecret."
    )
    license_key: SecretStr = Field(
        default=SecretStr("SL000000_sandbox"), description="RMS licenseKey."
    )
    license_key_issued_on: date | None = Field(
        default=None,
        description=(
            "Day the RMS licenseKey was issued (YYYY-MM-DD). RMS keys expire 90 days later; "
            "`oms` and Data health warn from 14 days before."
        ),
    )

    def license_key_warning(self, today: date | None = None) -> str | None:
        """One line when the licenseKey expires within `LICENSE_KEY_WARN_DAYS` or has expired
        (RMS answers every call with an error from then on); None otherwise or unknown.
        `today` is Japan's by default: RMS dates its keys there."""
        if self.license_key_issued_on is None:
            return None
        today = today or datetime.now(ZoneInfo("Asia/Tokyo")).date()
        expires = self.license_key_issued_on + timedelta(days=LICENSE_KEY_DAYS)
        left = (expires - today).days
        if left > LICENSE_KEY_WARN_DAYS:
            return None
        when = f"expired on {expires}" if left <= 0 else f"expires on {expires} (in {left} days)"
        return (
            f"rakuten: the RMS licenseKey issued on {self.license_key_issued_on} {when}: issue a "
            "new one in RMS, then set ICHIGEN_RAKUTEN_LICENSE_KEY and "
            "ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON"
        )


@settings_dataclass(frozen=True)
class SupplierSettings:
    url: _Url = Field(default=_sandbox_url("supplier"), description="Supplier purchase-order API.")
    api_key: SecretStr = Field(default=SecretStr("sup_sandbox"), description="Supplier API key.")


# RMS licenseKeys are valid for 90 days from issue; a shop renews them by hand in RMS.
LICENSE_KEY_DAYS: Final = 90
LICENSE_KEY_WARN_DAYS: Final = 14

_CHANNELS: Final[dict[str, Any]] = {
    "shopify": ShopifySettings,
    "amazon": AmazonSettings,
    "rakuten": RakutenSettings,
    "supplier": SupplierSettings,
}
# Folders whose default lies under the data directory, whichever that is.
_DROPS: Final = {
    "pos_drop_dir": "pos",
    "wholesale_drop_dir": "wholesale",
    "stock_drop_dir": "stock",
    "pos_members_drop_dir": "pos_members",
}


class Settings(BaseSettings):
    """Everything ichigen is configured with: ``ICHIGEN_<FIELD>``, or for a channel
    ``ICHIGEN_<CHANNEL>_<FIELD>`` (``ICHIGEN_SHOPIFY_ACCESS_TOKEN``). An empty variable counts as
    unset."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # ICHIGEN_AMAZON_CLIENT_SECRET is amazon.client_secret: split once, after the channel
        env_nested_delimiter="_",
        env_nested_max_split=1,
        env_ignore_empty=True,
        env_file=".env",
        extra="ignore",
        frozen=True,
    )

    data_dir: Path = Field(
        default=Path("./data"), description="Everything generated, landed and built."
    )
    shopify: ShopifySettings = Field(default_factory=ShopifySettings)
    amazon: AmazonSettings = Field(default_factory=AmazonSettings)
    rakuten: RakutenSettings = Field(default_factory=RakutenSettings)
    supplier: SupplierSettings = Field(default_factory=SupplierSettings)
    # the drop folders' defaults lie under the data directory: `_folders_under_the_data_dir`
    pos_drop_dir: Path = Field(
        default=Path(),
        description="Folder of POS CSV exports; default `<ICHIGEN_DATA_DIR>/sandbox/drops/pos`.",
    )
    wholesale_drop_dir: Path = Field(
        default=Path(),
        description="Folder of wholesale order sheets; default "
        "`<ICHIGEN_DATA_DIR>/sandbox/drops/wholesale`.",
    )
    stock_drop_dir: Path = Field(
        default=Path(),
        description="Folder of warehouse stock snapshots; default "
        "`<ICHIGEN_DATA_DIR>/sandbox/drops/stock`.",
    )
    pos_members_drop_dir: Path = Field(
        default=Path(),
        description="Folder of the POS member master exports (会員マスタ); default "
        "`<ICHIGEN_DATA_DIR>/sandbox/drops/pos_members`.",
    )
    rate_multiplier: float = Field(
        default=1.0,
        description="Multiplies the request rates connectors keep under (each API's published "
        "allowance); `oms demo` uses 10, which the sandbox simulators allow.",
    )
    wholesale_mappings_dir: Path | None = Field(
        default=None,
        description="Folder of the buyers' column mappings (YAML/TOML); default: the examples "
        "shipped in `ingestion/files/mappings`, one per sandbox buyer layout.",
    )
    dagster_port: int = Field(
        default=3000, description="Port of the Dagster UI that `oms demo` starts."
    )
    app_port: int = Field(
        default=8501, description="Port of the Streamlit app (`oms app`, `oms demo`)."
    )

    @model_validator(mode="before")
    @classmethod
    def _folders_under_the_data_dir(cls, values: Any) -> Any:
        """The data directory, absolute, and the drop folders not set beneath it."""
        if not isinstance(values, dict):
            return values
        data_dir = Path(values.get("data_dir") or "./data").resolve()
        drops = DataPaths(data_dir).sandbox_drops
        values = {**values, "data_dir": data_dir}
        for name, folder in _DROPS.items():
            values[name] = values.get(name) or drops / folder
        return values

    @field_validator("rate_multiplier", "dagster_port", "app_port", mode="before")
    @classmethod
    def _positive(cls, raw: Any, info: ValidationInfo) -> float | int:
        name = f"{ENV_PREFIX}{(info.field_name or '').upper()}"
        try:
            value = float(raw)
        except (TypeError, ValueError):
            value = 0.0
        if value <= 0:
            raise ValueError(f"{name} must be a positive number, not {raw!r}")
        return int(value) if name.endswith("_PORT") else value

    @property
    def paths(self) -> DataPaths:
        """The data directory's layout: every path under `data_dir` comes from here."""
        return DataPaths(self.data_dir)

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


class _MappingSource(EnvSettingsSource):
    """The environment variables of `environ` rather than of the process."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(Settings)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(
            self._environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str
        )


def load_settings(environ: Mapping[str, str] | None = None, *, dotenv: bool = True) -> Settings:
    """Settings from `environ`, or from the process environment (plus `.env` with `dotenv`).

    `.env` goes into the process environment, not only into these settings: the Dagster
    resources name a secret by its variable (`dg.EnvVar`), so that its value is never shown,
    and the processes started from here (simulators, app, Dagster UI) read the same values.
    Variables already set win over `.env`.
    """
    if environ is None:
        if dotenv:
            load_dotenv(override=False)
        environ = os.environ
    # `_build_sources` (pydantic-settings' way in for sources made beforehand) is a parameter of
    # BaseSettings.__init__, which mypy does not see behind the signature made from the fields
    build: Callable[..., Settings] = Settings
    return build(_build_sources=((_MappingSource(environ),), {}))


@dataclass(frozen=True)
class EnvVar:
    """One variable of the configuration, as the README's table documents it."""

    name: str
    doc: str
    secret: bool


def _env_vars() -> tuple[EnvVar, ...]:
    """Every variable `Settings` reads, from its fields and its channels' fields."""
    found: list[EnvVar] = []
    for name, field in Settings.model_fields.items():
        channel = _CHANNELS.get(name)
        if channel is None:
            found.append(EnvVar(f"{ENV_PREFIX}{name.upper()}", field.description or "", False))
            continue
        for sub, info in channel.__pydantic_fields__.items():
            found.append(
                EnvVar(
                    f"{ENV_PREFIX}{name.upper()}_{sub.upper()}",
                    info.description or "",
                    info.annotation is SecretStr,
                )
            )
    return tuple(found)


ENV_VARS: Final = _env_vars()
