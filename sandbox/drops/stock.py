"""Stock snapshots: what each warehouse's and store's stock system reports at the window's end.

One UTF-8 CSV per location with physical stock (warehouses and stores; FBA stock is Amazon's
and comes from its API), ``stock/<location>/stock_<YYYYMMDD>.csv``, dated with the last JST
business day the window covers: the snapshot taken as that day closes. The world's
`inventory` table is the stock at its clock, which is the window's end.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

import polars as pl

from ichigen.sandbox.drops.files import safe_segment, write_atomic
from ichigen.sandbox.drops.jst import JST, as_utc, last_business_day

__all__ = ["STOCKED_KINDS", "STOCK_COLUMNS", "StockDrop", "stock_path", "write_stock"]

STOCK_COLUMNS: Final = ("location_id", "sku", "jan", "on_hand", "snapshot_at")
STOCKED_KINDS: Final = ("warehouse", "store")


@dataclass(frozen=True)
class StockDrop:
    files: tuple[Path, ...]  # relative to the drops folder
    rows: int


def stock_path(location_id: str, day: date) -> Path:
    """Where a location's snapshot for a JST day lives, relative to the drops folder."""
    location = safe_segment(location_id, what="location id")
    return Path("stock", location, f"stock_{day:%Y%m%d}.csv")


def write_stock(tables: Mapping[str, pl.DataFrame], out_dir: Path, *, end: datetime) -> StockDrop:
    """Write every stocked location's snapshot as of `end`, one row per SKU it holds."""
    locations = sorted(
        tables["locations"].filter(pl.col("kind").is_in(STOCKED_KINDS))["location_id"].to_list()
    )
    snapshot_at = as_utc(end).astimezone(JST).isoformat()
    rows = (
        tables["inventory"]
        .filter(pl.col("location_id").is_in(locations))
        .join(tables["skus"].select("sku", "jan"), on="sku", how="left")
        .with_columns(pl.lit(snapshot_at).alias("snapshot_at"))
        .select(STOCK_COLUMNS)
        .sort("location_id", "sku")
    )
    by_location = rows.partition_by("location_id", as_dict=True)
    day = last_business_day(end)
    files: list[Path] = []
    for location in locations:
        part = by_location.get((location,), rows.clear())
        path = stock_path(location, day)
        write_atomic(out_dir / path, part.write_csv().encode("utf-8"))
        files.append(path)
    return StockDrop(files=tuple(files), rows=rows.height)
