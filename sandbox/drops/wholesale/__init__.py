"""The wholesale buyers' order sheets: each buyer's purchase orders, in its own layout.

`layouts` describes each buyer's layout as data (the import mappings are built from it);
`sheets` writes one file per purchase order in its buyer's layout.
"""

from __future__ import annotations

from ichigen.sandbox.drops.wholesale.layouts import (
    WHOLESALE_LAYOUTS,
    WholesaleLayout,
    buyer_layouts,
)
from ichigen.sandbox.drops.wholesale.sheets import write_wholesale

__all__ = ["WHOLESALE_LAYOUTS", "WholesaleLayout", "buyer_layouts", "write_wholesale"]
