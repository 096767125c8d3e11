"""Rakuten into the landing zone: orders incrementally, inventories as a snapshot.

RMS cannot search by "updated at": an order's search dates (ordered, shipped, settled) never
move when it is edited, refunded or cancelled. So an incremental pull, from the cursor the
landing zone derives (`LandingZone.next_cursor`), searches

- by order date from the cursor minus `reopen` (orders still likely to change: confirmation,
  memos, cancellations and partial refunds happen within weeks of the order; a partial return
  rewrites the order in place and moves none of its search dates, so a return booked after
  `reopen` is never seen: 60 days covers the sandbox's returns, which are refunded up to six
  weeks after the order, where 30 days missed a sixth of the refunded yen),
- by shipping and settlement date from the cursor (old orders that ship or settle late),

and re-reads every order found with getOrder. The first pull reads the whole history RMS
keeps (730 days). Re-reading is what makes late edits land; staging keeps the latest
version of each order (by `_loaded_at`: an OrderModel has no "updated at" of its own, so
`_record_updated_at` is the latest event time the order shows, see `order_changed_at`).

A pull that fails part-way is resumed by the next one: its load stays pending, and the next
pull searches the same period again (searchOrder is cheap: a thousand numbers a request) and
asks getOrder only for the orders the load does not hold yet. RMS's numbers carry no position
to go on from, so the orders landed are the position.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ichigen.ingestion.landing import PART_ROWS, LandingZone, LoadManifest
from ichigen.ingestion.rakuten.client import BULK_GET, GET_ORDER, InventoryKey, RakutenClient
from ichigen.ingestion.rakuten.contracts import inventory_contract, order_contract
from ichigen.ingestion.rakuten.search import DateType, parse_rms_time
from ichigen.ingestion.validation import BatchValidator

__all__ = [
    "DEFAULT_LOOKBACK",
    "DEFAULT_REOPEN",
    "HISTORY",
    "OrderPull",
    "changed_order_numbers",
    "ingest_inventories",
    "ingest_orders",
    "order_changed_at",
]

log = logging.getLogger(__name__)

DEFAULT_LOOKBACK: Final = timedelta(hours=1)
DEFAULT_REOPEN: Final = timedelta(days=60)
# RMS refuses searches starting more than 730 days back; a day's margin absorbs clock skew.
HISTORY: Final = timedelta(days=729)

_ORDER_TIMES: Final = (
    "orderDatetime",
    "shopOrderCfmDatetime",
    "orderFixDatetime",
    "shippingInstDatetime",
    "shippingCmplRptDatetime",
)
_CHANGE_TIMES: Final = ("changeApplyDatetime", "changeFixDatetime", "changeCmplDatetime")


@dataclass
class OrderPull:
    """What one `ingest_orders` run did."""

    manifest: LoadManifest
    since: datetime | None
    until: datetime
    missing: list[str] = field(default_factory=list)  # found by search, unknown to getOrder


def _times(record: Mapping[str, Any], names: Iterable[str]) -> Iterator[datetime]:
    for name in names:
        raw = record.get(name)
        if isinstance(raw, str):
            try:
                yield parse_rms_time(raw)
            except ValueError:
                continue  # the contract quarantines an order whose order date is unreadable


def order_changed_at(order: Mapping[str, Any]) -> datetime | None:
    """The latest event an OrderModel shows: placed, confirmed, shipped, changed or refunded."""
    moments = list(_times(order, _ORDER_TIMES))
    for change in order.get("ChangeReasonModelList") or []:
        if isinstance(change, Mapping):
            moments.extend(_times(change, _CHANGE_TIMES))
    return max(moments, default=None)


def changed_order_numbers(
    client: RakutenClient,
    *,
    since: datetime | None,
    until: datetime,
    reopen: timedelta = DEFAULT_REOPEN,
) -> Iterator[str]:
    """Each order number that may have changed since `since` (None: all history), once."""
    oldest = until - HISTORY
    if since is None:
        searches = [(DateType.ORDERED, oldest)]
    else:
        searches = [
            (DateType.ORDERED, max(since - reopen, oldest)),
            (DateType.SHIPPED, max(since, oldest)),
            (DateType.SETTLED, max(since, oldest)),
        ]
    seen: set[str] = set()
    for date_type, start in searches:
        for number in client.search_order_numbers(date_type=date_type, start=start, end=until):
            if number not in seen:
                seen.add(number)
                yield number


def ingest_orders(
    client: RakutenClient,
    zone: LandingZone,
    *,
    until: datetime | None = None,
    lookback: timedelta = DEFAULT_LOOKBACK,
    reopen: timedelta = DEFAULT_REOPEN,
    known_skus: Collection[str] | None = None,
    validator: BatchValidator | None = None,
    part_rows: int = PART_ROWS,
) -> OrderPull:
    """Land every order changed since the landing zone's cursor, validated, as one load.

    `until` is the end of the searched period (default: now); `validator` defaults to the
    `order_contract` (with `known_skus` when given). Orders stream to disk a getOrder batch at
    a time, so memory holds one part, not the pull.
    """
    validator = validator or BatchValidator(order_contract(known_skus=known_skus))
    missing: list[str] = []
    with zone.open_load(
        client.channel,
        "orders",
        source=client.base_url + GET_ORDER,
        cursor_start=zone.next_cursor(client.channel, "orders", lookback=lookback),
        cursor_end=until or datetime.now(UTC),
        validator=validator,
        part_rows=part_rows,
        resumable=True,
    ) as load:
        # A resumed load keeps the period it began with, and holds some of its orders already.
        since, until = load.cursor_start, load.cursor_end or datetime.now(UTC)
        held = load.landed_keys() if load.resumed else set()
        numbers = (
            number
            for number in changed_order_numbers(client, since=since, until=until, reopen=reopen)
            if number not in held
        )
        # Not fetched one ahead (`ingestion.paging`): measured at large, the pull took as long
        # (65.2 against 64.0-66.8 s) and the page held ahead raised the ingest's peak memory.
        for batch in client.iter_orders(numbers):
            load.add(
                batch.orders,
                key=lambda order: str(order.get("orderNumber") or ""),
                updated_at=order_changed_at,
            )
            missing.extend(batch.missing)
        manifest = load.commit()
    if missing:
        # Searched a moment ago, gone now: RMS deletes nothing, so this is worth a look; the
        # next pull searches the same dates again.
        log.warning("rakuten: getOrder did not find %d searched orders: %s", len(missing), missing)
    return OrderPull(manifest=manifest, since=since, until=until, missing=missing)


def _inventory_updated(entry: Mapping[str, Any]) -> datetime | None:
    raw = entry.get("updated")
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw).astimezone(UTC)
    except ValueError:
        return None


def ingest_inventories(
    client: RakutenClient,
    zone: LandingZone,
    keys: Iterable[InventoryKey],
    *,
    known_variants: Collection[str] | None = None,
    validator: BatchValidator | None = None,
) -> LoadManifest:
    """Land the current stock of the given SKUs (RMS cannot list them; the catalogue can).

    A snapshot, not an increment: each load is the whole picture at its `_loaded_at`.
    """
    validator = validator or BatchValidator(inventory_contract(known_variants=known_variants))
    with zone.open_load(
        client.channel,
        "inventories",
        source=client.base_url + BULK_GET,
        cursor_end=datetime.now(UTC),
        validator=validator,
    ) as load:
        for entries in client.get_inventories(keys):
            load.add(
                entries,
                key=lambda e: f"{str(e.get('manageNumber') or '').lower()}:{e.get('variantId')}",
                updated_at=_inventory_updated,
            )
        return load.commit()
