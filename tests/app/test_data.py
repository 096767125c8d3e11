"""The data-access module: a new snapshot is picked up without a restart, the old one keeps
answering its readers, the connection cannot write, and the quarantine is shown with reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ichigen.app import data
from ichigen.app.snapshot import current_snapshot
from ichigen.customer_views import CHANNEL_MIX, COHORTS
from ichigen.ingestion.landing import QUARANTINE_SCHEMA
from tests.app.conftest import RunPage


def _publish(root: Path, rows: int) -> None:
    """Write a snapshot beside current.duckdb and rename it over, as a build does."""
    serving = root / "serving"
    serving.mkdir(parents=True, exist_ok=True)
    tmp = serving / ".next.duckdb"
    with duckdb.connect(str(tmp)) as con:
        con.execute("create table fct_orders as select range as n from range(?)", [rows])
    tmp.replace(serving / "current.duckdb")


def test_a_new_snapshot_is_read_at_once_while_the_old_one_still_answers(tmp_path: Path) -> None:
    assert current_snapshot(tmp_path) is None
    _publish(tmp_path, 3)
    first = current_snapshot(tmp_path)
    assert first is not None
    assert data.row_count(first, "fct_orders") == 3
    _publish(tmp_path, 5)
    second = current_snapshot(tmp_path)
    assert second is not None and second != first
    assert data.row_count(second, "fct_orders") == 5
    # a session still holding the old version reads it whole (the renamed-over file lives on)
    data.row_count.clear()
    assert data.row_count(first, "fct_orders") == 3


def test_every_table_is_counted_in_one_go(tmp_path: Path) -> None:
    _publish(tmp_path, 4)
    snap = current_snapshot(tmp_path)
    assert snap is not None
    assert data.row_counts(snap) == {"fct_orders": 4}
    assert data.tables(snap) == frozenset({"fct_orders"})


def test_the_snapshot_is_opened_read_only(tmp_path: Path) -> None:
    _publish(tmp_path, 1)
    snap = current_snapshot(tmp_path)
    assert snap is not None
    with pytest.raises(duckdb.Error, match=r"(?i)read.only"):
        data._frame(snap, "create table x as select 1")


def _quarantined(root: Path) -> None:
    folder = root / "quarantine" / "shopify" / "orders"
    folder.mkdir(parents=True)
    now = datetime.now(UTC)
    frame = pl.DataFrame(
        {
            "_load_id": ["L1", "L1"],
            "_loaded_at": [now, now],
            "_source": ["http://127.0.0.1/orders.json"] * 2,
            "_cursor_start": [None, None],
            "_cursor_end": [None, None],
            "_record_key": ["1001", "1002"],
            "_record_updated_at": [now, now],
            "_raw": ["{}", "{}"],
            "_reasons": [["unknown sku X-1"], ["unknown sku X-1", "total_price is not a number"]],
        },
        schema=QUARANTINE_SCHEMA,
    )
    frame.write_parquet(folder / "L1-00000.parquet")
    loads = root / "landing" / "shopify" / "orders" / "_loads"
    loads.mkdir(parents=True)
    manifest = {
        "load_id": "L1",
        "channel": "shopify",
        "entity": "orders",
        "source": "http://127.0.0.1/orders.json",
        "cursor_start": None,
        "cursor_end": None,
        "started_at": now.isoformat(),
        "finished_at": now.isoformat(),
        "records": 10,
        "accepted": 8,
        "quarantined": 2,
        "parts": 1,
        "max_record_updated_at": now.isoformat(),
        "checks": [
            {"expectation": "sku is known", "success": False, "checked": 10, "unexpected": 2}
        ],
    }
    (loads / "L1.json").write_text(json.dumps(manifest), "utf-8")


def test_data_health_shows_quarantined_records_with_their_reasons_and_failed_checks(
    tmp_path: Path, run_page: RunPage
) -> None:
    _quarantined(tmp_path)
    at = run_page("data_health", tmp_path)
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Records quarantined"] == "2" and metrics["Failed checks"] == "1"
    reasons = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    counts = dict(zip(reasons["reason"], reasons["records"], strict=True))
    assert counts == {"unknown sku X-1": 2, "total_price is not a number": 1}
    checks = next(d.value for d in at.dataframe if "failed_expectations" in d.value.columns)
    assert checks["failed_expectations"].tolist() == ["sku is known"]
    # the snapshot is missing, and that is said rather than failed on
    assert metrics["Snapshot"] == "none yet"


def test_the_customer_views_a_snapshot_keeps_equal_the_live_queries(built_data_dir: Path) -> None:
    # the Customers page reads them for every channel and for one alone; a selection of several
    # channels runs the query itself
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    assert {"agg_customer_channel_mix", "agg_customer_cohorts"} <= data.tables(snap)
    every = data.channels(snap)
    assert len(every) >= 2
    with duckdb.connect(snap.path, read_only=True) as con:
        for name, view, sql, key in (
            ("mix", data.customer_summary, CHANNEL_MIX, ["channel_mix"]),
            ("cohorts", data.cohorts, COHORTS, ["cohort", "months_after"]),
        ):
            for selection in ([], *([channel] for channel in every)):
                kept = view(snap, channels=selection).sort(key)
                live = pl.from_arrow(con.sql(sql, params={"channels": selection}).to_arrow_table())
                assert isinstance(live, pl.DataFrame)
                assert kept.height >= 1, (name, selection)
                assert kept.equals(live.sort(key)), (name, selection, kept, live)
            # several channels: the same query, live
            several = view(snap, channels=every).sort(key)
            assert several.equals(view(snap, channels=None).sort(key)), name


def test_the_demand_queries_answer_as_a_plain_join_with_the_products_would(
    built_data_dir: Path,
) -> None:
    # the page's queries read the rollup over locations, filter categories through a semi-join
    # and derive the weekday profile from the daily totals: check them against fct_demand_daily
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    bounds = data.date_bounds(snap, "agg_demand_channel_daily")
    assert bounds is not None
    start, end = bounds
    category = data.categories(snap)[0]
    for categories in ([], [category]):
        params = {"categories": categories, "start": start, "end": end}
        where = """
            (len($categories) = 0 or list_contains($categories, p.category))
            and d.demand_date between $start and $end
        """
        expected_sellers = data._frame(
            snap,
            f"""
            select d.sku, any_value(p.title) as title, any_value(p.category) as category,
                sum(d.units_sold) as units_sold,
                count(*) filter (where d.is_stockout_day) as stockout_days
            from fct_demand_daily as d left join dim_products as p using (sku)
            where {where} group by d.sku order by units_sold desc, d.sku
            """,
            params,
        )
        sellers = data.demand_sellers(
            snap, channels=None, categories=categories, start=start, end=end
        )
        assert sellers.height > 0
        assert sellers.select(expected_sellers.columns).equals(expected_sellers)
        expected_weekday = data._frame(
            snap,
            f"""
            with daily as (
                select d.demand_date, sum(d.units_sold) as units
                from fct_demand_daily as d left join dim_products as p using (sku)
                where {where} group by d.demand_date
            )
            select isodow(demand_date) as weekday_number, avg(units) as avg_units_sold
            from daily group by 1 order by 1
            """,
            params,
        )
        weekday = data.demand_weekday(
            snap, channels=None, categories=categories, sku="", start=start, end=end
        )
        assert weekday["weekday_number"].to_list() == expected_weekday["weekday_number"].to_list()
        assert weekday["avg_units_sold"].to_list() == pytest.approx(
            expected_weekday["avg_units_sold"].to_list()
        )
        names = dict(zip(weekday["weekday_number"], weekday["weekday"], strict=True))
        assert names.get(1, "Mon") == "Mon" and names.get(7, "Sun") == "Sun"


def test_each_identity_shows_the_orders_placed_under_it(built_data_dir: Path) -> None:
    # map_customer_identities counts them in the build; the page once counted fct_orders live
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    customer = data.customer_on_several_channels(snap, channels=None)
    assert customer is not None
    identities = data.customer_identities(snap, customer)
    assert identities.height >= 2
    counted = data._frame(
        snap,
        """
        select m.identity_key, count(o.order_key) as orders
        from map_customer_identities as m
        left join fct_orders as o on o.identity_key = m.identity_key
        where m.customer_id = $customer_id
        group by m.identity_key
        """,
        {"customer_id": customer},
    )
    assert dict(zip(identities["identity_key"], identities["orders"], strict=True)) == dict(
        zip(counted["identity_key"], counted["orders"], strict=True)
    )
    assert identities["orders"].sum() > 0


def test_an_orders_lines_show_the_line_not_the_builds_bookkeeping(built_data_dir: Path) -> None:
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    order_key = data._frame(snap, "select min(order_key) as k from fct_order_lines")["k"][0]
    lines = data.order_detail(snap, order_key)["lines"]
    assert lines.height >= 1 and {"sku", "quantity", "line_total_jpy"} <= set(lines.columns)
    # fct_order_lines is incremental: `_built_at` says which build wrote a row
    assert "_built_at" in data._frame(snap, "select * from fct_order_lines limit 1").columns
    assert not [c for c in lines.columns if c.startswith("_")], lines.columns
