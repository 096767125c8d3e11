"""Land one Shopify entity in the landing zone, incrementally and validated.

Orders and customers are pulled from the landing zone's `next_cursor` (the latest change that
completed loads landed, minus `lookback`) by ``updated_at_min``; re-reading the lookback window
is what catches a change stamped behind the cursor (a late edit), and the duplicates it lands
are removed by staging, which keeps the latest version of each key. Locations and inventory
levels are small and are pulled whole each time (a snapshot shows a level that went away,
which an incremental pull cannot). Pages stream into a `LoadWriter`, so memory holds one page
and one part at most; each part is validated by the entity's contract and its failures are
quarantined with their reasons, never dropped.

An incremental pull that fails part-way is resumed by the next one: its load stays pending with
the next URL after the last page it kept, and the next pull goes on from that URL, in the same
load and window (`ingestion.paging.go_on`). A snapshot starts again.

Record keys: orders, customers and locations by ``id``; inventory levels by
``<inventory_item_id>:<location_id>``. The load's window is ``[cursor, open)``: Shopify pages
over live data, so the end is wherever the pull stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ichigen.ingestion.landing import PART_ROWS, LandingZone, LoadManifest
from ichigen.ingestion.paging import Page, checkpoint, go_on, one_ahead
from ichigen.ingestion.record_fields import id_key as record_key
from ichigen.ingestion.record_fields import updated_at
from ichigen.ingestion.shopify.client import ShopifyClient
from ichigen.ingestion.shopify.contracts import (
    customers_contract,
    inventory_levels_contract,
    locations_contract,
    orders_contract,
    products_contract,
)
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = [
    "DEFAULT_LOOKBACK",
    "ENTITIES",
    "ingest_shopify",
    "level_key",
    "record_key",
    "updated_at",
]

CHANNEL: Final = "shopify"
# Late edits on Shopify (notes, addresses, refunds processed by hand) arrive minutes behind.
DEFAULT_LOOKBACK: Final = timedelta(hours=1)

Pages = Iterator[Page]


def level_key(record: Mapping[str, Any]) -> str:
    """An inventory level has no id of its own: it is a (inventory item, location) pair."""
    return f"{record.get('inventory_item_id')}:{record.get('location_id')}"


@dataclass(frozen=True)
class _Entity:
    resource: str
    incremental: bool
    contract: Callable[[Collection[str] | None], Contract]
    # (client, since, after): the pages from the first, or from a next URL (incremental only)
    pull: Callable[[ShopifyClient, datetime | None, str | None], Pages]
    key: Callable[[Mapping[str, Any]], str] = record_key


def _inventory_levels(client: ShopifyClient, since: datetime | None, _: str | None) -> Pages:
    location_ids = [location["id"] for page in client.locations() for location in page]
    return client.inventory_levels(location_ids)


ENTITIES: Final[Mapping[str, _Entity]] = {
    "orders": _Entity(
        "orders",
        True,
        orders_contract,
        lambda c, since, after: c.orders(updated_at_min=since, after=after),
    ),
    "customers": _Entity(
        "customers",
        True,
        lambda _: customers_contract(),
        lambda c, since, after: c.customers(updated_at_min=since, after=after),
    ),
    # the shop's catalogue: maps inventory items to SKUs, and carries list prices and JANs
    "products": _Entity(
        "products",
        True,
        lambda _: products_contract(),
        lambda c, since, after: c.products(updated_at_min=since, after=after),
    ),
    "locations": _Entity(
        "locations", False, lambda _: locations_contract(), lambda c, _, __: c.locations()
    ),
    "inventory_levels": _Entity(
        "inventory_levels",
        False,
        lambda _: inventory_levels_contract(),
        _inventory_levels,
        level_key,
    ),
}


def ingest_shopify(
    client: ShopifyClient,
    zone: LandingZone,
    entity: str,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    catalogue: Collection[str] | None = None,
    validator: BatchValidator | None = None,
    part_rows: int = PART_ROWS,
) -> LoadManifest:
    """Pull `entity` (one of `ENTITIES`) into `zone`; returns the committed load's manifest.

    `catalogue` (the SKUs the business sells) makes orders whose lines name another SKU go to
    the quarantine. `validator` replaces the entity's contract (tests reuse one: building a
    Great Expectations context takes a while).
    """
    spec = ENTITIES.get(entity)
    if spec is None:
        raise ValueError(f"unknown Shopify entity {entity!r}; known: {', '.join(ENTITIES)}")
    since = zone.next_cursor(CHANNEL, entity, lookback=lookback) if spec.incremental else None
    if since is not None:
        since = since.astimezone(UTC)  # a manifest may carry another offset
    with zone.open_load(
        CHANNEL,
        entity,
        source=client.source(spec.resource),
        cursor_start=since,
        cursor_end=None,
        validator=validator or BatchValidator(spec.contract(catalogue)),
        part_rows=part_rows,
        resumable=spec.incremental,
    ) as load:
        since = load.cursor_start  # a resumed load keeps the window it began with
        pages = go_on(lambda after: spec.pull(client, since, after), load.checkpoint)
        for page in one_ahead(pages, name=f"shopify-{entity}"):
            load.add(page, key=spec.key, updated_at=updated_at, checkpoint=checkpoint(page))
        return load.commit()
