"""The data-access module: a new snapshot is picked up without a restart, the old one keeps
answering its readers, the connection cannot write, and the quarantine is shown with reasons."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from app import data
from app.snapshot import current_snapshot
from ingestion.landing import QUARANTINE_SCHEMA
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
    # the Customers page's default view reads them; a channel selection runs the query itself
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    assert {"agg_customer_channel_mix", "agg_customer_cohorts"} <= data.tables(snap)
    every = data.channels(snap)
    for view, key in (
        (data.customer_summary, ["channel_mix"]),
        (data.cohorts, ["cohort", "months_after"]),
    ):
        kept = view(snap, channels=None).sort(key)
        live = view(snap, channels=every).sort(key)
        assert kept.height > 1
        assert kept.equals(live), (view.__name__, kept, live)
