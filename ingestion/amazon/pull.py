"""Land one Amazon entity in the landing zone, incrementally and validated.

Entities, their keys and how they are pulled:

- ``orders``: getOrders by ``LastUpdatedAfter`` = the landing zone's `next_cursor` (the latest
  ``LastUpdateDate`` landed, minus `lookback`), each order landing with its items embedded as
  ``OrderItems`` (getOrderItems, all pages). One record per order keeps staging simple: an
  order and its items change together (any item change moves the order's LastUpdateDate), so
  "latest version per AmazonOrderId" is right for both, and staging unnests the items the way
  it unnests Shopify's ``line_items``. The load's window is ``[cursor, LastUpdatedBefore]``,
  the upper bound Amazon echoes (its own "now").
- ``refunds``: the Finances API's RefundEventList by ``PostedAfter`` = the cursor; keyed by
  ``<AmazonOrderId>@<PostedDate>`` (Amazon gives refund events no id of their own). One query
  spans 180 days at most, so the pull walks windows (`refund_windows`), anchored on the latest
  "now" getOrders echoed (the landed orders' window end): a first pull reaches back
  `DEFAULT_REFUND_HISTORY`, and a pull after a long pause from its cursor. Before any orders
  have landed Amazon's clock is unknown, and a first pull gets Amazon's default window, the
  last 180 days; the first pull after orders have landed then walks the history.
- ``inventory_summaries``: FBA stock, a full snapshot each time (``startDateTime`` would miss
  inbound changes, which Amazon documents it does not track), keyed by ``sellerSku``.

Pages stream into a `LoadWriter`, so memory holds one page and one part at most. A page's
order items are asked for a few at a time, in order, under getOrderItems' rate limiter, and
the next page of orders meanwhile. Each part is validated by the entity's contract and its
failures are quarantined with their reasons, never dropped; re-read records are removed by
staging, which keeps the latest version per key.

Orders and refunds resume: a pull that fails part-way (a getOrderItems call that kept failing,
Amazon unreachable) leaves its load pending with the NextToken of the page after the last one
it kept, and the next pull goes on from that token in the same load and window; if Amazon no
longer takes the token, from the window's first page (`ingestion.paging.go_on`). The window's
end stays the ``LastUpdatedBefore`` of the first try, so the load records one window however
many tries it took. The FBA snapshot starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ichigen.ingestion.amazon.client import AmazonClient, OrdersPage
from ichigen.ingestion.amazon.contracts import (
    inventory_summaries_contract,
    orders_contract,
    refunds_contract,
)
from ichigen.ingestion.amazon.refund_windows import refund_pages
from ichigen.ingestion.landing import PART_ROWS, LandingZone, LoadManifest
from ichigen.ingestion.paging import Page, checkpoint, go_on, one_ahead
from ichigen.ingestion.record_fields import parse_utc as parse_time
from ichigen.ingestion.validation import BatchValidator

__all__ = ["DEFAULT_LOOKBACK", "DEFAULT_REFUND_HISTORY", "ENTITIES", "ingest_amazon", "parse_time"]

CHANNEL: Final = "amazon"
ENTITIES: Final = ("orders", "refunds", "inventory_summaries")
# Amazon's LastUpdateDate can trail the change it records by minutes (it is set when the
# order's state settles): an hour of overlap covers that and late edits.
DEFAULT_LOOKBACK: Final = timedelta(hours=1)
# How far back a first refunds pull reaches: two years of refunds, against the orders' history.
DEFAULT_REFUND_HISTORY: Final = timedelta(days=730)
# getOrders needs a lower bound; for a first pull, one before any order there could be.
_BEGINNING: Final = datetime(2000, 1, 1, tzinfo=UTC)
# getOrderItems calls in flight at once. One at a time, a first pull waited on each round trip
# and asked for items at ~300/s where the sandbox's plan allows 400 (the small demo's 10,493
# orders took 34 s); the operation's rate limiter still sets the pace, so against Amazon's
# default plan (0.5/s) this changes nothing.
_ITEM_FETCHERS: Final = 4

Record = Mapping[str, Any]


def _text_key(*fields: str) -> Callable[[Record], str]:
    def key(record: Record) -> str:
        return "@".join("" if record.get(f) is None else str(record.get(f)) for f in fields)

    return key


def ingest_amazon(
    client: AmazonClient,
    zone: LandingZone,
    entity: str,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    catalogue: Collection[str] | None = None,
    validator: BatchValidator | None = None,
    part_rows: int = PART_ROWS,
    refund_history: timedelta = DEFAULT_REFUND_HISTORY,
) -> LoadManifest:
    """Pull `entity` (one of `ENTITIES`) into `zone`; returns the committed load's manifest.

    `catalogue` (the SKUs the business sells) makes records naming another SKU go to the
    quarantine. `validator` replaces the entity's contract (tests reuse one: building a Great
    Expectations context takes a while).
    """
    if entity == "orders":
        return _ingest_orders(client, zone, lookback, catalogue, validator, part_rows)
    amazon_now = None
    if entity == "refunds":
        amazon_now = _amazon_now(zone)
        since = _cursor(zone, entity, lookback)
        if amazon_now is not None and not _reached_back(zone, amazon_now - refund_history):
            since = amazon_now - refund_history
        source, key, changed = "/finances/v0/financialEvents", "AmazonOrderId", "PostedDate"
        contract = refunds_contract(catalogue)
        record_key = _text_key(key, changed)
    elif entity == "inventory_summaries":
        since = None
        source, changed = "/fba/inventory/v1/summaries", "lastUpdatedTime"
        contract = inventory_summaries_contract(catalogue)
        record_key = _text_key("sellerSku")
    else:
        raise ValueError(f"unknown Amazon entity {entity!r}; known: {', '.join(ENTITIES)}")
    resumable = entity == "refunds"
    with zone.open_load(
        CHANNEL,
        entity,
        source=client.source(source),
        cursor_start=since,
        validator=validator or BatchValidator(contract),
        part_rows=part_rows,
        resumable=resumable,
    ) as load:
        since = load.cursor_start  # a resumed load keeps the window it began with
        pages: Iterable[list[Any]]
        if resumable:
            pages = go_on(
                lambda position: refund_pages(
                    client, since=since, amazon_now=amazon_now, position=position
                ),
                load.checkpoint,
            )
        else:
            pages = client.inventory_summaries()
        for page in pages:
            load.add(
                page,
                key=record_key,
                updated_at=lambda r: parse_time(r.get(changed)),
                checkpoint=checkpoint(page) if isinstance(page, Page) else None,
            )
        return load.commit()


def _cursor(zone: LandingZone, entity: str, lookback: timedelta) -> datetime | None:
    since = zone.next_cursor(CHANNEL, entity, lookback=lookback)
    return since.astimezone(UTC) if since is not None else None  # landing columns are UTC


def _reached_back(zone: LandingZone, horizon: datetime) -> bool:
    """Whether a refunds load has begun at `horizon` or before: the history has been walked.

    A first pull that ran before any orders had landed knew no clock and got Amazon's default
    window only; the next pull that knows one walks the history then, cursor or not.
    """
    starts = [parse_time(m.cursor_start) for m in zone.completed_loads(CHANNEL, "refunds")]
    return any(start is not None and start <= horizon for start in starts)


def _amazon_now(zone: LandingZone) -> datetime | None:
    """Amazon's clock as last seen: the latest window end getOrders echoed, if orders landed."""
    ends = [parse_time(m.cursor_end) for m in zone.completed_loads(CHANNEL, "orders")]
    known = [end for end in ends if end is not None]
    return max(known) if known else None


