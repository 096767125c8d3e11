"""Suppliers: the purchase-order API client and the pulls that land suppliers and their orders.

    client     `SupplierClient` (suppliers, catalogues, purchase orders placed once per key)
    pull       `ingest_supplier`: one entity into the landing zone, validated
    contracts  what a landed record must satisfy, per entity

The client is configured by its caller (URL and API key); nothing here reads settings.
"""

from __future__ import annotations

from ichigen.ingestion.supplier.client import (
    DEFAULT_RATE_PER_S,
    MAX_IDEMPOTENCY_KEY,
    PAGE_LIMIT,
    IdempotencyKeyReusedError,
    OrderLine,
    PlacedPurchaseOrder,
    Problem,
    PurchaseOrderInvalidError,
    SupplierClient,
    SupplierRequestError,
)
from ichigen.ingestion.supplier.pull import DEFAULT_LOOKBACK, ENTITIES, ingest_supplier

__all__ = [
    "DEFAULT_LOOKBACK",
    "DEFAULT_RATE_PER_S",
    "ENTITIES",
    "MAX_IDEMPOTENCY_KEY",
    "PAGE_LIMIT",
    "IdempotencyKeyReusedError",
    "OrderLine",
    "PlacedPurchaseOrder",
    "Problem",
    "PurchaseOrderInvalidError",
    "SupplierClient",
    "SupplierRequestError",
    "ingest_supplier",
]
