"""Shopify: the Admin REST API client and the pulls that land its entities.

    client     `ShopifyClient` (pages, the call-limit pacer, stock pushes)
    pull       `ingest_shopify`: one entity into the landing zone, incrementally and validated
    contracts  what a landed record must satisfy, per entity

The client is configured by its caller (URL, token, API version); nothing here reads settings.
"""

from __future__ import annotations

from ichigen.ingestion.shopify.client import (
    CALL_LIMIT_HEADER,
    DRAIN_S,
    PAGE_LIMIT,
    CallLimitPacer,
    ShopifyClient,
)
from ichigen.ingestion.shopify.pull import DEFAULT_LOOKBACK, ENTITIES, ingest_shopify

__all__ = [
    "CALL_LIMIT_HEADER",
    "DEFAULT_LOOKBACK",
    "DRAIN_S",
    "ENTITIES",
    "PAGE_LIMIT",
    "CallLimitPacer",
    "ShopifyClient",
    "ingest_shopify",
]
