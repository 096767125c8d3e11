"""Shopify's own documented responses, served by the simulator in place of its world's.

The simulator keeps everything that makes it a shop (the access token, the call-limit bucket,
the API version in the path and headers); only the bodies of ``GET orders.json`` and
``GET locations.json`` are the documented ones (tests/fixtures/shopify/), so that the real
connector reads Shopify's published shapes over a socket. Orders are paged as Shopify pages
them, with a ``Link`` header to the next page, in the order given; `page_size` caps a page
below the `limit` asked for, so that a handful of documented orders still take several pages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ichigen.sandbox.schema import TABLES
from ichigen.sandbox.world import World

__all__ = ["DocumentedShop", "empty_world"]


@dataclass(frozen=True)
class DocumentedShop:
    """The bodies to serve: ``orders`` for orders.json, ``locations`` for locations.json."""

    orders: Sequence[Mapping[str, Any]] = ()
    locations: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    page_size: int = 250


def empty_world(now: datetime | None = None) -> World:
    """A world with no business in it: what a documented shop stands on (customers, products
    and inventory levels answer empty lists)."""
    tables = {name: pl.DataFrame(schema=schema) for name, schema in TABLES.items()}
    return World(tables, now=now or datetime.now(UTC), manifest={})
