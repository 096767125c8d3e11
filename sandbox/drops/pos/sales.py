"""POS exports: one CSV per store and JST business day, as the stores' tills write them.

Each file holds the day's sales (取引区分 売上, one row per receipt line) and refunds (返品, one
row per returned line, with negative 数量 and 金額) in the order they were rung up. A refund is
its own receipt: 取引番号 is the return's id and 元取引番号 the sale it refunds. On every row
``金額 = 単価 × 数量 − 値引額``, so a refund's 値引額 is the discount given back (zero or less).

The tills export every night, so a store's file exists for each day of the window even when
it sold nothing (a header-only file): an importer can tell a quiet day from a missing file.
A day's file holds all of that day's events before the window's end; if the end falls inside
a day, the next window rewrites that day's file in full.

Each store's till vendor writes its own encoding (`STORE_FORMATS`), fixed per store; a store
not listed there writes plain UTF-8.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final, Literal

import polars as pl

from ichigen.sandbox.drops.files import encode_text, safe_segment, write_atomic
from ichigen.sandbox.drops.jst import as_utc, business_days, first_day_start, jst
from ichigen.sandbox.drops.pos.faults import inject_faults
from ichigen.sandbox.drops.summary import RowFault

__all__ = [
    "DEFAULT_STORE_FORMAT",
    "POS_COLUMNS",
    "STORE_FORMATS",
    "PosDrop",
    "StoreFormat",
    "pos_path",
    "pos_rows",
    "write_pos",
]

POS_COLUMNS: Final = (
    "取引番号",  # receipt number: the order's channel_order_id, or the return's id for 返品
    "明細番号",  # line number within the sale (the sold line's number on a refund)
    "元取引番号",  # the refunded sale's receipt number; empty on sales
    "取引日時",  # JST, "2026/10/31 13:05:22"
    "店舗コード",
    "レジ番号",
    "取引区分",  # 売上 | 返品
    "JANコード",
    "商品コード",  # the SKU
    "商品名",
    "数量",
    "単価",
    "値引額",
    "金額",  # tax-inclusive line amount
    "会員番号",  # member card number; empty for walk-in customers
)


@dataclass(frozen=True)
class StoreFormat:
    """How one store's till writes its CSV."""

    encoding: str  # Python codec; "utf-8-sig" writes a BOM
    line_terminator: str
    quote_style: Literal["necessary", "always"]
    registers: int  # receipts are spread over this many tills


STORE_FORMATS: Final[Mapping[str, StoreFormat]] = {
    # An older till on Windows: Shift_JIS (CP932), CRLF, every field quoted.
    "ST-SHIBUYA": StoreFormat("cp932", "\r\n", "always", registers=4),
    # A cloud POS whose export is meant to open in Excel, hence the BOM.
    "ST-SHINJUKU": StoreFormat("utf-8-sig", "\r\n", "necessary", registers=3),
    "ST-UMEDA": StoreFormat("utf-8", "\n", "necessary", registers=2),
    "ST-YOKOHAMA": StoreFormat("utf-8-sig", "\r\n", "necessary", registers=2),
    # Another Shift_JIS till, quoting only where needed.
    "ST-FUKUOKA": StoreFormat("cp932", "\r\n", "necessary", registers=2),
}
DEFAULT_STORE_FORMAT: Final = StoreFormat("utf-8", "\n", "necessary", registers=2)


@dataclass(frozen=True)
class PosDrop:
    files: tuple[Path, ...]  # relative to the drops folder
    rows: int
    faults: tuple[RowFault, ...]


def pos_path(store_id: str, day: date) -> Path:
    """Where a store's export for a JST day lives, relative to the drops folder."""
    store = safe_segment(store_id, what="store id")
    return Path("pos", store, f"{store}_{day:%Y%m%d}.csv")


def _store_ids(locations: pl.DataFrame) -> list[str]:
    return sorted(locations.filter(pl.col("kind") == "store")["location_id"].to_list())


