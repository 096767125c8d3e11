"""The sandbox's file drops: POS exports, wholesale order sheets and stock snapshots."""

from __future__ import annotations

import csv
import io
import random
import zipfile
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from ichigen.sandbox.drops import (
    FAULT_KINDS,
    MEMBER_COLUMNS,
    POS_COLUMNS,
    STOCK_COLUMNS,
    STORE_FORMATS,
    WHOLESALE_LAYOUTS,
    DropsSummary,
    WholesaleLayout,
    buyer_layouts,
    write_drops,
)
from ichigen.sandbox.drops.jst import JST
from ichigen.sandbox.drops.xlsx import ZIP_DATE_TIME
from ichigen.sandbox.schema import TABLES

# Three JST business days, 2026-10-29 to 2026-10-31: the window starts at JST midnight.
START = datetime(2026, 10, 28, 15, 0, tzinfo=UTC)
END = START + timedelta(days=3)
DAYS = [date(2026, 10, 29), date(2026, 10, 30), date(2026, 10, 31)]
STORES = ["ST-SHIBUYA", "ST-SHINJUKU", "ST-UMEDA"]
QUIET_DAY = ("ST-UMEDA", date(2026, 10, 31))  # the store sells nothing that day
BUYERS = ["B001", "B002", "B003", "B004", "B005"]
# When each POS member registered: before the window, on its first and last day, after it.
MEMBERS_JOINED = [
    START - timedelta(days=40),
    START + timedelta(hours=2),
    START + timedelta(days=2, hours=5),
    END + timedelta(hours=1),
]


# --- a small world that follows sandbox.schema ---------------------------------------------


