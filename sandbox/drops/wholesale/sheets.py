"""Wholesale order sheets: one file per buyer purchase order, in that buyer's own layout.

A sheet is the buyer's purchase order as sent, so every wholesale order placed in the window
gets one, cancelled later or not. A buyer that sends goods back sends a return slip (返品伝票)
for each of the world's returns refunded in the window (one line, numbered by the return,
naming the order in 元伝票番号, dated the day the return is booked); a buyer that cancels an
order sends a red slip (赤伝) repeating every line of it, dated the day it cancelled. Files live
in ``wholesale/<buyer code>/``, named and laid out as the buyer's `WholesaleLayout` says.
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

__all__ = ["WholesaleDrop", "wholesale_lines", "wholesale_slips", "write_wholesale"]

_TITLE_DATE_FORMAT = "%Y/%m/%d"


@dataclass(frozen=True)
class WholesaleDrop:
    files: tuple[Path, ...]  # relative to the drops folder
    lines: int  # every line of every sheet: orders, returns and red slips


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
        .with_columns(
            pl.lit("order").alias("slip_kind"),
            pl.lit(None, pl.String).alias("original_po_no"),
            pl.lit(None, pl.String).alias("reason"),
            pl.col("order_id").alias("sheet_id"),
        )
        .sort("buyer_code", "po_no", "line_no")
    )


def _buyers(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    return (
        tables["identities"]
        .filter(pl.col("channel") == "wholesale")
        .select("identity_id", pl.col("channel_customer_id").alias("buyer_code"), "company")
    )


def _items(tables: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    return tables["skus"].join(
        tables["products"].select("product_id", "title", "title_en"), on="product_id", how="left"
    )


def _in_window(column: str, start: datetime, end: datetime) -> pl.Expr:
    return (pl.col(column) >= as_utc(start)) & (pl.col(column) < as_utc(end))


def wholesale_slips(
    tables: Mapping[str, pl.DataFrame], *, start: datetime, end: datetime
) -> pl.DataFrame:
    """The lines of the return slips and red slips buyers send in [start, end), shaped as
    `wholesale_lines`: po_no is the slip's own number, original_po_no the order's."""
    orders = (
        tables["orders"]
        .filter(pl.col("channel") == "wholesale")
        .join(_buyers(tables), on="identity_id", how="inner")
        .select("order_id", "buyer_code", "company", "channel_order_id", "cancelled_at")
    )
    lines = tables["order_lines"].join(orders.select("order_id"), on="order_id")
    returns = (
        tables["returns"]
        .filter(_in_window("refunded_at", start, end))
        .join(orders, on="order_id")
        .join(lines.select("order_id", "line_no", "unit_price_jpy"), on=["order_id", "line_no"])
        .select(
            pl.col("return_id").alias("sheet_id"),
            "order_id",
            "buyer_code",
            "company",
            pl.col("refunded_at").alias("created_at"),
            pl.col("return_id").alias("po_no"),
            pl.lit(1, pl.Int32).alias("line_no"),
            "sku",
            pl.col("quantity"),
            pl.col("unit_price_jpy").alias("unit_price"),
            pl.col("refund_jpy").alias("amount"),
            pl.lit("return").alias("slip_kind"),
            pl.col("channel_order_id").alias("original_po_no"),
            "reason",
        )
    )
    cancelled = (
        orders.filter(_in_window("cancelled_at", start, end))
        .join(lines, on="order_id")
        .select(
            (pl.col("channel_order_id") + "-C").alias("sheet_id"),
            "order_id",
            "buyer_code",
            "company",
            pl.col("cancelled_at").alias("created_at"),
            (pl.col("channel_order_id") + "-C").alias("po_no"),
            "line_no",
            "sku",
            "quantity",
            pl.col("unit_price_jpy").alias("unit_price"),
            (pl.col("unit_price_jpy") * pl.col("quantity") - pl.col("discount_jpy")).alias(
                "amount"
            ),
            pl.lit("cancellation").alias("slip_kind"),
            pl.col("channel_order_id").alias("original_po_no"),
            pl.lit(None, pl.String).alias("reason"),
        )
    )
    return (
        pl.concat([returns, cancelled], how="diagonal_relaxed")
        .with_columns(jst("created_at").dt.date().alias("order_date"))
        .join(
            _items(tables).select(
                "sku",
                "jan",
                pl.col("title").alias("product_name"),
                pl.col("title_en").alias("product_name_en"),
                "colour",
                "size",
            ),
            on="sku",
            how="left",
        )
        .sort("buyer_code", "slip_kind", "po_no", "line_no")
    )


def write_wholesale(
    tables: Mapping[str, pl.DataFrame], out_dir: Path, *, start: datetime, end: datetime
) -> WholesaleDrop:
    """Write one sheet per wholesale order placed in [start, end), one return slip per return
    refunded in it and one red slip per order cancelled in it."""
    orders = wholesale_lines(tables, start=start, end=end)
    slips = wholesale_slips(tables, start=start, end=end)
    lines = pl.concat([orders, slips.select(orders.columns)], how="vertical_relaxed")
    layouts = buyer_layouts(tables["identities"])
    files: list[Path] = []
    # A few thousand sheets at most: one loop per sheet is cheap next to writing the files.
    for sheet in lines.partition_by("sheet_id", maintain_order=True):
        order = sheet.row(0, named=True)
        layout = layouts[order["buyer_code"]]
        path = Path(
            "wholesale",
            safe_segment(order["buyer_code"], what="buyer code"),
            safe_segment(
                layout.filename_of(order["slip_kind"]).format(
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
        "slip_title": layout.slip_kinds[order["slip_kind"]],
        "original_po_no": order["original_po_no"] or "",
    }
    rows: list[list[object]] = [
        [cell.format(**context) for cell in title] for title in layout.title_rows
    ]
    rows.append([column.header for column in layout.columns])
    delivery = timedelta(days=layout.delivery_lead_days)
    sign = -1 if order["slip_kind"] in layout.negative_kinds else 1
    for line in sheet.iter_rows(named=True):
        kind = line["slip_kind"]
        # a slip asks for no delivery; it says what it is and, if a return, why
        line["delivery_date"] = line["order_date"] + delivery if kind == "order" else None
        line["slip_kind"] = layout.slip_kinds[kind]
        line["reason"] = layout.return_reasons.get(line["reason"] or "")
        line["quantity"] *= sign
        line["amount"] *= sign
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
