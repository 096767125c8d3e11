"""Amazon: the Selling Partner API client and the pulls that land its entities.

    client     `AmazonClient` and its `AmazonConfig` (where SP-API is, the seller's credentials)
    auth       Login with Amazon: access tokens from the refresh token
    rates      one usage plan per operation, paced at the rate Amazon announces
    pull       `ingest_amazon`: one entity into the landing zone, incrementally and validated
    contracts  what a landed record must satisfy, per entity

The client is configured by its caller (an `AmazonConfig`); nothing here reads settings.
"""

from __future__ import annotations

from ichigen.ingestion.amazon.client import AmazonClient, AmazonConfig, OrdersPage, iso_z
from ichigen.ingestion.amazon.pull import DEFAULT_LOOKBACK, ENTITIES, ingest_amazon
from ichigen.ingestion.amazon.rates import PUBLISHED_RATES

__all__ = [
    "DEFAULT_LOOKBACK",
    "ENTITIES",
    "PUBLISHED_RATES",
    "AmazonClient",
    "AmazonConfig",
    "OrdersPage",
    "ingest_amazon",
    "iso_z",
]
