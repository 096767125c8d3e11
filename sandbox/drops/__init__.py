"""The sandbox's file channels: the files the outside world drops in folders for ichigen.

`write_drops` writes, under the drops folder (``$ICHIGEN_DATA_DIR/sandbox/drops``)::

    pos/<store>/<store>_<YYYYMMDD>.csv            a store's till export for a JST business day
    pos_members/members_<YYYYMMDD>[_full].csv    the member master: a day's registrations (or all)
    wholesale/<buyer code>/<sheet per slip>       a buyer's purchase order, return slip or red slip
    stock/<location>/stock_<YYYYMMDD>.csv         a warehouse's or store's stock snapshot

Every file is written atomically (a dot-named ``.tmp`` file renamed over it) and is the same
bytes for the same tables, window and seed. See `pos.sales`, `pos.members`, `wholesale.layouts`
and `stock` for the formats.
"""

from __future__ import annotations

from ichigen.sandbox.drops.pos import (
    FAULT_KINDS,
    MEMBER_COLUMNS,
    POS_COLUMNS,
    STORE_FORMATS,
    StoreFormat,
)
from ichigen.sandbox.drops.stock import STOCK_COLUMNS
from ichigen.sandbox.drops.summary import DropsSummary, RowFault
from ichigen.sandbox.drops.wholesale import (
    WHOLESALE_LAYOUTS,
    WholesaleLayout,
    buyer_layouts,
)
from ichigen.sandbox.drops.write import write_drops

__all__ = [
    "FAULT_KINDS",
    "MEMBER_COLUMNS",
    "POS_COLUMNS",
    "STOCK_COLUMNS",
    "STORE_FORMATS",
    "WHOLESALE_LAYOUTS",
    "DropsSummary",
    "RowFault",
    "StoreFormat",
    "WholesaleLayout",
    "buyer_layouts",
    "write_drops",
]
