"""POS exports: one CSV per store and JST business day, in the till's own encoding.

A file is ``<store>/<store>_<YYYYMMDD>.csv`` in the POS drop folder, with the columns in
`POS_COLUMNS` (sales and refunds, one row per receipt line; a refund has negative 数量 and
金額 and names the sale it refunds in 元取引番号). Its encoding is detected (see `decoding`).

Rows land as the file holds them, values as text, plus ``_row`` (the 1-based data row, header
not counted). The contract quarantines, each with its reason, rows whose numbers or time do
not parse, whose JAN or SKU the catalogue does not know (when one is given) and rows with the
wrong number of fields; and every row of a receipt that breaks a receipt's rules (a negative
sale, a line whose 金額 is not 単価 × 数量 − 値引額, see `receipts`), with the reasons in
``_problems``. The file's other rows land. Staging keeps the newest ``_file_version`` of each
file, so a corrected export replaces the rows of the earlier one.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import polars as pl

from ichigen.ingestion.files.catalogue import Catalogue
from ichigen.ingestion.files.csvrows import keyed_rows
from ichigen.ingestion.files.decoding import decode_text
from ichigen.ingestion.files.folder import DroppedFile, ImportResult, import_folder
from ichigen.ingestion.files.receipts import PROBLEMS, REFUND, SALE, hold_back_broken_receipts
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = ["POS_COLUMNS", "import_pos", "pos_contract", "pos_key", "read_pos"]

POS_COLUMNS: Final = (
    "取引番号",  # receipt number (a refund's own number on 返品 rows)
    "明細番号",  # line number within the receipt
    "元取引番号",  # the refunded sale's receipt number; empty on sales
    "取引日時",  # JST, 2026/10/31 13:05:22
    "店舗コード",
    "レジ番号",
    "取引区分",  # 売上 | 返品
    "JANコード",
    "商品コード",  # the SKU
    "商品名",
    "数量",
    "単価",
    "値引額",
    "金額",
    "会員番号",
)
TRANSACTION_KINDS: Final = (SALE, REFUND)
_JST: Final = timezone(timedelta(hours=9))
_TILL_TIME: Final = "%Y/%m/%d %H:%M:%S"
_INTEGER: Final = r"^-?[0-9]+$"


def read_pos(file: DroppedFile) -> Iterator[dict[str, Any]]:
    """The rows of one store-day export (UndecodableFileError if it is in no known encoding),
    the rows of receipts that break a receipt's rules marked (see `receipts`)."""
    text = decode_text(file.data, file.path).text
    return iter(hold_back_broken_receipts(keyed_rows(text, file.path, required=POS_COLUMNS)))


def pos_key(row: Mapping[str, Any]) -> str:
    """Receipt and line: unique within a store's exports (a malformed row: file and row)."""
    if row.get("_malformed") is None and row.get("取引番号"):
        return f"{row['取引番号']}-{row.get('明細番号')}"
    return f"{row.get('_file')}#{row.get('_row')}"


def rung_up_at(row: Mapping[str, Any]) -> datetime | None:
    try:
        return (
            datetime.strptime(str(row.get("取引日時")), _TILL_TIME)
            .replace(tzinfo=_JST)
            .astimezone(UTC)
        )
    except ValueError:
        return None  # the contract quarantines the row; it has no time to offer


_EXTRACT: Final = {
    "receipt": "取引番号",
    "kind": "取引区分",
    "rung_up_at": "取引日時",
    "jan": "JANコード",
    "sku": "商品コード",
    "quantity": "数量",
    "unit_price": "単価",
    "discount": "値引額",
    "amount": "金額",
}


def _pos_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows = []
    for index, record in enumerate(records):
        row: dict[str, Any] = {"_row": index, "malformed": record.get("_malformed")}
        for name, column in _EXTRACT.items():
            value = record.get(column)
            row[name] = None if row["malformed"] else value
        row["receipt"] = row["receipt"] or None  # an empty receipt number is a missing one
        problems = record.get(PROBLEMS)
        row["receipt_rules"] = (
            f"receipt {row['receipt']} is held back whole: " + "; ".join(problems)
            if problems
            else None
        )
        rows.append(row)
    schema = {
        "_row": pl.Int64,
        "malformed": pl.String,
        **dict.fromkeys(_EXTRACT, pl.String),
        "receipt_rules": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def pos_contract(*, catalogue: Catalogue | None = None) -> Contract:
    """A POS row's numbers and time parse, its kind is known, and so are its JAN and SKU;
    its receipt keeps a receipt's rules (`receipts`)."""
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    expectations: list[Any] = [
        expect.ExpectColumnValuesToBeNull(column="malformed"),
        expect.ExpectColumnValuesToNotBeNull(column="receipt"),
        expect.ExpectColumnValuesToBeInSet(column="kind", value_set=list(TRANSACTION_KINDS)),
        # a time the till can print but the calendar lacks (2026/02/30) fails too
        expect.ExpectColumnValuesToMatchStrftimeFormat(
            column="rung_up_at", strftime_format=_TILL_TIME
        ),
        *(
            expect.ExpectColumnValuesToMatchRegex(column=column, regex=_INTEGER)
            for column in ("quantity", "unit_price", "discount", "amount")
        ),
        expect.ExpectColumnValuesToBeNull(column="receipt_rules"),
    ]
    if catalogue is not None:
        expectations += [
            expect.ExpectColumnValuesToBeInSet(column="jan", value_set=sorted(catalogue.jans)),
            expect.ExpectColumnValuesToBeInSet(column="sku", value_set=sorted(catalogue.skus)),
        ]
    return Contract(name="pos.sales", extract=_pos_rows, expectations=expectations)


def import_pos(
    drop_dir: Path,
    zone: LandingZone,
    *,
    catalogue: Catalogue | None = None,
    validator: BatchValidator | None = None,
) -> ImportResult:
    """Land every new or corrected POS export in `drop_dir` (``$ICHIGEN_POS_DROP_DIR``)."""
    return import_folder(
        drop_dir,
        zone,
        channel="pos",
        entity="sales",
        suffixes=[".csv"],
        read=read_pos,
        key=pos_key,
        updated_at=rung_up_at,
        validator=validator or BatchValidator(pos_contract(catalogue=catalogue)),
    )
