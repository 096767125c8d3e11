"""Land one supplier entity in the landing zone, validated, under channel ``supplier``.

- ``suppliers``: a snapshot of every supplier, keyed by ``id``.
- ``catalogue``: a snapshot of every supplier's SKUs, one record per SKU with the
  ``supplier_id`` it came from added (the API nests items under their supplier), keyed by
  ``<supplier_id>:<sku>``. Snapshots show a SKU that a supplier dropped, which an
  incremental pull cannot; both are small.
- ``purchase_orders``: incremental by ``updated_since`` from the landing zone's `next_cursor`
  (the latest change that completed loads landed, minus `lookback`), keyed by ``id``. A
  purchase order changes as it moves through its statuses, and each change moves its
  ``updated_at``, so the cursor finds it again; the lookback re-reads what a supplier stamps
  late, and staging keeps the latest version of each key.

Pages stream into a `LoadWriter`, so memory holds one page and one part at most; each part is
validated by the entity's contract and failures are quarantined with their reasons. A pull of
purchase orders that fails part-way is resumed by the next one, from the cursor of the page
after the last one it kept, in the same load (`ingestion.paging.go_on`); a snapshot starts
again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.ingestion.paging import Page, checkpoint, go_on, one_ahead
from ichigen.ingestion.record_fields import id_key as record_key
from ichigen.ingestion.record_fields import updated_at
from ichigen.ingestion.supplier.client import SupplierClient
from ichigen.ingestion.supplier.contracts import (
    catalogue_contract,
    purchase_orders_contract,
    suppliers_contract,
)
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = [
    "CHANNEL",
    "DEFAULT_LOOKBACK",
    "ENTITIES",
    "PART_ROWS",
    "catalogue_key",
    "ingest_supplier",
    "record_key",
    "updated_at",
]

CHANNEL: Final = "supplier"
# Suppliers key in confirmations and shipments by hand, often the next morning with the time
# the event happened: a day of purchase orders is cheap to read again.
DEFAULT_LOOKBACK: Final = timedelta(days=1)
# Supplier records are small and flat (a purchase order is ~0.5 KB and a validation row per
# line): a part of 30,000 peaks lower than one of 5,000 orders of the other channels, and a
# part is one Great Expectations run of ~0.35 s whatever its size, so a large tier's 27,000
# purchase orders are one run, not six (their pull 6.4 -> 4.3 s with `one_ahead`).
PART_ROWS: Final = 30_000

Pages = Iterator[Page]


def catalogue_key(record: Mapping[str, Any]) -> str:
    """A SKU's terms are the supplier's: the same SKU could come from two suppliers."""
    return f"{record.get('supplier_id')}:{record.get('sku')}"


def _catalogue(client: SupplierClient, _: datetime | None, __: str | None) -> Pages:
    for supplier in client.list_suppliers():
        supplier_id = supplier.get("id")
        if not isinstance(supplier_id, str) or not supplier_id:
            continue  # no catalogue can be asked for; the suppliers load quarantines it
        items = client.catalogue(supplier_id)
        yield Page([{**item, "supplier_id": supplier_id} for item in items], following=None)


@dataclass(frozen=True)
class _Entity:
    resource: str
    incremental: bool
    contract: Callable[[], Contract]
    # (client, since, after): the pages from the first, or from a cursor (incremental only)
    pull: Callable[[SupplierClient, datetime | None, str | None], Pages]
    key: Callable[[Mapping[str, Any]], str] = record_key


ENTITIES: Final[Mapping[str, _Entity]] = {
    "suppliers": _Entity(
        "suppliers",
        False,
        suppliers_contract,
        lambda c, _, __: iter([Page(c.list_suppliers(), following=None)]),
    ),
    "catalogue": _Entity(
        "suppliers/{id}/catalogue", False, catalogue_contract, _catalogue, catalogue_key
    ),
    "purchase_orders": _Entity(
        "purchase_orders",
        True,
        purchase_orders_contract,
        lambda c, since, after: c.purchase_orders(updated_since=since, cursor=after),
    ),
}


def ingest_supplier(
    client: SupplierClient,
    zone: LandingZone,
    entity: str,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    validator: BatchValidator | None = None,
    part_rows: int = PART_ROWS,
) -> LoadManifest:
    """Pull `entity` (one of `ENTITIES`) into `zone`; returns the committed load's manifest.

    `validator` replaces the entity's contract (tests reuse one: building a Great
    Expectations context takes a while).
    """
    spec = ENTITIES.get(entity)
    if spec is None:
        raise ValueError(f"unknown supplier entity {entity!r}; known: {', '.join(ENTITIES)}")
    since = zone.next_cursor(CHANNEL, entity, lookback=lookback) if spec.incremental else None
    if since is not None:
        since = since.astimezone(UTC)  # a manifest may carry another offset
    with zone.open_load(
        CHANNEL,
        entity,
        source=client.source(spec.resource),
        cursor_start=since,
        cursor_end=None,
        validator=validator or BatchValidator(spec.contract()),
        part_rows=part_rows,
        resumable=spec.incremental,
    ) as load:
        since = load.cursor_start  # a resumed load keeps the window it began with
        pages = go_on(lambda after: spec.pull(client, since, after), load.checkpoint)
        for page in one_ahead(pages, name=f"supplier-{entity}"):
            load.add(page, key=spec.key, updated_at=updated_at, checkpoint=checkpoint(page))
        return load.commit()
