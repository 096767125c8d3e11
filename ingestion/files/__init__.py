"""File importers: POS exports and members, wholesale order sheets, stock snapshots in folders.

Each importer lands a folder's new and corrected files as one validated load (see `folder`):
a file is imported once per content, a corrected file replaces its earlier version, and every
row is either accepted or quarantined with its reason. A small state file per folder, kept in
the landing zone, remembers what was imported.

    import_pos(settings.pos_drop_dir, zone, catalogue=...)
    import_members(settings.pos_members_drop_dir, zone)
    import_wholesale(settings.wholesale_drop_dir, zone, mappings=Path("my/mappings"))
    import_stock(settings.stock_drop_dir, zone)
"""

from __future__ import annotations

from ichigen.ingestion.files.catalogue import Catalogue
from ichigen.ingestion.files.decoding import Decoded, decode_text
from ichigen.ingestion.files.folder import ImportResult
from ichigen.ingestion.files.mapping import WholesaleMapping, load_mapping, load_mappings
from ichigen.ingestion.files.members import import_members
from ichigen.ingestion.files.pos import import_pos
from ichigen.ingestion.files.stock import import_stock
from ichigen.ingestion.files.wholesale import EXAMPLE_MAPPINGS, import_wholesale

__all__ = [
    "EXAMPLE_MAPPINGS",
    "Catalogue",
    "Decoded",
    "ImportResult",
    "WholesaleMapping",
    "decode_text",
    "import_members",
    "import_pos",
    "import_stock",
    "import_wholesale",
    "load_mapping",
    "load_mappings",
]
