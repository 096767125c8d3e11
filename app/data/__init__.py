"""The app's one way to read data: the published snapshot, through a query module per page.

`connection` opens the snapshot read-only, once per published version, and answers what every
page asks (its tables, the channels, categories and locations to filter by, the period's
bounds); each page's queries live in the module named after it (`overview`, `orders`,
`customers`, `inventory`, `demand`, `reorder`, `returns`, `data_health`), cached for `TTL`.
"""

from __future__ import annotations

__all__ = [
    "connection",
    "customers",
    "data_health",
    "demand",
    "inventory",
    "orders",
    "overview",
    "reorder",
    "returns",
]
