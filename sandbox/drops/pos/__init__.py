"""The stores' files: the tills' nightly sales exports and the membership system's master.

`sales` writes one CSV per store and JST business day (`faults` corrupts rows of them the way
real till exports go wrong, when asked); `members` writes the member master (会員マスタ) that
says who holds the cards the tills record.
"""

from __future__ import annotations

from ichigen.sandbox.drops.pos.faults import FAULT_KINDS
from ichigen.sandbox.drops.pos.members import MEMBER_COLUMNS, write_members
from ichigen.sandbox.drops.pos.sales import POS_COLUMNS, STORE_FORMATS, StoreFormat, write_pos

__all__ = [
    "FAULT_KINDS",
    "MEMBER_COLUMNS",
    "POS_COLUMNS",
    "STORE_FORMATS",
    "StoreFormat",
    "write_members",
    "write_pos",
]