def _frame(name: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    schema = TABLES[name]
    return pl.DataFrame([{column: row.get(column) for column in schema} for row in rows], schema)


def _jst_time(day: date, rng: random.Random) -> datetime:
    opening = datetime(day.year, day.month, day.day, 10, tzinfo=JST)
    return opening.astimezone(UTC) + timedelta(seconds=rng.randrange(11 * 3600))


def build_world(seed: int = 3) -> dict[str, pl.DataFrame]:
    """Stores trading over the window, buyers ordering, and events just outside it."""
    rng = random.Random(seed)
    titles = [
        ("リネンシャツ〜夏", "Linen shirt"),
        ("デニムパンツ", "Denim"),
        ("ウールコート", "Coat"),
    ]
    products = [
        {"product_id": f"P{i:04d}", "title": title, "title_en": en, "category": "tops"}
        for i, (title, en) in enumerate(titles, start=1)
    ]
    skus = [
        {
            "sku": f"P{p:04d}-{colour}-{size}",
            "product_id": f"P{p:04d}",
            "colour": colour,
            "size": size,
            "jan": f"49{p:02d}{colour_no}{size_no:08d}",
            "price_jpy": 3300 * p,
            "wholesale_price_jpy": 1650 * p,
        }
        for p in (1, 2, 3)
        for colour_no, colour in enumerate(("NVY", "WHT"))
        for size_no, size in enumerate(("S", "M"), start=1)
    ]
    locations = [
        {"location_id": "WH-TOKYO", "kind": "warehouse"},
        {"location_id": "WH-OSAKA", "kind": "warehouse"},
        {"location_id": "FBA-JP", "kind": "fba"},
        *({"location_id": store, "kind": "store"} for store in STORES),
    ]
    members = [f"{n:010d}" for n in (1201, 5502, 7303, 9904)]  # cards keep their leading zeros
    identities = [
        *(
            {
                "identity_id": f"pos:{m}",
                "channel": "pos",
                "channel_customer_id": m,
                "family_name": "髙橋",  # a kanji CP932 holds only as an IBM extension
                "given_name": "花子",
                "family_name_kana": "タカハシ",
                "given_name_kana": "ハナコ",
                "phone": "090-1234-5678",
                "email": None if i % 2 else f"hanako{i}@example.jp",
                "postal_code": "150-0041",
                "prefecture": "東京都",
                "city": "渋谷区",
                "address1": "神南1-2-3",
                "accepts_marketing": bool(i % 2),
                "created_at": joined,
            }
            for i, (m, joined) in enumerate(zip(members, MEMBERS_JOINED, strict=True))
        ),
        *(
            {
                "identity_id": f"wholesale:{b}",
                "channel": "wholesale",
                "channel_customer_id": b,
                "company": f"株式会社テスト商事{b[-1]}",
            }
            for b in BUYERS
        ),
        {"identity_id": "shopify:1", "channel": "shopify", "channel_customer_id": "1"},
    ]
    orders: list[dict[str, Any]] = []
    lines: list[dict[str, Any]] = []
    returns: list[dict[str, Any]] = []

    def order(
        channel: str, when: datetime, location: str, identity: str | None, **extra: Any
    ) -> str:
        order_id = f"O{len(orders) + 1:05d}"
        receipt = f"{location[-3:]}{len(orders) + 1:07d}" if channel == "pos" else order_id
        orders.append(
            {
                "order_id": order_id,
                "channel": channel,
                "channel_order_id": receipt,
                "order_name": receipt,
                "identity_id": identity,
                "location_id": location,
                "created_at": when,
                **extra,
            }
        )
        for line_no in range(1, rng.randint(1, 3) + 1):
            sku = rng.choice(skus)
            quantity = rng.randint(1, 3) if channel != "wholesale" else rng.randint(6, 2400)
            price = sku["price_jpy"] if channel != "wholesale" else sku["wholesale_price_jpy"]
            lines.append(
                {
                    "order_id": order_id,
                    "line_no": line_no,
                    "sku": sku["sku"],
                    "quantity": quantity,
                    "unit_price_jpy": price,
                    "discount_jpy": rng.choice((0, 0, 100)),
                }
            )
        return order_id

    for store in STORES:
        for day in DAYS:
            if (store, day) == QUIET_DAY:
                continue
            for _ in range(rng.randint(4, 8)):
                member = rng.choice([None, *members])
                order("pos", _jst_time(day, rng), store, member and f"pos:{member}")
        # Just outside the window on both sides, and a sale voided at the till.
        order("pos", START - timedelta(seconds=1), store, None)
        order("pos", END, store, None)
        order("pos", _jst_time(DAYS[0], rng), store, None, cancelled_at=END)
    for buyer in BUYERS:
        for day in DAYS[:2]:
            order("wholesale", _jst_time(day, rng), "WH-TOKYO", f"wholesale:{buyer}")
    order("wholesale", END + timedelta(hours=1), "WH-OSAKA", "wholesale:B001")
    shopify = order("shopify", _jst_time(DAYS[1], rng), "WH-TOKYO", "shopify:1")

    pos_lines = [
        (o, line)
        for o in orders
        for line in lines
        if line["order_id"] == o["order_id"]
        and o["channel"] == "pos"
        and not o.get("cancelled_at")
        # Refunds come a day after the sale; none may fall on the quiet day.
        and (o["location_id"], o["created_at"].astimezone(JST).date() + timedelta(days=1))
        != QUIET_DAY
    ]
    for index, (o, line) in enumerate(rng.sample(pos_lines, 8)):
        # The last two are refunded after the window: they must not show yet.
        refunded = o["created_at"] + timedelta(days=1 if index < 6 else 5, minutes=7)
        quantity = rng.randint(1, line["quantity"])
        returns.append(
            {
                "return_id": f"RT{index + 1:06d}",
                "order_id": o["order_id"],
                "line_no": line["line_no"],
                "sku": line["sku"],
                "quantity": quantity,
                "reason": "size",
                "requested_at": refunded - timedelta(hours=1),
                "refunded_at": refunded,
                "refund_jpy": line["unit_price_jpy"] * quantity - 50,
                "restocked": True,
            }
        )
    shopify_line = next(line for line in lines if line["order_id"] == shopify)
    returns.append(
        {**returns[0], "return_id": "RT999999", "order_id": shopify, "line_no": 1}
        | {"sku": shopify_line["sku"], "refunded_at": START + timedelta(days=2)}
    )
    inventory = [
        {"sku": sku["sku"], "location_id": loc["location_id"], "on_hand": rng.randint(0, 40)}
        for sku in skus
        for loc in locations
        if loc["location_id"] != "WH-OSAKA"  # a warehouse that holds nothing yet
    ]
    rows: dict[str, list[dict[str, Any]]] = {
        "products": products,
        "skus": skus,
        "locations": locations,
        "identities": identities,
        "orders": orders,
        "order_lines": lines,
        "returns": returns,
        "inventory": inventory,
    }
    return {name: _frame(name, rows.get(name, [])) for name in TABLES}


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return build_world()


@pytest.fixture
def drops(tables: dict[str, pl.DataFrame], tmp_path: Path) -> DropsSummary:
    return write_drops(tables, tmp_path / "drops", start=START, end=END)


# --- reading the files back, as an importer would ------------------------------------------


def read_pos(path: Path) -> pl.DataFrame:
    store = path.parent.name
    text = path.read_bytes().decode(STORE_FORMATS[store].encoding)
    return pl.read_csv(io.StringIO(text), infer_schema=False)


def read_sheet(path: Path, layout: WholesaleLayout) -> list[dict[str, Any]]:
    """A buyer's sheet as {field: value} rows, knowing only the buyer's layout."""
    if layout.file_format == "csv":
        text = path.read_bytes().decode(layout.encoding)
        rows: list[list[Any]] = list(csv.reader(io.StringIO(text, newline="")))
    else:
        sheet = openpyxl.load_workbook(path)[layout.sheet_name]
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows[layout.header_row - 1]
    fields = [layout.fields[name] for name in header]
    return [dict(zip(fields, row, strict=True)) for row in rows[layout.header_row :]]


def _number(value: Any) -> int:
    return int(str(value).replace(",", ""))


def _date(value: Any, layout: WholesaleLayout) -> date:
    if layout.date_format is None:
        assert isinstance(value, datetime), "Excel dates are real date cells"
        return value.date()
    return datetime.strptime(value, layout.date_format).date()


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --- POS ----------------------------------------------------------------------------------


def test_each_store_exports_one_file_per_business_day_with_japanese_headers(
    drops: DropsSummary,
) -> None:
    expected = {Path("pos", s, f"{s}_{d:%Y%m%d}.csv") for s in STORES for d in DAYS}
    assert set(drops.files_of("pos")) == expected
    for path in expected:
        assert tuple(read_pos(drops.out_dir / path).columns) == POS_COLUMNS


def test_a_day_without_sales_still_gets_a_header_only_file(drops: DropsSummary) -> None:
    store, day = QUIET_DAY
    frame = read_pos(drops.out_dir / "pos" / store / f"{store}_{day:%Y%m%d}.csv")
    assert frame.is_empty()


def test_shibuya_exports_shift_jis_with_crlf_that_is_not_utf8(drops: DropsSummary) -> None:
    raw = (drops.out_dir / "pos" / "ST-SHIBUYA" / "ST-SHIBUYA_20261029.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp932")
    assert text.startswith('"取引番号","明細番号"')
    assert raw.count(b"\r\n") == raw.count(b"\n") > 1
    assert "リネンシャツ～夏" in text  # the wave dash as CP932 spells it


def test_shinjuku_writes_a_bom_and_umeda_plain_utf8(drops: DropsSummary) -> None:
    shinjuku = (drops.out_dir / "pos" / "ST-SHINJUKU" / "ST-SHINJUKU_20261029.csv").read_bytes()
    umeda = (drops.out_dir / "pos" / "ST-UMEDA" / "ST-UMEDA_20261029.csv").read_bytes()
    assert shinjuku.startswith("\ufeff取引番号".encode())
    assert b"\r\n" in shinjuku
    assert umeda.startswith("取引番号".encode()) and b"\r\n" not in umeda


def test_quantities_per_store_and_day_equal_sales_minus_refunds(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    orders = {o["order_id"]: o for o in tables["orders"].iter_rows(named=True)}
    expected: Counter[tuple[str, date]] = Counter()
    for line in tables["order_lines"].iter_rows(named=True):
        o = orders[line["order_id"]]
        if o["channel"] == "pos" and START <= o["created_at"] < END and not o["cancelled_at"]:
            expected[(o["location_id"], o["created_at"].astimezone(JST).date())] += line["quantity"]
    for ret in tables["returns"].iter_rows(named=True):
        o = orders[ret["order_id"]]
        if o["channel"] == "pos" and START <= ret["refunded_at"] < END:
            expected[(o["location_id"], ret["refunded_at"].astimezone(JST).date())] -= ret[
                "quantity"
            ]
    written: Counter[tuple[str, date]] = Counter()
    for path in drops.files_of("pos"):
        frame = read_pos(drops.out_dir / path)
        for row in frame.iter_rows(named=True):
            day = datetime.strptime(row["取引日時"], "%Y/%m/%d %H:%M:%S").date()
            written[(row["店舗コード"], day)] += int(row["数量"])
    assert +written == +expected and sum(expected.values()) > 0
    assert drops.pos_rows == sum(read_pos(drops.out_dir / p).height for p in drops.files_of("pos"))


def test_refunds_are_their_own_receipts_pointing_at_the_sale(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    rows = pl.concat([read_pos(drops.out_dir / p) for p in drops.files_of("pos")])
    refunds = rows.filter(pl.col("取引区分") == "返品")
    assert refunds.height == 6  # two more are refunded after the window, one is online
    assert set(refunds["取引番号"]) <= set(tables["returns"]["return_id"])
    assert set(refunds["元取引番号"]) <= set(tables["orders"]["channel_order_id"])
    assert all(int(q) < 0 for q in refunds["数量"]) and all(int(a) < 0 for a in refunds["金額"])
    for row in rows.iter_rows(named=True):
        assert int(row["金額"]) == int(row["単価"]) * int(row["数量"]) - int(row["値引額"])
        assert 1 <= int(row["レジ番号"]) <= STORE_FORMATS[row["店舗コード"]].registers


def test_member_numbers_keep_leading_zeros_and_walk_ins_have_none(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    rows = pl.concat([read_pos(drops.out_dir / p) for p in drops.files_of("pos")])
    members = set(tables["identities"].filter(pl.col("channel") == "pos")["channel_customer_id"])
    numbers = rows["会員番号"].to_list()
    assert None in numbers  # walk-ins: an empty field
    assert {n for n in numbers if n} <= members and any(n and n.startswith("0") for n in numbers)


def read_members(path: Path) -> pl.DataFrame:
    return pl.read_csv(io.StringIO(path.read_bytes().decode("cp932")), infer_schema=False)


def test_the_member_master_is_a_full_export_before_the_window_and_a_file_per_day(
    drops: DropsSummary,
) -> None:
    before = DAYS[0] - timedelta(days=1)
    expected = {Path("pos_members", f"members_{before:%Y%m%d}_full.csv")} | {
        Path("pos_members", f"members_{day:%Y%m%d}.csv") for day in DAYS
    }
    assert set(drops.files_of("pos_members")) == expected
    full = read_members(drops.out_dir / "pos_members" / f"members_{before:%Y%m%d}_full.csv")
    assert full["会員番号"].to_list() == ["0000001201"]
    per_day = {
        day: read_members(drops.out_dir / "pos_members" / f"members_{day:%Y%m%d}.csv")
        for day in DAYS
    }
    # registered on the first and last day; the member who joins after the window is not yet in
    assert [frame["会員番号"].to_list() for frame in per_day.values()] == [
        ["0000005502"],
        [],
        ["0000007303"],
    ]
    assert drops.member_rows == 3


def test_member_files_are_cp932_with_japanese_headers_and_the_form_s_details(
    drops: DropsSummary,
) -> None:
    path = drops.out_dir / "pos_members" / f"members_{DAYS[0]:%Y%m%d}.csv"
    data = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert b"\r\n" in data
    row = read_members(path).row(0, named=True)
    assert tuple(row) == MEMBER_COLUMNS
    assert (row["姓"], row["セイ"], row["電話番号"], row["郵便番号"]) == (
        "髙橋",
        "タカハシ",
        "090-1234-5678",
        "150-0041",
    )
    # quoted throughout: a member without an e-mail has an empty quoted field
    assert (row["メールアドレス"], row["入会日"], row["DM許可"]) == ("", "2026/10/29", "1")


def test_sales_and_refunds_outside_the_window_are_left_out(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    rows = pl.concat([read_pos(drops.out_dir / p) for p in drops.files_of("pos")])
    outside = tables["orders"].filter(
        (pl.col("channel") == "pos")
        & ((pl.col("created_at") < START) | (pl.col("created_at") >= END))
    )
    cancelled = tables["orders"].filter(pl.col("cancelled_at").is_not_null())
    shown = set(rows["取引番号"])
    assert outside.height and not shown & set(outside["channel_order_id"])
    assert cancelled.height and not shown & set(cancelled["channel_order_id"])


# --- wholesale ----------------------------------------------------------------------------


def test_each_buyer_has_its_own_layout_and_every_layout_is_used(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    layouts = buyer_layouts(tables["identities"])
    assert sorted(layouts) == BUYERS
    assert {layout.layout_id for layout in layouts.values()} == {
        layout.layout_id for layout in WHOLESALE_LAYOUTS
    }
    for buyer in BUYERS:
        files = [p for p in drops.files_of("wholesale") if p.parts[1] == buyer]
        assert len(files) == 2
        assert {p.suffix for p in files} == {f".{layouts[buyer].file_format}"}


def test_layouts_differ_in_headers_formats_and_encodings() -> None:
    assert len({tuple(layout.fields) for layout in WHOLESALE_LAYOUTS}) == len(WHOLESALE_LAYOUTS)
    assert {layout.file_format for layout in WHOLESALE_LAYOUTS} == {"csv", "xlsx"}
    assert "cp932" in {
        layout.encoding for layout in WHOLESALE_LAYOUTS if layout.file_format == "csv"
    }
    assert any(layout.item_key == "jan" for layout in WHOLESALE_LAYOUTS)
    assert any(layout.header_row > 1 for layout in WHOLESALE_LAYOUTS)
    assert len({layout.date_format for layout in WHOLESALE_LAYOUTS}) == len(WHOLESALE_LAYOUTS)


@pytest.mark.parametrize("buyer", BUYERS)
def test_every_sheet_of_a_buyer_reads_back_to_the_order_lines_through_its_layout(
    buyer: str, tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    layout = buyer_layouts(tables["identities"])[buyer]
    sku_of_jan = dict(tables["skus"].select("jan", "sku").iter_rows())
    orders = tables["orders"].filter(
        (pl.col("identity_id") == f"wholesale:{buyer}")
        & (pl.col("created_at") >= START)
        & (pl.col("created_at") < END)
    )
    read: dict[str, list[tuple[str, int, int]]] = {}
    for path in (p for p in drops.files_of("wholesale") if p.parts[1] == buyer):
        rows = read_sheet(drops.out_dir / path, layout)
        (po_no,) = {str(row["po_no"]) for row in rows}
        order = orders.filter(pl.col("channel_order_id") == po_no).row(0, named=True)
        day = order["created_at"].astimezone(JST).date()
        lead = timedelta(days=layout.delivery_lead_days)
        for row in rows:
            if "order_date" in row:
                assert _date(row["order_date"], layout) == day
            if "delivery_date" in row:
                assert _date(row["delivery_date"], layout) == day + lead
        key = layout.item_key
        read[po_no] = [
            (
                row["sku"] if key == "sku" else sku_of_jan[str(row["jan"])],
                _number(row["quantity"]),
                _number(row["unit_price"]),
            )
            for row in rows
        ]
    expected = {
        po_no: [
            (line["sku"], line["quantity"], line["unit_price_jpy"])
            for line in tables["order_lines"]
            .filter(pl.col("order_id") == order_id)
            .sort("line_no")
            .iter_rows(named=True)
        ]
        for order_id, po_no in orders.select("order_id", "channel_order_id").iter_rows()
    }
    assert read == expected and len(expected) == 2


def test_a_titled_sheet_names_the_buyer_above_its_header(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    layouts = buyer_layouts(tables["identities"])
    buyer, layout = next((b, lay) for b, lay in layouts.items() if lay.title_rows)
    path = next(p for p in drops.files_of("wholesale") if p.parts[1] == buyer)
    sheet = openpyxl.load_workbook(drops.out_dir / path)[layout.sheet_name]
    assert sheet["B2"].value == f"株式会社テスト商事{buyer[-1]}"
    assert sheet.cell(row=layout.header_row, column=1).value == layout.columns[0].header


def test_cp932_buyer_sheets_do_not_decode_as_utf8(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    layouts = buyer_layouts(tables["identities"])
    buyer = next(b for b, layout in layouts.items() if layout.encoding == "cp932")
    raw = (
        drops.out_dir / next(p for p in drops.files_of("wholesale") if p.parts[1] == buyer)
    ).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert raw.decode("cp932").startswith("発注番号,")


def test_orders_placed_after_the_window_get_no_sheet_yet(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    late = tables["orders"].filter(
        (pl.col("channel") == "wholesale") & (pl.col("created_at") >= END)
    )
    names = " ".join(str(p) for p in drops.files_of("wholesale"))
    assert late.height == 1 and late["channel_order_id"][0] not in names
    assert len(drops.files_of("wholesale")) == 10


def with_wholesale_slips(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """`tables` where each buyer cancels its first order five hours after placing it and sends
    back part of the first line of its second one half a day later (a defect), all within the
    window."""
    orders = tables["orders"].filter(pl.col("channel") == "wholesale").sort("order_id")
    per_buyer = orders.group_by("identity_id", maintain_order=True)
    cancelled = per_buyer.first()["order_id"].implode()
    returned = per_buyer.agg(pl.col("order_id").get(1))["order_id"].implode()
    lines = tables["order_lines"].filter(
        pl.col("order_id").is_in(returned) & (pl.col("line_no") == 1)
    )
    back = (pl.col("quantity") // 2 + 1).cast(pl.Int32)
    returns = lines.join(orders.select("order_id", "created_at"), on="order_id").select(
        ("RW" + pl.col("order_id")).alias("return_id"),
        "order_id",
        "line_no",
        "sku",
        back.alias("quantity"),
        pl.lit("defect").alias("reason"),
        (pl.col("created_at") + timedelta(hours=10)).alias("requested_at"),
        (pl.col("created_at") + timedelta(hours=12)).alias("refunded_at"),
        (pl.col("unit_price_jpy") * back).alias("refund_jpy"),
        pl.lit(False).alias("restocked"),
    )
    later = pl.col("created_at") + timedelta(hours=5)
    return tables | {
        "orders": tables["orders"].with_columns(
            pl.when(pl.col("order_id").is_in(cancelled))
            .then(later)
            .otherwise(pl.col("cancelled_at"))
            .alias("cancelled_at"),
            pl.when(pl.col("order_id").is_in(cancelled))
            .then(pl.lit("customer"))
            .otherwise(pl.col("cancel_reason"))
            .alias("cancel_reason"),
        ),
        "returns": pl.concat([tables["returns"], returns.cast(tables["returns"].schema)]),
    }


def test_buyers_send_a_return_slip_per_return_and_a_red_slip_per_cancelled_order(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    world = with_wholesale_slips(tables)
    summary = write_drops(world, tmp_path, start=START, end=END)
    layouts = buyer_layouts(world["identities"])
    orders = world["orders"].filter(pl.col("channel") == "wholesale")
    po_of = dict(orders.select("order_id", "channel_order_id").iter_rows())
    cancelled = orders.filter(pl.col("cancelled_at").is_not_null())
    returns = world["returns"].filter(
        pl.col("order_id").is_in(orders["order_id"].implode()) & (pl.col("refunded_at") < END)
    )
    slips: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for path in summary.files_of("wholesale"):
        layout = layouts[path.parts[1]]
        rows = read_sheet(tmp_path / path, layout)
        if layout.title_rows:  # the template's title names the kind, B3 the date, B4 the order
            sheet = openpyxl.load_workbook(tmp_path / path)[layout.sheet_name]
            for row in rows:
                row["slip_kind"], row["order_date"] = sheet["A1"].value, sheet["B3"].value
                row["original_po_no"] = sheet["B4"].value
        kinds = {v: k for k, v in layout.slip_kinds.items()}
        (kind,) = {kinds[row["slip_kind"]] for row in rows}
        if kind == "order":
            continue
        assert path.name == layout.filename_of(kind).format(
            po_no=rows[0]["po_no"],
            buyer_code=path.parts[1],
            order_date=_date(rows[0]["order_date"], layout),
        )
        sign = -1 if kind in layout.negative_kinds else 1
        for row in rows:
            assert _number(row["quantity"]) * sign > 0
            if "amount" in row:  # red ink on the amount too
                assert (
                    0
                    < _number(row["amount"]) * sign
                    <= _number(row["quantity"]) * sign * (_number(row["unit_price"]))
                )
            if kind == "return" and "reason" in row:
                assert row["reason"] == layout.return_reasons["defect"]
        slips.setdefault((kind, str(rows[0]["original_po_no"])), []).extend(
            {"sku": row.get("sku") or row.get("jan"), "units": _number(row["quantity"]) * sign}
            for row in rows
        )
    # every layout sends both kinds
    assert {po for kind, po in slips if kind == "cancellation"} == set(
        cancelled["channel_order_id"]
    )
    assert {po for kind, po in slips if kind == "return"} == {po_of[o] for o in returns["order_id"]}
    assert len(cancelled) == len(returns) == len(BUYERS)
    jan_of = dict(world["skus"].select("sku", "jan").iter_rows())
    for ret in returns.iter_rows(named=True):
        [line] = slips[("return", po_of[ret["order_id"]])]
        assert line["units"] == ret["quantity"] and line["sku"] in (ret["sku"], jan_of[ret["sku"]])
    for order_id in cancelled["order_id"]:
        ordered = world["order_lines"].filter(pl.col("order_id") == order_id)
        assert (
            sum(x["units"] for x in slips[("cancellation", po_of[order_id])])
            == ordered["quantity"].sum()
        )
    # the red slip is written in the window the order is cancelled in, not the one it is placed in
    late = write_drops(world, tmp_path / "late", start=END, end=END + timedelta(days=1))
    assert not [p for p in late.files_of("wholesale") if "赤伝" in p.name or "cancel" in p.name]


# --- stock --------------------------------------------------------------------------------


def test_stock_snapshots_cover_warehouses_and_stores_but_not_fba(
    tables: dict[str, pl.DataFrame], drops: DropsSummary
) -> None:
    locations = {p.parts[1] for p in drops.files_of("stock")}
    assert locations == {"WH-TOKYO", "WH-OSAKA", *STORES}
    path = drops.out_dir / "stock" / "WH-TOKYO" / "stock_20261031.csv"
    frame = pl.read_csv(path, infer_schema=False)
    assert tuple(frame.columns) == STOCK_COLUMNS
    assert set(frame["snapshot_at"]) == {"2026-11-01T00:00:00+09:00"}
    expected = tables["inventory"].filter(pl.col("location_id") == "WH-TOKYO")
    assert frame.height == expected.height
    assert sum(map(int, frame["on_hand"])) == expected["on_hand"].sum()
    assert frame["jan"].str.len_chars().to_list() == [13] * frame.height
    assert pl.read_csv(drops.out_dir / "stock" / "WH-OSAKA" / "stock_20261031.csv").is_empty()


# --- determinism, atomicity, windows ------------------------------------------------------


def test_the_same_inputs_and_seed_write_the_same_bytes(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    first = write_drops(tables, tmp_path / "a", start=START, end=END, bad_row_rate=0.1, seed=5)
    second = write_drops(tables, tmp_path / "b", start=START, end=END, bad_row_rate=0.1, seed=5)
    assert first.files == second.files and first.faults == second.faults
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_xlsx_sheets_carry_the_order_time_instead_of_the_wall_clock(
    drops: DropsSummary,
) -> None:
    sheets = [p for p in drops.files_of("wholesale") if p.suffix == ".xlsx"]
    assert sheets
    for path in sheets:
        with zipfile.ZipFile(drops.out_dir / path) as archive:
            infos = archive.infolist()
        assert [i.filename for i in infos] == sorted(i.filename for i in infos)
        assert {i.date_time for i in infos} == {ZIP_DATE_TIME}
        properties = openpyxl.load_workbook(drops.out_dir / path).properties
        assert properties.created == properties.modified
        assert START <= properties.created.replace(tzinfo=UTC) < END


def test_writes_leave_no_temporary_files(drops: DropsSummary) -> None:
    on_disk = {p.relative_to(drops.out_dir) for p in drops.out_dir.rglob("*") if p.is_file()}
    assert on_disk == set(drops.files) and drops.files_written == len(on_disk)


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_file(
    tables: dict[str, pl.DataFrame], drops: DropsSummary, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _tree(drops.out_dir)

    def refuse(self: Path, target: Path) -> Path:
        raise OSError("disk full")

    monkeypatch.setattr(Path, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        write_drops(tables, drops.out_dir, start=START, end=END)
    assert _tree(drops.out_dir) == before


def test_a_day_split_across_two_windows_ends_up_written_whole(
    tables: dict[str, pl.DataFrame], drops: DropsSummary, tmp_path: Path
) -> None:
    noon = START + timedelta(days=1, hours=12)  # 2026-10-30 21:00 JST
    write_drops(tables, tmp_path / "split", start=START, end=noon)
    write_drops(tables, tmp_path / "split", start=noon, end=END)
    whole, split = _tree(drops.out_dir), _tree(tmp_path / "split")
    for name in (n for n in whole if not n.startswith("stock")):
        assert split[name] == whole[name], name


def test_a_window_without_trade_still_writes_header_only_exports_and_snapshots(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    quiet = {**tables, "orders": tables["orders"].clear(), "returns": tables["returns"].clear()}
    summary = write_drops(quiet, tmp_path, start=START, end=END)
    assert len(summary.files_of("pos")) == len(STORES) * len(DAYS) and summary.pos_rows == 0
    assert not summary.files_of("wholesale") and len(summary.files_of("stock")) == 5


def test_a_window_that_does_not_move_forward_is_refused(tables: dict[str, pl.DataFrame]) -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        write_drops(tables, Path("unused"), start=END, end=START)


# --- fault injection ----------------------------------------------------------------------


def test_faults_are_off_by_default(drops: DropsSummary) -> None:
    assert drops.faults == ()


def test_bad_rows_are_injected_at_the_requested_rate_and_reported_where_they_are(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    summary = write_drops(tables, tmp_path, start=START, end=END, bad_row_rate=0.25, seed=1)
    assert len(summary.faults) == round(0.25 * summary.pos_rows)
    assert {fault.fault for fault in summary.faults} == set(FAULT_KINDS)
    known_jans = set(tables["skus"]["jan"])
    for fault in summary.faults:
        row = read_pos(tmp_path / fault.file).row(fault.row - 1, named=True)
        value = row[fault.column] or ""
        assert value == fault.value
        if fault.fault == "unknown_jan":
            assert len(value) == 13 and value not in known_jans
        elif fault.fault == "malformed_datetime":
            with pytest.raises(ValueError):
                datetime.strptime(value, "%Y/%m/%d %H:%M:%S")
        elif fault.fault == "wrong_sign_quantity":  # reads cleanly; only its sign is wrong
            quantity, price, discount = (int(row[c]) for c in ("数量", "単価", "値引額"))
            assert (quantity < 0) == (row["取引区分"] == "売上") and quantity != 0
            assert int(row["金額"]) == price * quantity - discount
        elif fault.fault == "tax_exclusive_amount":  # the line's amount less its tax
            quantity, price, discount = (int(row[c]) for c in ("数量", "単価", "値引額"))
            inclusive = price * quantity - discount
            assert int(value) == int(inclusive * 10 / 11) and int(value) != inclusive
        else:
            with pytest.raises(ValueError):
                int(value)


def test_another_seed_corrupts_other_rows(tables: dict[str, pl.DataFrame], tmp_path: Path) -> None:
    def corrupted(seed: int) -> set[tuple[Path, int]]:
        out = tmp_path / str(seed)
        summary = write_drops(tables, out, start=START, end=END, bad_row_rate=0.2, seed=seed)
        return {(fault.file, fault.row) for fault in summary.faults}

    assert corrupted(1) != corrupted(2)


def test_a_rate_outside_zero_to_one_is_refused(
    tables: dict[str, pl.DataFrame], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="bad_row_rate"):
        write_drops(tables, tmp_path, start=START, end=END, bad_row_rate=1.5)
