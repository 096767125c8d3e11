"""`write_drops`: every file the outside world drops for ichigen during a window of time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

import polars as pl

from ichigen.sandbox.drops.jst import as_utc
from ichigen.sandbox.drops.pos import write_members, write_pos
from ichigen.sandbox.drops.stock import write_stock
from ichigen.sandbox.drops.summary import DropsSummary
from ichigen.sandbox.drops.wholesale import write_wholesale

__all__ = ["write_drops"]


def write_drops(
    tables: Mapping[str, pl.DataFrame],
    out_dir: Path,
    *,
    start: datetime,
    end: datetime,
    bad_row_rate: float = 0.0,
    seed: int = 0,
) -> DropsSummary:
    """Write the POS exports, member master, wholesale sheets and stock snapshots of [start, end).

    `tables` are the world's tables (`sandbox.schema.TABLES`); `out_dir` is normally
    ``$ICHIGEN_DATA_DIR/sandbox/drops``. Naive datetimes are taken as UTC. The same tables,
    window and seed always give the same bytes. `bad_row_rate` corrupts that fraction of POS
    rows (see `sandbox.drops.pos.faults`); the summary lists each one.
    """
    if as_utc(end) <= as_utc(start):
        raise ValueError(f"the window must end after it starts: start {start}, end {end}")
    pos = write_pos(tables, out_dir, start=start, end=end, bad_row_rate=bad_row_rate, seed=seed)
    members = write_members(tables, out_dir, start=start, end=end)
    wholesale = write_wholesale(tables, out_dir, start=start, end=end)
    stock = write_stock(tables, out_dir, end=end)
    return DropsSummary(
        out_dir=out_dir,
        files=tuple(sorted(pos.files + members.files + wholesale.files + stock.files)),
        pos_rows=pos.rows,
        member_rows=members.rows,
        wholesale_lines=wholesale.lines,
        stock_rows=stock.rows,
        faults=pos.faults,
    )
