"""Rakuten: the RMS Web Service client and the pulls that land orders and inventories.

    client     `RakutenClient` (order search and retrieval, stock reads and pushes)
    search     RMS's search windows and times (63-day windows, JST without a colon)
    pull       `ingest_orders` and `ingest_inventories` into the landing zone, validated
    contracts  what a landed record must satisfy, per entity

The client is configured by its caller (base URL, service secret, license key); nothing here
reads settings.
"""

from __future__ import annotations

from ichigen.ingestion.rakuten.client import (
    GET_ORDER_VERSION,
    MAX_BULK_GET,
    MAX_BULK_UPSERT,
    MAX_GET_ORDER,
    MAX_PAGE_RECORDS,
    MAX_QUANTITY,
    MAX_SEARCH_RESULTS,
    InventoryKey,
    OrderBatch,
    RakutenClient,
    RakutenRates,
    StockLevel,
    esa_authorization,
)
from ichigen.ingestion.rakuten.pull import (
    DEFAULT_LOOKBACK,
    DEFAULT_REOPEN,
    ingest_inventories,
    ingest_orders,
)

__all__ = [
    "DEFAULT_LOOKBACK",
    "DEFAULT_REOPEN",
    "GET_ORDER_VERSION",
    "MAX_BULK_GET",
    "MAX_BULK_UPSERT",
    "MAX_GET_ORDER",
    "MAX_PAGE_RECORDS",
    "MAX_QUANTITY",
    "MAX_SEARCH_RESULTS",
    "InventoryKey",
    "OrderBatch",
    "RakutenClient",
    "RakutenRates",
    "StockLevel",
    "esa_authorization",
    "ingest_inventories",
    "ingest_orders",
]
