"""Each wholesale buyer's own order-sheet layout, as data.

Buyers send purchase orders in whatever their own system or template produces; each buyer's
layout is fixed, and layouts differ between buyers. One `WholesaleLayout` describes everything
needed to read any sheet of that buyer: file format and encoding, the row the header is on,
which header holds which field, whether items are named by SKU or by JAN, and how dates and
numbers are written. Import mappings and docs are built from these definitions.

Buyers print their return slips (返品伝票) and red slips (赤伝, an order cancelled) in the same
layout as their orders, one slip per file: a buyer's system or template issues every slip it
sends, and a slip's fields are an order's plus its kind (伝票区分) and the slip it refers to
(元伝票番号). Paper forms keep them apart (the チェーンストア統一伝票 has its own 返品伝票
form) and so does EDI (流通BMS sends returns as their own message), so here each kind has its
own file name, and the title-row template names the kind in its title cell. How each layout
writes the kind (words, codes or the title) and whether red ink is a minus sign differ.

Buyers take the layouts in turn, in order of buyer code (`assign_layouts`), so every layout
is in use as soon as there are as many buyers as layouts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    "slip_kind",  # 伝票区分 as the layout writes it (`WholesaleLayout.slip_kinds`)
    "original_po_no",  # 元伝票番号: the order a return or red slip refers to; empty on orders
    "reason",  # 返品理由 as the layout writes it; empty on orders and red slips
]
SlipKind = Literal["order", "return", "cancellation"]
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
    # How the slip_kind field (or `{slip_title}` in a title row) writes each kind.
    slip_kinds: Mapping[SlipKind, str] = field(
        default_factory=lambda: {"order": "通常", "return": "返品", "cancellation": "赤伝"}
    )
    # File names of returns and red slips (templates as `filename`, po_no the slip's number).
    slip_filenames: Mapping[SlipKind, str] = field(default_factory=dict)
    # The kinds whose quantities and amounts are written negative (red ink).
    negative_kinds: frozenset[SlipKind] = frozenset()
    # How the reason field writes the world's return reasons; a reason left out is blank.
    return_reasons: Mapping[str, str] = field(default_factory=dict)

    def filename_of(self, kind: SlipKind) -> str:
        return self.slip_filenames.get(kind, self.filename) if kind != "order" else self.filename

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
            Column("伝票区分", "slip_kind"),
            Column("元伝票番号", "original_po_no"),
            Column("返品理由", "reason"),
        ),
        date_format="%Y/%m/%d",
        encoding="cp932",
        slip_kinds={"order": "発注", "return": "返品", "cancellation": "赤伝"},
        slip_filenames={"return": "返品伝票_{po_no}.csv", "cancellation": "赤伝_{po_no}.csv"},
        negative_kinds=frozenset({"cancellation"}),
        return_reasons={"defect": "不良品", "size": "サイズ違い", "damaged_in_transit": "破損"},
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
            Column("Type", "slip_kind"),
            Column("Original PO", "original_po_no"),
            Column("Reason", "reason"),
        ),
        date_format=None,
        slip_kinds={"order": "Order", "return": "Return", "cancellation": "Cancellation"},
        slip_filenames={"return": "RT_{po_no}.xlsx", "cancellation": "CXL_{po_no}.xlsx"},
        return_reasons={"defect": "Defective", "size": "Wrong size", "wrong_item": "Wrong item"},
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
        title_rows=(
            ("{slip_title}",),
            ("発注元", "{company}"),
            ("発注日", "{order_date}"),
            ("元伝票番号", "{original_po_no}"),
        ),
        delivery_lead_days=5,
        creator="{company}",
        # the template's title says what the slip is; red ink is a minus sign
        slip_kinds={"order": "注文書", "return": "返品伝票", "cancellation": "赤伝票"},
        slip_filenames={
            "return": "{buyer_code}_{order_date:%Y%m%d}_返品_{po_no}.xlsx",
            "cancellation": "{buyer_code}_{order_date:%Y%m%d}_赤伝_{po_no}.xlsx",
        },
        negative_kinds=frozenset({"return", "cancellation"}),
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
            Column("slip_type", "slip_kind"),
            Column("orig_order_no", "original_po_no"),
            Column("reason_code", "reason"),
        ),
        date_format="%Y%m%d",
        line_terminator="\n",
        delivery_lead_days=3,
        # the chain's own data-kind codes, which only its mapping can tell
        slip_kinds={"order": "10", "return": "20", "cancellation": "90"},
        slip_filenames={"return": "return_{po_no}.csv", "cancellation": "cancel_{po_no}.csv"},
        negative_kinds=frozenset({"cancellation"}),
        return_reasons={"defect": "R01", "size": "R02", "wrong_item": "R03"},
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
            Column("区分", "slip_kind"),
            Column("元伝票番号", "original_po_no"),
        ),
        date_format="%Y.%m.%d",
        encoding="utf-8-sig",
        thousands_separator=True,
        slip_kinds={"order": "通常", "return": "返品", "cancellation": "取消"},
        slip_filenames={"return": "返品_{po_no}.csv", "cancellation": "取消_{po_no}.csv"},
        negative_kinds=frozenset({"return", "cancellation"}),
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
