"""Wholesale order sheets: one file per buyer purchase order, in that buyer's own layout.

A sheet is the buyer's purchase order as sent, so every wholesale order placed in the window
gets one, cancelled later or not (cancellations come by phone, not as files). Files live in
``wholesale/<buyer code>/``, named and laid out as the buyer's `WholesaleLayout` says.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ichigen.sandbox.drops.files import encode_text, safe_segment, write_atomic
from ichigen.sandbox.drops.jst import as_utc, jst
from ichigen.sandbox.drops.wholesale.layouts import (
    DATE_FIELDS,
    NUMBER_FIELDS,
    WholesaleLayout,
    buyer_layouts,
)
from ichigen.sandbox.drops.xlsx import xlsx_bytes

__all__ = ["WholesaleDrop", "wholesale_lines", "write_wholesale"]

_TITLE_DATE_FORMAT = "%Y/%m/%d"


@dataclass(frozen=True)
class WholesaleDrop:
    files: tuple[Path, ...]  # relative to the drops folder
    lines: int


def wholesale_lines(
    tables: Mapping[str, pl.DataFrame], *, start: datetime, end: datetime
) -> pl.DataFrame:
    """The lines of the wholesale orders placed in [start, end), with what sheets show."""
    buyers = tables["identities"].filter(pl.col("channel") == "wholesale")
    orders = (
        tables["orders"]
        .filter(
            (pl.col("channel") == "wholesale")
            & (pl.col("created_at") >= as_utc(start))
            & (pl.col("created_at") < as_utc(end))
        )
        .join(
            buyers.select(
                "identity_id", pl.col("channel_customer_id").alias("buyer_code"), "company"
            ),
            on="identity_id",
            how="left",
        )
    )
    orphans = orders.filter(pl.col("buyer_code").is_null())
    if not orphans.is_empty():
        raise ValueError(
            f"{orphans.height} wholesale orders have no buyer (a wholesale identity), "
            f"e.g. {orphans['order_id'][0]} with identity {orphans['identity_id'][0]}"
        )
    items = tables["skus"].join(
        tables["products"].select("product_id", "title", "title_en"), on="product_id", how="left"
    )
    return (
        orders.select(
            "order_id",
            "buyer_code",
            "company",
            "created_at",
            pl.col("channel_order_id").alias("po_no"),
            jst("created_at").dt.date().alias("order_date"),
        )
        .join(tables["order_lines"], on="order_id")
        .join(items, on="sku", how="left")
        .select(
            "order_id",
            "buyer_code",
            "company",
            "created_at",
            "po_no",
            "order_date",
            "line_no",
            "sku",
            "jan",
            pl.col("title").alias("product_name"),
            pl.col("title_en").alias("product_name_en"),
            "colour",
            "size",
            "quantity",
            pl.col("unit_price_jpy").alias("unit_price"),
            (pl.col("unit_price_jpy") * pl.col("quantity") - pl.col("discount_jpy")).alias(
                "amount"
            ),
        )
        .sort("buyer_code", "po_no", "line_no")
    )


def write_wholesale(
    tables: Mapping[str, pl.DataFrame], out_dir: Path, *, start: datetime, end: datetime
) -> WholesaleDrop:
    """Write one sheet per wholesale order placed in [start, end)."""
    lines = wholesale_lines(tables, start=start, end=end)
    layouts = buyer_layouts(tables["identities"])
    files: list[Path] = []
    # A few thousand orders at most: one loop per sheet is cheap next to writing the files.
    for sheet in lines.partition_by("order_id", maintain_order=True):
        order = sheet.row(0, named=True)
        layout = layouts[order["buyer_code"]]
        path = Path(
            "wholesale",
            safe_segment(order["buyer_code"], what="buyer code"),
            safe_segment(
                layout.filename.format(
                    po_no=order["po_no"],
                    buyer_code=order["buyer_code"],
                    order_date=order["order_date"],
                ),
                what="sheet name",
            ),
        )
        write_atomic(out_dir / path, _sheet_bytes(sheet, order, layout))
        files.append(path)
    return WholesaleDrop(files=tuple(files), lines=lines.height)


def _sheet_bytes(sheet: pl.DataFrame, order: dict[str, Any], layout: WholesaleLayout) -> bytes:
    title_date = layout.date_format or _TITLE_DATE_FORMAT
    context = {
        "company": order["company"] or "",
        "buyer_code": order["buyer_code"],
        "po_no": order["po_no"],
        "order_date": order["order_date"].strftime(title_date),
    }
    rows: list[list[object]] = [
        [cell.format(**context) for cell in title] for title in layout.title_rows
    ]
    rows.append([column.header for column in layout.columns])
    delivery = timedelta(days=layout.delivery_lead_days)
    for line in sheet.iter_rows(named=True):
        line["delivery_date"] = line["order_date"] + delivery
        rows.append([_cell(line[column.field], column.field, layout) for column in layout.columns])
    if layout.file_format == "xlsx":
        return xlsx_bytes(
            rows,
            sheet_name=layout.sheet_name,
            stamped=order["created_at"],
            creator=layout.creator.format(**context),
        )
    text = io.StringIO()
    csv.writer(text, lineterminator=layout.line_terminator).writerows(rows)
    return encode_text(text.getvalue(), layout.encoding)


def _cell(value: object, field: str, layout: WholesaleLayout) -> object:
    if value is None:
        return None if layout.file_format == "xlsx" else ""
    if field in DATE_FIELDS and isinstance(value, date):
        return value if layout.date_format is None else value.strftime(layout.date_format)
    if field in NUMBER_FIELDS and layout.thousands_separator and field != "line_no":
        return f"{value:,}"
    return value
