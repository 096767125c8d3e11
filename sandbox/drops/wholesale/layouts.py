"""Each wholesale buyer's own order-sheet layout, as data.

Buyers send purchase orders in whatever their own system or template produces; each buyer's
layout is fixed, and layouts differ between buyers. One `WholesaleLayout` describes everything
needed to read any sheet of that buyer: file format and encoding, the row the header is on,
which header holds which field, whether items are named by SKU or by JAN, and how dates and
numbers are written. Import mappings and docs are built from these definitions.

Buyers take the layouts in turn, in order of buyer code (`assign_layouts`), so every layout
is in use as soon as there are as many buyers as layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

__all__ = [
    "DATE_FIELDS",
    "NUMBER_FIELDS",
    "WHOLESALE_LAYOUTS",
    "Column",
    "Field",
    "WholesaleLayout",
    "assign_layouts",
    "buyer_layouts",
]

Field = Literal[
    "po_no",  # the buyer's purchase-order number (the order's channel_order_id)
    "order_date",  # JST day the order was placed
    "delivery_date",  # the delivery day the buyer asks for
    "line_no",
    "sku",
    "jan",
    "product_name",  # Japanese title
    "product_name_en",
    "colour",
    "size",
    "quantity",
    "unit_price",  # JPY, tax-inclusive like every price in the world
    "amount",  # unit_price * quantity - the line's discount
]
DATE_FIELDS: Final[frozenset[Field]] = frozenset({"order_date", "delivery_date"})
NUMBER_FIELDS: Final[frozenset[Field]] = frozenset({"line_no", "quantity", "unit_price", "amount"})


@dataclass(frozen=True)
class Column:
    header: str
    field: Field


@dataclass(frozen=True)
class WholesaleLayout:
    """How one buyer writes its order sheets."""

    layout_id: str
    file_format: Literal["csv", "xlsx"]
    # A str.format template over po_no, buyer_code and order_date (a date: {order_date:%Y%m%d}).
    filename: str
    columns: tuple[Column, ...]
    # strftime format of dates written as text; None: real Excel date cells (xlsx only).
    date_format: str | None
    encoding: str = "utf-8"  # csv only; "utf-8-sig" writes a BOM, "cp932" is Shift_JIS
    line_terminator: str = "\r\n"  # csv only
    thousands_separator: bool = False  # quantities and money written as "12,000"
    sheet_name: str = "Sheet1"  # xlsx only
    # Rows above the header, cells formatted with company, buyer_code, po_no and order_date
    # (as text in `date_format`, or %Y/%m/%d); an empty tuple is a blank row.
    title_rows: tuple[tuple[str, ...], ...] = ()
    delivery_lead_days: int = 7  # the delivery day asked for, counted from the order day
    creator: str = ""  # the author an xlsx file records

    @property
    def header_row(self) -> int:
        """The 1-based row (line, in a CSV) that holds the column headers."""
        return len(self.title_rows) + 1

    @property
    def item_key(self) -> Literal["sku", "jan"]:
        """Which field names the item: the buyer's sheets use our SKU or the JAN barcode."""
        return "sku" if any(column.field == "sku" for column in self.columns) else "jan"

    @property
    def fields(self) -> dict[str, Field]:
        """Header -> field, the mapping an importer needs."""
        return {column.header: column.field for column in self.columns}


WHOLESALE_LAYOUTS: Final[tuple[WholesaleLayout, ...]] = (
    # A department-store buyer's in-house system: Shift_JIS CSV, the classic Japanese headers.
    WholesaleLayout(
        layout_id="jp_csv_cp932",
        file_format="csv",
        filename="発注書_{po_no}.csv",
        columns=(
            Column("発注番号", "po_no"),
            Column("発注日", "order_date"),
            Column("納品希望日", "delivery_date"),
            Column("行", "line_no"),
            Column("品番", "sku"),
            Column("品名", "product_name"),
            Column("カラー", "colour"),
            Column("サイズ", "size"),
            Column("数量", "quantity"),
            Column("単価", "unit_price"),
            Column("金額", "amount"),
        ),
        date_format="%Y/%m/%d",
        encoding="cp932",
    ),
    # A select shop with an English-speaking buying office: Excel, real date cells.
    WholesaleLayout(
        layout_id="en_xlsx",
        file_format="xlsx",
        filename="PO_{po_no}.xlsx",
        columns=(
            Column("PO No.", "po_no"),
            Column("Order Date", "order_date"),
            Column("Requested Delivery", "delivery_date"),
            Column("Line", "line_no"),
            Column("Item Code", "sku"),
            Column("Description", "product_name_en"),
            Column("Qty", "quantity"),
            Column("Unit Price", "unit_price"),
            Column("Amount", "amount"),
        ),
        date_format=None,
        sheet_name="Purchase Order",
        delivery_lead_days=10,
        creator="Buying Office",
    ),
    # A small shop's Excel template: a letterhead above the table, JAN codes, dates in kanji.
    WholesaleLayout(
        layout_id="jp_xlsx_titled_jan",
        file_format="xlsx",
        filename="{buyer_code}_{order_date:%Y%m%d}_{po_no}.xlsx",
        columns=(
            Column("No.", "line_no"),
            Column("伝票番号", "po_no"),
            Column("JANコード", "jan"),
            Column("商品名", "product_name"),
            Column("発注数", "quantity"),
            Column("卸単価", "unit_price"),
            Column("納期", "delivery_date"),
        ),
        date_format="%Y年%m月%d日",
        sheet_name="注文書",
        title_rows=(("注文書",), ("発注元", "{company}"), ("発注日", "{order_date}"), ()),
        delivery_lead_days=5,
        creator="{company}",
    ),
    # A chain's EDI export: plain UTF-8, ASCII headers, compact dates, no line numbers.
    WholesaleLayout(
        layout_id="edi_csv_utf8",
        file_format="csv",
        filename="order_{po_no}.csv",
        columns=(
            Column("order_no", "po_no"),
            Column("order_date", "order_date"),
            Column("delivery_date", "delivery_date"),
            Column("sku", "sku"),
            Column("qty", "quantity"),
            Column("unit_price", "unit_price"),
        ),
        date_format="%Y%m%d",
        line_terminator="\n",
        delivery_lead_days=3,
    ),
    # A sheet saved from Excel as "CSV UTF-8": a BOM, formatted numbers, dotted dates.
    WholesaleLayout(
        layout_id="jp_csv_bom_formatted",
        file_format="csv",
        filename="{po_no}.csv",
        columns=(
            Column("注文番号", "po_no"),
            Column("注文日", "order_date"),
            Column("商品コード", "sku"),
            Column("商品名", "product_name"),
            Column("注文数量", "quantity"),
            Column("卸単価", "unit_price"),
            Column("金額(税込)", "amount"),
        ),
        date_format="%Y.%m.%d",
        encoding="utf-8-sig",
        thousands_separator=True,
    ),
)


def assign_layouts(buyer_codes: Iterable[str]) -> dict[str, WholesaleLayout]:
    """Each buyer's layout: buyers in code order take `WHOLESALE_LAYOUTS` in turn."""
    ordered = sorted(set(buyer_codes))
    return {
        code: WHOLESALE_LAYOUTS[index % len(WHOLESALE_LAYOUTS)]
        for index, code in enumerate(ordered)
    }


def buyer_layouts(identities: pl.DataFrame) -> Mapping[str, WholesaleLayout]:
    """The layout of every wholesale buyer in the world's identities, by buyer code."""
    buyers = identities.filter(pl.col("channel") == "wholesale")["channel_customer_id"]
    return assign_layouts(buyers.drop_nulls().to_list())
