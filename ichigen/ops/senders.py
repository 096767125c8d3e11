"""Sending claimed actions, one channel at a time, and classifying what each far end answered.

Rakuten takes stock in bulk upserts (one request's outcome is every entry's); Shopify and Amazon
take one listing per request; purchase orders go to the supplier with ``Idempotency-Key`` = the
action's key, so a repeated send is answered with the order already placed. Nothing here writes
the ops store: the outcomes go back to `ichigen.ops.claims.record_outcomes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ichigen.ingestion.amazon import AmazonClient
from ichigen.ingestion.errors import (
    AuthenticationError,
    ChannelError,
    ChannelUnreachableError,
    ConfigurationError,
    RetriesExhaustedError,
    UnexpectedResponseError,
)
from ichigen.ingestion.rakuten import MAX_QUANTITY, RakutenClient, StockLevel
from ichigen.ingestion.shopify import ShopifyClient
from ichigen.ingestion.supplier import OrderLine, SupplierClient
from ichigen.ops.claims import Claimed, Outcome
from ichigen.ops.store import OpsStore
from ichigen.ops.targets import ChannelTargets, UnknownTargetError

__all__ = ["send_amazon", "send_purchase_orders", "send_rakuten", "send_shopify"]


def _failure(action: Claimed, exc: Exception) -> Outcome:
    """A refusal is final; a failure that may pass (transport, 5xx, auth, garbled) retries."""
    transient = (
        RetriesExhaustedError,
        ChannelUnreachableError,  # the channel is down: the action waits until it is back
        AuthenticationError,  # the action is fine; the credentials need fixing
        UnexpectedResponseError,
        ConfigurationError,
        httpx.HTTPError,
    )
    if isinstance(exc, transient):
        return Outcome(action, "retry", error=f"{type(exc).__name__}: {exc}")
    if isinstance(exc, UnknownTargetError | ChannelError | ValueError):
        return Outcome(action, "rejected", error=str(exc))
    return Outcome(action, "retry", error=f"{type(exc).__name__}: {exc}")


def send_rakuten(
    client: RakutenClient, targets: ChannelTargets, actions: list[Claimed]
) -> list[Outcome]:
    outcomes: list[Outcome] = []
    ready: list[tuple[Claimed, StockLevel]] = []
    for action in actions:
        try:
            key = targets.rakuten(action.sku)
            if action.quantity > MAX_QUANTITY:
                raise ValueError(f"quantity {action.quantity} is above RMS's {MAX_QUANTITY}")
        except (UnknownTargetError, ValueError) as exc:
            outcomes.append(_failure(action, exc))
            continue
        ready.append((action, StockLevel(key.manage_number, key.variant_id, action.quantity)))
    if ready:
        try:
            client.set_stock(level for _, level in ready)
        except Exception as exc:  # one bulk request: its outcome is every entry's
            outcomes += [_failure(action, exc) for action, _ in ready]
        else:
            outcomes += [
                Outcome(
                    action,
                    "accepted",
                    result={
                        "manageNumber": level.manage_number,
                        "variantId": level.variant_id,
                        "mode": "ABSOLUTE",
                        "quantity": level.quantity,
                    },
                )
                for action, level in ready
            ]
    return outcomes


def _send_each(actions: list[Claimed], send: Callable[[Claimed], dict[str, Any]]) -> list[Outcome]:
    outcomes = []
    for action in actions:
        try:
            outcomes.append(Outcome(action, "accepted", result=send(action)))
        except Exception as exc:
            outcomes.append(_failure(action, exc))
    return outcomes


def send_shopify(
    client: ShopifyClient, targets: ChannelTargets, actions: list[Claimed]
) -> list[Outcome]:
    def send(action: Claimed) -> dict[str, Any]:
        location, item = targets.shopify(action.sku, action.location_id)
        return client.set_inventory_level(
            location_id=location, inventory_item_id=item, available=action.quantity
        )

    return _send_each(actions, send)


def send_amazon(
    client: AmazonClient, targets: ChannelTargets, actions: list[Claimed]
) -> list[Outcome]:
    def send(action: Claimed) -> dict[str, Any]:
        return client.set_quantity(targets.amazon(action.sku, action.location_id), action.quantity)

    return _send_each(actions, send)


def _purchase_order_lines(store: OpsStore, po_id: str) -> tuple[dict[str, Any], list[OrderLine]]:
    with store.read() as con:
        order = con.execute(
            "select supplier_id, ship_to_location_id, reference from purchase_orders "
            "where po_id = ?",
            (po_id,),
        ).fetchone()
        lines = con.execute(
            "select sku, quantity from purchase_order_lines where po_id = ? order by line_no",
            (po_id,),
        ).fetchall()
    return dict(order), [OrderLine(str(sku), int(quantity)) for sku, quantity in lines]


def send_purchase_orders(
    store: OpsStore, client: SupplierClient, actions: list[Claimed]
) -> list[Outcome]:
    outcomes = []
    for action in actions:
        try:
            order, lines = _purchase_order_lines(store, action.po_id)
            placed = client.create_purchase_order(
                order["supplier_id"],
                order["ship_to_location_id"],
                order["reference"],
                lines,
                idempotency_key=action.key,
            )
        except Exception as exc:
            outcomes.append(_failure(action, exc))
            continue
        outcomes.append(
            Outcome(action, "accepted", result=placed.purchase_order, replayed=placed.replayed)
        )
    return outcomes
