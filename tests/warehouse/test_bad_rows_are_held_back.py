"""Publish what is right; hold back only what is wrong.

The session's warehouse (every channel ingested and built) is copied; the next day's drops then
arrive with rows that break business rules beside good ones: a POS receipt with a sale of -1, a
till printing tax-exclusive amounts, a receipt at a store the business does not list, a refund
of a sale that never landed, a SKU the catalogue does not know (one file imported with the
supplier's catalogue at hand, one before it landed), and a new wholesale order. `oms build`'s
own run then publishes: the broken receipts are quarantined with their reasons, the rows it
cannot place are kept and flagged, and every channel's data, the day's new orders included, is
in the snapshot.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ichigen.ingestion.files import import_pos, import_wholesale
from ichigen.ingestion.files.pos import POS_COLUMNS
from ichigen.ingestion.landing import LandingZone
from ichigen.orchestration.build_run import BuildOutcome, run_build
from ichigen.orchestration.files import catalogue_from_landing
from ichigen.settings import Settings, load_settings
from tests.conftest import BuiltWarehouse

# the session's build, a copy of its data and one more build: minutes
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

NEGATIVE, GOOD, TAX_EXCLUSIVE = "RR-NEG-01", "RR-GOOD-01", "RR-TAXEX-01"
NEW_STORE, NEW_SKU, NEW_SKU_KNOWN_LATE = "RR-KYOTO-01", "RR-SKU-01", "RR-SKU-02"
REFUND, NEVER_SOLD, NEW_PO = "RR-RET-01", "RR-NEVER-SOLD", "RR-PO-01"
UNKNOWN_SKU, UNKNOWN_JAN = "P9999-ZZZ-9", "2000000000017"


@dataclass(frozen=True)
class Published:
    settings: Settings
    build: BuildOutcome
    orders_before: dict[str, int]  # per channel, in the session's snapshot

    def query(self, sql: str) -> pl.DataFrame:
        if not self.build.success:
            pytest.fail(f"the build did not publish: {self.build.error}")
        with duckdb.connect(str(self.settings.paths.snapshot), read_only=True) as con:
            frame: pl.DataFrame = con.sql(sql).pl()
        return frame

    def quarantined(self, channel: str, entity: str) -> dict[str, str]:
        """The landing zone's quarantine: each record key with its reasons as one text."""
        frame = LandingZone.under(self.settings.paths).scan_quarantine(channel, entity).collect()
        return {
            key: " | ".join(reasons)
            for key, reasons in zip(frame["_record_key"], frame["_reasons"], strict=True)
        }


def _row(receipt: str, line: int, day: date, sku: str, jan: str, **overrides: str) -> list[str]:
    row = dict.fromkeys(POS_COLUMNS, "") | {
        "取引番号": receipt,
        "明細番号": str(line),
        "取引日時": f"{day:%Y/%m/%d} 12:00:00",
        "店舗コード": "ST-SHIBUYA",
        "レジ番号": "1",
        "取引区分": "売上",
        "JANコード": jan,
        "商品コード": sku,
        "数量": "2",
        "単価": "3300",
        "値引額": "0",
        "金額": "6600",
    }
    return list((row | overrides).values())


def _write(path: Path, rows: list[list[str]], *, encoding: str = "utf-8") -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode(encoding))


def _the_next_days_drops(drops: Path, day: date, sku: str, jan: str) -> None:
    """The POS exports of `day` (named like the tills name them, a day the session's did not
    reach) and a wholesale sheet; `sku` and `jan` are a product the catalogue knows."""
    header = list(POS_COLUMNS)

    def row(receipt: str, line: int, **overrides: str) -> list[str]:
        return _row(receipt, line, day, sku, jan, **overrides)

    _write(
        drops / "pos" / "ST-SHIBUYA" / f"ST-SHIBUYA_{day:%Y%m%d}.csv",
        [
            header,
            row(NEGATIVE, 1),
            row(NEGATIVE, 2, 数量="-1", 金額="-3300"),
            row(GOOD, 1),
            row(NEW_SKU, 1, JANコード=UNKNOWN_JAN, 商品コード=UNKNOWN_SKU),
            row(REFUND, 1, 取引区分="返品", 元取引番号=NEVER_SOLD, 数量="-1", 金額="-3300"),
        ],
        encoding="cp932",
    )
    _write(
        drops / "pos" / "ST-UMEDA" / f"ST-UMEDA_{day:%Y%m%d}.csv",
        [
            header,
            row(TAX_EXCLUSIVE, 1, 店舗コード="ST-UMEDA", 金額="6000"),
            row(TAX_EXCLUSIVE, 2, 店舗コード="ST-UMEDA", 数量="1", 金額="3000"),
        ],
    )
    _write(
        drops / "pos" / "ST-KYOTO" / f"ST-KYOTO_{day:%Y%m%d}.csv",
        [header, row(NEW_STORE, 1, 店舗コード="ST-KYOTO")],
    )
    _write(
        drops / "pos_before_catalogue" / "ST-SHINJUKU" / f"ST-SHINJUKU_{day:%Y%m%d}.csv",
        [
            header,
            row(
                NEW_SKU_KNOWN_LATE,
                1,
                店舗コード="ST-SHINJUKU",
                JANコード="",
                商品コード=UNKNOWN_SKU,
            ),
        ],
    )
    _write(
        drops / "wholesale" / "WB-RR" / f"{NEW_PO}.csv",
        [
            ["order_no", "order_date", "delivery_date", "sku", "qty", "unit_price"],
            [NEW_PO, f"{day:%Y%m%d}", f"{day + timedelta(days=7):%Y%m%d}", sku, "12", "1650"],
        ],
    )


