"""What `write_drops` wrote, and which rows it corrupted on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["DropsSummary", "FaultKind", "RowFault"]

FaultKind = Literal[
    "unknown_jan",
    "empty_quantity",
    "non_numeric_quantity",
    "malformed_datetime",
    "wrong_sign_quantity",
    "tax_exclusive_amount",
]


@dataclass(frozen=True)
class RowFault:
    """One deliberately corrupted row: what an importer must quarantine, and why."""

    file: Path  # relative to the drops folder, e.g. pos/ST-SHIBUYA/ST-SHIBUYA_20261031.csv
    row: int  # 1-based data row within the file; the header row is not counted
    column: str  # the corrupted column, e.g. 数量
    fault: FaultKind
    value: str  # what the file holds in that column instead of the true value


@dataclass(frozen=True)
class DropsSummary:
    """The files one `write_drops` call produced, relative to `out_dir`, in sorted order."""

    out_dir: Path
    files: tuple[Path, ...]
    pos_rows: int  # sale and return rows across all POS files
    wholesale_lines: int  # lines across all wholesale sheets: orders, returns and red slips
    stock_rows: int
    member_rows: int = 0  # member master rows across the full export and the day files
    faults: tuple[RowFault, ...] = ()

    @property
    def files_written(self) -> int:
        return len(self.files)

    def files_of(
        self, kind: Literal["pos", "pos_members", "wholesale", "stock"]
    ) -> tuple[Path, ...]:
        return tuple(path for path in self.files if path.parts[0] == kind)
