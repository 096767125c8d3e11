"""The dispatcher: sends what the outbox recorded, then records what became of it.

One pass of `dispatch`:

1. claim (one write transaction): every action that is ``recorded``, ``failed_retrying`` and
   due, or ``sending`` for longer than `stale_after` (a dispatcher that died mid-send), moves to
   ``sending`` with its attempt counted. A push for a listing that a newer push will set anyway
   is ``rejected`` as superseded instead, so an old quantity never overwrites a newer one;
2. send through the connectors: Rakuten pushes in bulk-upserts, Shopify and Amazon one listing
   at a time, purchase orders with ``Idempotency-Key`` = the action's key;
3. record each channel's outcomes as soon as it answered: ``accepted`` with the answer,
   ``rejected`` with the far end's reason, or ``failed_retrying`` with the next attempt time
   (exponential backoff; ``failed`` after `max_attempts`).

A crash between 2 and 3 leaves the action ``sending``; the next pass after `stale_after` sends
it again. That is harmless by construction: stock pushes set absolute quantities, and the
supplier answers a repeated key with the order it already placed (``replayed=True``), which is
recorded. The connectors' own retries (`ingestion.http.ResilientClient`) cover a request's
transient failures; the backoff here covers a channel that stays down across passes.

The steps live in `ichigen.ops.claims` (1 and 3) and `ichigen.ops.senders` (2); this module
holds the connectors and runs a pass. `ichigen.ops.follow` reads back what the supplier did
with the orders sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ichigen.ingestion.amazon import AmazonClient, AmazonConfig
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.ingestion.supplier import SupplierClient
from ichigen.ops.claims import (
    BACKOFF,
    STALE_AFTER,
    Claimed,
    DispatchReport,
    Outcome,
    claim,
    record_outcomes,
)
from ichigen.ops.senders import send_amazon, send_purchase_orders, send_rakuten, send_shopify
from ichigen.ops.store import OpsStore
from ichigen.ops.targets import ChannelTargets
from ichigen.settings import Settings

__all__ = ["Connectors", "dispatch", "dispatch_with_settings"]


@dataclass
class Connectors:
    """The clients actions are sent through; a channel left None keeps its actions waiting.

    Use `Connectors.from_settings(settings)` as a context manager (it closes the clients).
    """

    shopify: ShopifyClient | None = None
    amazon: AmazonClient | None = None
    rakuten: RakutenClient | None = None
    supplier: SupplierClient | None = None
    targets: ChannelTargets = field(default_factory=ChannelTargets)

    @classmethod
    def from_settings(cls, settings: Settings) -> Connectors:
        """Every connector, configured as ingestion's are, and the targets under the data dir."""
        published = RakutenRates()
        return cls(
            shopify=ShopifyClient(
                url=settings.shopify.url,
                access_token=settings.shopify.access_token.get_secret_value(),
                api_version=settings.shopify.api_version,
            ),
            amazon=AmazonClient(
                AmazonConfig(
                    url=settings.amazon.url,
                    lwa_url=settings.amazon.lwa_url,
                    client_id=settings.amazon.client_id,
                    client_secret=settings.amazon.client_secret.get_secret_value(),
                    refresh_token=settings.amazon.refresh_token.get_secret_value(),
                    marketplace_id=settings.amazon.marketplace_id,
                    seller_id=settings.amazon.seller_id,
                )
            ),
            rakuten=RakutenClient(
                base_url=settings.rakuten.url,
                service_secret=settings.rakuten.service_secret.get_secret_value(),
                license_key=settings.rakuten.license_key.get_secret_value(),
                rates=RakutenRates(
                    inventory_upsert=published.inventory_upsert * settings.rate_multiplier
                ),
            ),
            supplier=SupplierClient(
                settings.supplier.url, settings.supplier.api_key.get_secret_value()
            ),
            targets=ChannelTargets.load(settings.data_dir),
        )

    def close(self) -> None:
        for client in (self.shopify, self.amazon, self.rakuten, self.supplier):
            if client is not None:
                client.close()

    def __enter__(self) -> Connectors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def can_send(self, kind: str, channel: str) -> bool:
        """Whether an action of `kind` to `channel` (the supplier's id for orders) can go."""
        if kind == "purchase_order":
            return self.supplier is not None
        return getattr(self, channel, None) is not None


def dispatch(
    store: OpsStore,
    connectors: Connectors,
    *,
    action_ids: Sequence[str] | None = None,
    max_attempts: int = 5,
    backoff: timedelta = BACKOFF,
    stale_after: timedelta = STALE_AFTER,
    retry_failed: bool = False,
) -> DispatchReport:
    """Send what is due (or only `action_ids`) and record the outcomes; see the module doc.

    `stale_after` is how long an action may stay ``sending`` before it is taken for the work
    of a dispatcher that died; `retry_failed` also resends actions that ran out of attempts.
    """
    report = DispatchReport()
    claimed = claim(
        store,
        connectors.can_send,
        action_ids=action_ids,
        stale_after=stale_after,
        retry_failed=retry_failed,
        report=report,
    )
    pushes: dict[str, list[Claimed]] = {}
    for action in claimed:
        if action.kind == "stock_push":
            pushes.setdefault(action.channel, []).append(action)
    targets = connectors.targets

    def record(outcomes: list[Outcome]) -> None:
        record_outcomes(store, outcomes, max_attempts=max_attempts, backoff=backoff, report=report)

    if connectors.rakuten is not None and pushes.get("rakuten"):
        record(send_rakuten(connectors.rakuten, targets, pushes["rakuten"]))
    if connectors.shopify is not None and pushes.get("shopify"):
        record(send_shopify(connectors.shopify, targets, pushes["shopify"]))
    if connectors.amazon is not None and pushes.get("amazon"):
        record(send_amazon(connectors.amazon, targets, pushes["amazon"]))
    orders = [a for a in claimed if a.kind == "purchase_order"]
    if connectors.supplier is not None and orders:
        record(send_purchase_orders(store, connectors.supplier, orders))
    return report


def dispatch_with_settings(
    settings: Settings, *, action_ids: Sequence[str] | None = None, **options: Any
) -> DispatchReport:
    """Open the store under ``settings.data_dir`` and every connector, and dispatch."""
    store = OpsStore.under(settings.data_dir)
    with Connectors.from_settings(settings) as connectors:
        return dispatch(store, connectors, action_ids=action_ids, **options)
