"""Stock snapshots: what each warehouse's and store's stock system counts, per location.

A file is ``<location>/stock_<YYYYMMDD>.csv`` in the stock drop folder with the columns
`STOCK_COLUMNS` (``jan`` may be empty), one row per SKU the location holds, all rows sharing
the moment the snapshot was taken (``snapshot_at``, ISO 8601 with offset). A SKU missing from
a snapshot has no stock there. Rows land as text plus ``_row``; the contract quarantines rows
whose count or time does not parse (a time shaped right on a day the calendar lacks too) or
whose SKU the catalogue does not know. A location the business does not know is not the file's
to tell: the warehouse keeps such rows and flags them (int_stock_levels_unioned.data_flag).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from ichigen.ingestion.files.catalogue import Catalogue
from ichigen.ingestion.files.csvrows import keyed_rows
from ichigen.ingestion.files.decoding import decode_text
from ichigen.ingestion.files.folder import DroppedFile, ImportResult, import_folder
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = ["STOCK_COLUMNS", "import_stock", "read_stock", "stock_contract", "stock_key"]

STOCK_COLUMNS: Final = ("location_id", "sku", "jan", "on_hand", "snapshot_at")
_REQUIRED: Final = ("location_id", "sku", "on_hand", "snapshot_at")
_ISO_WITH_OFFSET: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[+-]\d{2}:\d{2}|Z)$"


def read_stock(file: DroppedFile) -> Iterator[dict[str, Any]]:
    text = decode_text(file.data, file.path).text
    return keyed_rows(text, file.path, required=_REQUIRED)


def stock_key(row: Mapping[str, Any]) -> str:
    if row.get("_malformed") is None and row.get("sku"):
        return f"{row.get('location_id')}:{row['sku']}"
    return f"{row.get('_file')}#{row.get('_row')}"


def snapshot_at(row: Mapping[str, Any]) -> datetime | None:
    try:
        return datetime.fromisoformat(str(row.get("snapshot_at"))).astimezone(UTC)
    except ValueError:
        return None


def _impossible_time(row: Mapping[str, Any]) -> str | None:
    """The snapshot time when it is shaped like one but names no real moment (2026-02-30)."""
    text = row.get("snapshot_at")
    if text and re.match(_ISO_WITH_OFFSET, text) and snapshot_at(row) is None:
        return str(text)
    return None


def _stock_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    columns = ("location_id", "sku", "on_hand", "snapshot_at")
    rows = []
    for index, record in enumerate(records):
        malformed = record.get("_malformed")
        row = {"_row": index, "malformed": malformed}
        row.update({c: None if malformed else (record.get(c) or None) for c in columns})
        row["impossible_time"] = _impossible_time(row)
        rows.append(row)
    schema = {
        "_row": pl.Int64,
        "malformed": pl.String,
        **dict.fromkeys(columns, pl.String),
        "impossible_time": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def stock_contract(*, catalogue: Catalogue | None = None) -> Contract:
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    expectations: list[Any] = [
        expect.ExpectColumnValuesToBeNull(column="malformed"),
        expect.ExpectColumnValuesToNotBeNull(column="location_id"),
        expect.ExpectColumnValuesToNotBeNull(column="sku"),
        expect.ExpectColumnValuesToMatchRegex(column="on_hand", regex=r"^[0-9]+$"),
        expect.ExpectColumnValuesToMatchRegex(column="snapshot_at", regex=_ISO_WITH_OFFSET),
        expect.ExpectColumnValuesToBeDateutilParseable(column="impossible_time"),
    ]
    if catalogue is not None:
        expectations.append(
            expect.ExpectColumnValuesToBeInSet(column="sku", value_set=sorted(catalogue.skus))
        )
    return Contract(
        name="stock.snapshots",
        extract=_stock_rows,
        expectations=expectations,
        shown_as={"impossible_time": "snapshot_at"},
    )


def import_stock(
    drop_dir: Path,
    zone: LandingZone,
    *,
    catalogue: Catalogue | None = None,
    validator: BatchValidator | None = None,
) -> ImportResult:
    """Land every new or corrected snapshot in `drop_dir` (``$ICHIGEN_STOCK_DROP_DIR``)."""
    return import_folder(
        drop_dir,
        zone,
        channel="stock",
        entity="snapshots",
        suffixes=[".csv"],
        read=read_stock,
        key=stock_key,
        updated_at=snapshot_at,
        validator=validator or BatchValidator(stock_contract(catalogue=catalogue)),
    )
