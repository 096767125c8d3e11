"""The Data health page's loads and quarantine: built by dbt from the landing zone's manifests
and quarantine files (fct_loads, fct_quarantined_records) and read from the snapshot, with the
figures the page showed when it read those files itself."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from ichigen.app.data import data_health
from ichigen.app.snapshot import current_snapshot
from ichigen.ingestion.landing import QUARANTINE_SCHEMA
from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from tests.app.conftest import RunPage
from tests.dbt_cli import run_dbt

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
EARLIER = NOW - timedelta(hours=5)


def _quarantined(paths: DataPaths) -> None:
    """Two Shopify orders refused by one load, and two completed loads: Shopify's, whose check
    failed, and a POS file's, whose manifest names neither channel nor entity."""
    folder = paths.quarantine / "shopify" / "orders"
    folder.mkdir(parents=True)
    frame = pl.DataFrame(
        {
            "_load_id": ["L1", "L1"],
            "_loaded_at": [NOW, NOW],
            "_source": ["http://127.0.0.1/orders.json"] * 2,
            "_cursor_start": [None, None],
            "_cursor_end": [None, None],
            "_record_key": ["1001", "1002"],
            "_record_updated_at": [NOW, NOW],
            "_raw": ['{"id": 1001}', '{"id": 1002}'],
            "_reasons": [["unknown sku X-1"], ["unknown sku X-1", "total_price is not a number"]],
        },
        schema=QUARANTINE_SCHEMA,
    )
    frame.write_parquet(folder / "L1-00000.parquet")
    shopify = paths.landing / "shopify" / "orders" / "_loads"
    shopify.mkdir(parents=True)
    manifest = {
        "load_id": "L1",
        "channel": "shopify",
        "entity": "orders",
        "source": "http://127.0.0.1/orders.json",
        "cursor_start": None,
        "cursor_end": None,
        "started_at": NOW.isoformat(),
        "finished_at": NOW.isoformat(),
        "records": 10,
        "accepted": 8,
        "quarantined": 2,
        "parts": 1,
        "max_record_updated_at": NOW.isoformat(),
        "checks": [
            {"expectation": "sku is known", "success": False, "checked": 10, "unexpected": 2},
            {"expectation": "total is a number", "success": True, "checked": 10, "unexpected": 0},
        ],
    }
    (shopify / "L1.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    pos = paths.landing / "pos" / "sales" / "_loads"
    pos.mkdir(parents=True)
    manifest = {
        "load_id": "L2",
        "source": "sales-20260301.csv",
        "started_at": EARLIER.isoformat(),
        "finished_at": EARLIER.isoformat(),
        "records": 3,
        "accepted": 3,
        "quarantined": 0,
        "parts": 1,
        "max_record_updated_at": None,
        "checks": [],
    }
    (pos / "L2.json").write_text(json.dumps(manifest), "utf-8")
    (pos / "L3.json").write_text('{"load_id": "L3", "chan', "utf-8")  # not JSON: left out


@pytest.fixture(scope="module")
def health_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir with the files above, built (only the operations marts) and published."""
    paths = DataPaths(tmp_path_factory.mktemp("health") / "data")
    _quarantined(paths)
    built = run_dbt(
        ["build", "--select", "+fct_loads", "+fct_channel_completeness"],
        data_dir=paths.root,
        warehouse=paths.warehouse,
    )
    assert built.returncode == 0, built.stdout[-4000:]
    publish_snapshot(paths.warehouse, paths.snapshot)
    return paths.root


@pytest.mark.slow
def test_data_health_shows_quarantined_records_with_their_reasons_and_failed_checks(
    health_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("data_health", health_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Loads"] == "2"
    assert metrics["Records quarantined"] == "2" and metrics["Failed checks"] == "1"
    reasons = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    counts = dict(zip(reasons["reason"], reasons["records"], strict=True))
    assert counts == {"unknown sku X-1": 2, "total_price is not a number": 1}
    checks = next(d.value for d in at.dataframe if "failed_expectations" in d.value.columns)
    assert checks["failed_expectations"].tolist() == ["sku is known"]


@pytest.mark.slow
def test_the_loads_are_the_manifests_newest_first_in_utc(health_data_dir: Path) -> None:
    snap = current_snapshot(health_data_dir)
    assert snap is not None
    loads = data_health.loads(snap)
    assert loads.columns == [
        "channel",
        "entity",
        "load_id",
        "started_at",
        "finished_at",
        "records",
        "accepted",
        "quarantined",
        "checks",
        "checks_failed",
        "failed_expectations",
        "max_record_updated_at",
        "source",
    ]
    assert loads["finished_at"].dtype == pl.Datetime("us", "UTC")
    rows = loads.select(
        "channel", "entity", "load_id", "finished_at", "records", "checks", "checks_failed"
    ).rows()
    assert rows == [
        ("shopify", "orders", "L1", NOW, 10, 2, 1),
        # the manifest names neither: its folder does
        ("pos", "sales", "L2", EARLIER, 3, 0, 0),
    ]
    assert loads["failed_expectations"].to_list() == ["sku is known", ""]


@pytest.mark.slow
def test_the_quarantine_is_every_refused_record_with_its_reasons_newest_first(
    health_data_dir: Path,
) -> None:
    snap = current_snapshot(health_data_dir)
    assert snap is not None
    held = data_health.quarantine(snap)
    assert held.columns == [
        "channel",
        "entity",
        "load_id",
        "loaded_at",
        "first_loaded_at",
        "times_received",
        "record_key",
        "reasons",
        "raw",
    ]
    assert held["loaded_at"].to_list() == [NOW, NOW]
    assert held["times_received"].to_list() == [1, 1]
    assert dict(zip(held["record_key"], held["reasons"], strict=True)) == {
        "1001": "unknown sku X-1",
        "1002": "unknown sku X-1; total_price is not a number",
    }
    assert set(held["channel"]) == {"shopify"} and set(held["entity"]) == {"orders"}
    assert data_health.quarantine(snap, limit=1).height == 1


def test_before_the_first_build_data_health_says_there_is_no_snapshot_yet(
    empty_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("data_health", empty_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Snapshot"] == "none yet" and metrics["Loads"] == "0"
    assert any("No data yet" in i.value for i in at.info)
