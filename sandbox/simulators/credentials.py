"""The credentials each simulator accepts, and the sandbox's own.

A real channel issues the credentials a client must send; so do the simulators, and
`SANDBOX_CREDENTIALS` are theirs (facts of the sandbox, like its world). The pipeline's
default configuration carries the same values, so a fresh checkout reaches the simulators
without configuring anything. Whoever starts the simulators for a configuration that names
other credentials (``ICHIGEN_SHOPIFY_ACCESS_TOKEN`` set, say) hands those over with
`Credentials.of`, so that the simulators accept what the pipeline will send.

The sandbox imports nothing of the product (DESIGN.md decision 11): `CredentialSource` says
what `Credentials.of` reads (secrets revealed by ``get_secret_value()``, as pydantic's
`SecretStr` does), and the pipeline's settings fit it without the sandbox importing them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Protocol

__all__ = [
    "SANDBOX_CREDENTIALS",
    "AmazonCredentials",
    "CredentialSource",
    "Credentials",
    "RakutenCredentials",
    "ShopifyCredentials",
    "SupplierCredentials",
]


# Secrets are left out of the reprs, so that a logged configuration never shows one.
@dataclass(frozen=True)
class ShopifyCredentials:
    access_token: str = field(default="shpat_sandbox", repr=False)


@dataclass(frozen=True)
class AmazonCredentials:
    """Login with Amazon's app and refresh token, and the seller account they are good for."""

    client_id: str = "amzn1.application-oa2-client.sandbox"
    client_secret: str = field(default="sandbox-client-secret", repr=False)
    refresh_token: str = field(default="Atzr|sandbox-refresh-token", repr=False)
    marketplace_id: str = "A1VC38T7YXB528"  # Amazon.co.jp
    seller_id: str = "A2SANDBOXSELLER"


@dataclass(frozen=True)
class RakutenCredentials:
    service_secret: str = field(default="SP000000_sandbox", repr=False)
    license_key: str = field(default="SL000000_sandbox", repr=False)


@dataclass(frozen=True)
class SupplierCredentials:
    api_key: str = field(default="sup_sandbox", repr=False)


class _Secret(Protocol):
    def get_secret_value(self) -> str: ...


class _ShopifySource(Protocol):
    @property
    def access_token(self) -> _Secret: ...


class _AmazonSource(Protocol):
    @property
    def client_id(self) -> str: ...
    @property
    def client_secret(self) -> _Secret: ...
    @property
    def refresh_token(self) -> _Secret: ...
    @property
    def marketplace_id(self) -> str: ...
    @property
    def seller_id(self) -> str: ...


class _RakutenSource(Protocol):
    @property
    def service_secret(self) -> _Secret: ...
    @property
    def license_key(self) -> _Secret: ...


class _SupplierSource(Protocol):
    @property
    def api_key(self) -> _Secret: ...


class CredentialSource(Protocol):
    """A configuration holding each channel's credentials under the channel's name."""

    @property
    def shopify(self) -> _ShopifySource: ...
    @property
    def amazon(self) -> _AmazonSource: ...
    @property
    def rakuten(self) -> _RakutenSource: ...
    @property
    def supplier(self) -> _SupplierSource: ...


@dataclass(frozen=True)
class Credentials:
    """Every simulator's credentials, under the simulator's name."""

    shopify: ShopifyCredentials = field(default_factory=ShopifyCredentials)
    amazon: AmazonCredentials = field(default_factory=AmazonCredentials)
    rakuten: RakutenCredentials = field(default_factory=RakutenCredentials)
    supplier: SupplierCredentials = field(default_factory=SupplierCredentials)

    @classmethod
    def of(cls, source: CredentialSource) -> Credentials:
        """The credentials `source` configures for each channel, for its simulator to accept."""
        amazon, rakuten = source.amazon, source.rakuten
        return cls(
            shopify=ShopifyCredentials(access_token=source.shopify.access_token.get_secret_value()),
            amazon=AmazonCredentials(
                client_id=amazon.client_id,
                client_secret=amazon.client_secret.get_secret_value(),
                refresh_token=amazon.refresh_token.get_secret_value(),
                marketplace_id=amazon.marketplace_id,
                seller_id=amazon.seller_id,
            ),
            rakuten=RakutenCredentials(
                service_secret=rakuten.service_secret.get_secret_value(),
                license_key=rakuten.license_key.get_secret_value(),
            ),
            supplier=SupplierCredentials(api_key=source.supplier.api_key.get_secret_value()),
        )


SANDBOX_CREDENTIALS: Final = Credentials()