def _with_items(
    client: AmazonClient, page: OrdersPage, fetchers: ThreadPoolExecutor
) -> list[dict[str, Any]]:
    """The page's orders, in their order, each with its items (asked for side by side)."""

    def with_items(order: dict[str, Any]) -> dict[str, Any]:
        # An order without an id has no items to ask for; it lands without them and its
        # contract sends it to the quarantine, rather than a 404 failing the whole load.
        order_id = order.get("AmazonOrderId")
        return {**order, "OrderItems": client.order_items(str(order_id)) if order_id else []}

    return list(fetchers.map(with_items, page.orders))


def _ingest_orders(
    client: AmazonClient,
    zone: LandingZone,
    lookback: timedelta,
    catalogue: Collection[str] | None,
    validator: BatchValidator | None,
    part_rows: int,
) -> LoadManifest:
    with (
        zone.open_load(
            CHANNEL,
            "orders",
            source=client.source("/orders/v0/orders"),
            cursor_start=_cursor(zone, "orders", lookback),
            validator=validator or BatchValidator(orders_contract(catalogue)),
            part_rows=part_rows,
            resumable=True,
        ) as load,
        ThreadPoolExecutor(_ITEM_FETCHERS, thread_name_prefix="amazon-items") as fetchers,
    ):
        # A resumed load keeps its window: where it began and Amazon's "now" at its first try.
        since, before = load.cursor_start, load.cursor_end

        def listing(token: str | None) -> Iterator[OrdersPage]:
            return client.orders(
                last_updated_after=since or _BEGINNING,
                last_updated_before=before,
                next_token=token,
            )

        # getOrders and getOrderItems have rate limits of their own: neither waits for the other.
        for page in one_ahead(go_on(listing, load.checkpoint), name="amazon-orders"):
            if load.cursor_end is None:  # the first page tells the window's end
                load.cursor_end = parse_time(page.last_updated_before)
            load.add(
                _with_items(client, page, fetchers),
                key=_text_key("AmazonOrderId"),
                updated_at=lambda r: parse_time(r.get("LastUpdateDate")),
                checkpoint=checkpoint(page),
            )
        return load.commit()