@pytest.fixture(scope="module")
def published(
    built_warehouse: BuiltWarehouse, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Published]:
    if not built_warehouse.build.success:
        pytest.fail(f"the session's build failed: {built_warehouse.build.error}")
    data_dir = tmp_path_factory.mktemp("bad_rows") / "data"
    shutil.copytree(
        built_warehouse.settings.data_dir, data_dir, ignore=shutil.ignore_patterns("sandbox")
    )
    settings = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    with duckdb.connect(str(settings.paths.snapshot), read_only=True) as con:
        before = dict(con.sql("select channel, count(*) from fct_orders group by all").fetchall())
        # the JST day after the last order or refund: no till has exported it yet
        found = con.execute(
            "select cast(timezone('Asia/Tokyo', greatest("
            "(select max(ordered_at) from fct_orders), (select max(refunded_at) from fct_returns)"
            ")) as date), sku, jan from dim_products where jan is not null order by sku limit 1"
        ).fetchone()
    assert found is not None, "the session's snapshot has a product with a JAN"
    last_day, sku, jan = found
    drops = data_dir / "drops"
    _the_next_days_drops(drops, last_day + timedelta(days=1), sku, jan)
    zone = LandingZone.under(settings.paths)
    catalogue = catalogue_from_landing(zone)
    assert catalogue is not None, "the session landed the supplier's catalogue"
    for result in (
        import_pos(drops / "pos", zone, catalogue=catalogue),
        import_pos(drops / "pos_before_catalogue", zone),  # the catalogue had not landed
        import_wholesale(drops / "wholesale", zone, catalogue=catalogue),
    ):
        assert result.errors == [] and result.manifest is not None, result.errors
    yield Published(settings=settings, build=run_build(settings), orders_before=before)


def test_a_negative_sale_and_a_tax_exclusive_till_are_quarantined_and_the_rest_is_published(
    published: Published,
) -> None:
    orders = published.query("select order_key, channel from fct_orders")
    keys = set(orders["order_key"])
    assert {f"pos:{GOOD}", f"pos:{NEW_STORE}", f"wholesale:{NEW_PO}"} <= keys
    assert not {f"pos:{NEGATIVE}", f"pos:{TAX_EXCLUSIVE}"} & keys
    # every channel's orders are all there, the day's new ones with them
    added = {"pos": 3, "wholesale": 1}  # GOOD, NEW_STORE, NEW_SKU_KNOWN_LATE; NEW_PO
    per_channel = dict(orders.group_by("channel").len().iter_rows())
    assert set(per_channel) == {"shopify", "amazon", "rakuten", "pos", "wholesale"}
    for channel, count in published.orders_before.items():
        assert per_channel[channel] == count + added.get(channel, 0), channel
    reasons = published.quarantined("pos", "sales")
    for line in (1, 2):  # the good line of the receipt is held back with it, and says why
        assert (
            f"receipt {NEGATIVE} is held back whole: line 2: a sale (売上) of 数量 -1"
            in (reasons[f"{NEGATIVE}-{line}"])
        )
        assert "tax-exclusive amounts" in reasons[f"{TAX_EXCLUSIVE}-{line}"]
    shown = published.query(
        "select record_key, reasons from fct_quarantined_records where channel = 'pos'"
    )
    shown_reasons = dict(shown.iter_rows())
    for key in (f"{NEGATIVE}-1", f"{NEGATIVE}-2", f"{TAX_EXCLUSIVE}-1", f"{TAX_EXCLUSIVE}-2"):
        assert "held back whole" in shown_reasons[key], key


def test_an_unknown_store_or_sku_is_kept_and_flagged_or_quarantined_where_it_is_known(
    published: Published,
) -> None:
    flagged = published.query(
        f"select order_key, location_id, data_flag from fct_orders "
        f"where order_key = 'pos:{NEW_STORE}'"
    )
    assert flagged.rows() == [(f"pos:{NEW_STORE}", "ST-KYOTO", "unknown_location")]
    lines = published.query(
        f"select order_line_key, sku, data_flag from fct_order_lines "
        f"where order_key in ('pos:{NEW_SKU_KNOWN_LATE}', 'pos:{GOOD}') order by all"
    )
    assert lines.rows() == [
        (f"pos:{GOOD}:1", lines["sku"][0], None),
        (f"pos:{NEW_SKU_KNOWN_LATE}:1", UNKNOWN_SKU, "unknown_sku"),
    ]
    # demand counts only what it can place on a known shelf
    placed = published.query(
        f"select count(*) as n from fct_demand_daily "
        f"where location_id = 'ST-KYOTO' or sku = '{UNKNOWN_SKU}'"
    )
    assert placed["n"][0] == 0
    # with the supplier's catalogue at hand, the contract knew the SKU first
    assert "column=sku" in published.quarantined("pos", "sales")[f"{NEW_SKU}-1"]


def test_a_refund_of_a_sale_that_has_not_landed_is_kept_and_flagged(
    published: Published,
) -> None:
    refunds = published.query(
        f"select order_key, quantity, refund_jpy, data_flag from fct_returns "
        f"where order_key = 'pos:{NEVER_SOLD}'"
    )
    assert refunds.rows() == [(f"pos:{NEVER_SOLD}", 1, 3300, "order_not_landed")]
