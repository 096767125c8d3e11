"""The dispatcher: sends what the outbox recorded, records what became of it.

Public surface (stable for the pages and the Dagster jobs):

- `Connectors`: the clients it sends through (any may be None: actions for it wait);
- `dispatch(store, connectors, ...) -> DispatchReport`;
- `follow_purchase_orders(store, supplier) -> FollowReport`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ichigen.ops.store import OpsStore
from ichigen.settings import Settings
from ingestion.amazon import AmazonClient
from ingestion.rakuten import RakutenClient
from ingestion.shopify import ShopifyClient
from ingestion.supplier import SupplierClient

__all__ = [
    "Connectors",
    "DispatchReport",
    "FollowReport",
    "dispatch",
    "dispatch_with_settings",
    "follow_purchase_orders",
]


@dataclass
class Connectors:
    """The clients actions are sent through; a channel left None keeps its actions waiting.

    Use `Connectors.from_settings(settings)` as a context manager (it closes the clients).
    """

    shopify: ShopifyClient | None = None
    amazon: AmazonClient | None = None
    rakuten: RakutenClient | None = None
    supplier: SupplierClient | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Connectors:
        raise NotImplementedError("lands with the dispatcher in the next commit")

    def close(self) -> None:
        for client in (self.shopify, self.amazon, self.rakuten, self.supplier):
            if client is not None:
                client.close()

    def __enter__(self) -> Connectors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class DispatchReport:
    accepted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    retrying: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)


@dataclass
class FollowReport:
    checked: int = 0
    changed: dict[str, str] = field(default_factory=dict)


def dispatch(
    store: OpsStore,
    connectors: Connectors,
    *,
    action_ids: Sequence[str] | None = None,
) -> DispatchReport:
    raise NotImplementedError("the dispatcher lands in the next commit")


def dispatch_with_settings(
    settings: Settings, *, action_ids: Sequence[str] | None = None
) -> DispatchReport:
    """Open the store under ``settings.data_dir`` and the connectors, and dispatch."""
    raise NotImplementedError("the dispatcher lands in the next commit")


def follow_purchase_orders(store: OpsStore, connectors: Connectors) -> FollowReport:
    raise NotImplementedError("following purchase orders lands in the next commit")