def pos_rows(tables: Mapping[str, pl.DataFrame], *, start: datetime, end: datetime) -> pl.DataFrame:
    """Every POS row of the JST days overlapping [start, end), up to `end`, in file order.

    Besides `POS_COLUMNS`, rows carry ``_day`` (the JST business day) and ``_row`` (the 1-based
    data row within the day's file).
    """
    stores = _store_ids(tables["locations"])
    since = first_day_start(start)
    until = as_utc(end)
    orders = tables["orders"].filter(pl.col("channel") == "pos")
    misplaced = orders.filter(~pl.col("location_id").is_in(stores))
    if not misplaced.is_empty():
        raise ValueError(
            f"{misplaced.height} POS orders are not at a store location (kind 'store'), "
            f"e.g. {misplaced['order_id'][0]} at {misplaced['location_id'][0]}"
        )

    def happened(column: str) -> pl.Expr:
        return (pl.col(column) >= since) & (pl.col(column) < until)

    # A voided sale never leaves the till, so cancelled POS orders are not exported.
    sales = (
        orders.filter(happened("created_at") & pl.col("cancelled_at").is_null())
        .select("order_id", "channel_order_id", "location_id", "identity_id", "created_at")
        # Orders carry totals named like the lines' (discount_jpy): only the keys are joined.
        .join(tables["order_lines"], on="order_id")
        .select(
            pl.col("created_at").alias("_ts"),
            pl.col("channel_order_id").alias("取引番号"),
            pl.col("line_no").alias("明細番号"),
            pl.lit(None, pl.String).alias("元取引番号"),
            pl.lit("売上").alias("取引区分"),
            pl.col("location_id").alias("店舗コード"),
            "identity_id",
            "sku",
            pl.col("quantity").cast(pl.Int64).alias("数量"),
            pl.col("unit_price_jpy").alias("単価"),
            pl.col("discount_jpy").alias("値引額"),
            (pl.col("unit_price_jpy") * pl.col("quantity") - pl.col("discount_jpy")).alias("金額"),
        )
    )
    refunds = (
        tables["returns"]
        .filter(happened("refunded_at"))
        .join(
            orders.select("order_id", "channel_order_id", "location_id", "identity_id"),
            on="order_id",
        )
        .join(
            tables["order_lines"].select("order_id", "line_no", "unit_price_jpy"),
            on=["order_id", "line_no"],
            how="left",
        )
        .select(
            pl.col("refunded_at").alias("_ts"),
            pl.col("return_id").alias("取引番号"),
            pl.col("line_no").alias("明細番号"),
            pl.col("channel_order_id").alias("元取引番号"),
            pl.lit("返品").alias("取引区分"),
            pl.col("location_id").alias("店舗コード"),
            "identity_id",
            "sku",
            (-pl.col("quantity").cast(pl.Int64)).alias("数量"),
            pl.col("unit_price_jpy").alias("単価"),
            (pl.col("refund_jpy") - pl.col("unit_price_jpy") * pl.col("quantity")).alias("値引額"),
            (-pl.col("refund_jpy")).alias("金額"),
        )
    )
    items = tables["skus"].join(
        tables["products"].select("product_id", "title"), on="product_id", how="left"
    )
    members = tables["identities"].select("identity_id", "channel_customer_id")
    tills = pl.DataFrame(
        {
            "店舗コード": stores,
            "_tills": [STORE_FORMATS.get(s, DEFAULT_STORE_FORMAT).registers for s in stores],
        },
        schema={"店舗コード": pl.String, "_tills": pl.Int64},
    )
    day_key = ["店舗コード", "_day"]
    new_receipt = (pl.col("取引番号") != pl.col("取引番号").shift()).fill_null(value=True)
    return (
        pl.concat([sales, refunds])
        .join(items.select("sku", "jan", "title"), on="sku", how="left")
        .join(members, on="identity_id", how="left")
        .join(tills, on="店舗コード", how="left")
        .with_columns(jst("_ts").dt.date().alias("_day"))
        .sort("店舗コード", "_ts", "取引番号", "明細番号")
        .with_columns(
            jst("_ts").dt.strftime("%Y/%m/%d %H:%M:%S").alias("取引日時"),
            # Receipts go round the store's tills in turn: a stand-in for which till was free.
            ((new_receipt.cum_sum().over(day_key) - 1) % pl.col("_tills") + 1).alias("レジ番号"),
            (pl.int_range(pl.len()).over(day_key) + 1).alias("_row"),
            pl.col("jan").alias("JANコード"),
            pl.col("sku").alias("商品コード"),
            pl.col("title").alias("商品名"),
            pl.col("channel_customer_id").alias("会員番号"),
        )
        .select(*POS_COLUMNS, "_day", "_row")
    )


def write_pos(
    tables: Mapping[str, pl.DataFrame],
    out_dir: Path,
    *,
    start: datetime,
    end: datetime,
    bad_row_rate: float,
    seed: int,
) -> PosDrop:
    """Write every store's file for each JST day overlapping [start, end)."""
    rows, faults = inject_faults(
        pos_rows(tables, start=start, end=end),
        rate=bad_row_rate,
        seed=seed,
        known_jans=tables["skus"]["jan"],
    )
    by_file = rows.partition_by("店舗コード", "_day", as_dict=True)
    header = rows.head(0).select(POS_COLUMNS)
    files: list[Path] = []
    for store in _store_ids(tables["locations"]):
        store_format = STORE_FORMATS.get(store, DEFAULT_STORE_FORMAT)
        for day in business_days(start, end):
            part = by_file.get((store, day), header).select(POS_COLUMNS)
            path = pos_path(store, day)
            write_atomic(out_dir / path, _encode(part, store_format))
            files.append(path)
    return PosDrop(
        files=tuple(files),
        rows=rows.height,
        faults=tuple(
            RowFault(file=pos_path(store, day), row=row, column=column, fault=fault, value=value)
            for store, day, row, column, fault, value in faults.select(
                "店舗コード", "_day", "_row", "column", "fault", "value"
            ).iter_rows()
        ),
    )


def _encode(part: pl.DataFrame, store_format: StoreFormat) -> bytes:
    text = part.write_csv(
        line_terminator=store_format.line_terminator, quote_style=store_format.quote_style
    )
    return encode_text(text, store_format.encoding)
