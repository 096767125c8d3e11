"""Completeness per channel and entity, ingestion failures and the quarantine counted once: the
operations marts built by dbt over a landing zone of manifests, failure records and quarantine
parts (tests/warehouse/completeness_landing.py)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ichigen.paths import DataPaths
from tests.dbt_cli import run_dbt
from tests.warehouse.completeness_landing import BAD_FILE_SHA, OTHER_BAD_FILE_SHA, write_scenario

pytestmark = pytest.mark.slow

NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
H = timedelta(hours=1)


@dataclass(frozen=True)
class _Built:
    paths: DataPaths
    result: subprocess.CompletedProcess[str]

    def rows(self, sql: str) -> list[dict[str, Any]]:
        with duckdb.connect(str(self.paths.warehouse), read_only=True) as con:
            con.execute("set time zone 'UTC'")
            cursor = con.execute(sql)
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> _Built:
    paths = DataPaths(tmp_path_factory.mktemp("completeness") / "data")
    write_scenario(paths, NOW)
    result = run_dbt(
        ["build", "--select", "+fct_channel_completeness"],
        data_dir=paths.root,
        warehouse=paths.warehouse,
    )
    return _Built(paths, result)


def _by_key(rows: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {row[key]: row for row in rows}


def test_the_operations_marts_and_their_tests_build(built: _Built) -> None:
    assert built.result.returncode == 0, built.result.stdout[-4000:]


def test_each_channel_and_entity_says_how_far_it_landed_and_whether_it_is_complete(
    built: _Built,
) -> None:
    rows = _by_key(built.rows("select * from marts.fct_channel_completeness"), "channel_entity_key")
    assert set(rows) == {
        "shopify:orders",
        "amazon:orders",
        "rakuten:orders",
        "pos:sales",
        "wholesale:order_lines",
    }
    shopify = rows["shopify:orders"]
    # a load, then a pull that failed: what landed is there, but not everything
    assert shopify["is_complete"] is False
    assert shopify["loaded_through"] == NOW - 4 * H  # the channel's own clock
    assert shopify["last_completed_load_at"] == NOW - 3 * H
    assert shopify["last_pull_failure_at"] == NOW - 1 * H
    assert shopify["last_failure_error_class"] == "retries_exhausted"
    assert "503" in shopify["last_failure_cause"] and shopify["last_failure_fix"] is None
    # the half-done load's refused record is not counted
    assert (shopify["records_received"], shopify["quarantined_distinct"]) == (10, 1)
    # a failed pull mended by a later load
    amazon = rows["amazon:orders"]
    assert amazon["is_complete"] is True
    assert amazon["last_failure_fix"] == "set ICHIGEN_AMAZON_REFRESH_TOKEN"
    assert amazon["pull_failures"] == 1
    # nothing ever landed
    rakuten = rows["rakuten:orders"]
    assert rakuten["is_complete"] is False
    assert rakuten["loads"] == 0 and rakuten["last_completed_load_at"] is None
    assert rakuten["last_failure_fix"] == "set ICHIGEN_RAKUTEN_LICENSE_KEY"
    # files that failed whole do not make the rest of the folder incomplete
    pos = rows["pos:sales"]
    assert pos["is_complete"] is True
    assert pos["loaded_through"] is None  # POS rows carry no change time
    assert pos["files_failed"] == 2 and pos["pull_failures"] == 0
    assert pos["last_failure_error_class"] == "invalid_file"  # the latest of the three
    # every receipt adds up; the record received twice is one record
    assert (pos["records_received"], pos["records_accepted"], pos["records_quarantined"]) == (
        6,
        4,
        2,
    )
    assert pos["quarantined_distinct"] == 1
    assert rows["wholesale:order_lines"]["is_complete"] is True


def test_a_file_that_failed_whole_counts_once_however_often_it_was_tried(built: _Built) -> None:
    failures = _by_key(built.rows("select * from marts.fct_ingest_failures"), "ingest_failure_key")
    assert set(failures) == {
        "shopify:orders:F-SHOP-1",
        "amazon:orders:F-AMZ-1",
        "rakuten:orders:F-RAK-1",
        f"pos:sales:file:{BAD_FILE_SHA}",
        f"pos:sales:file:{OTHER_BAD_FILE_SHA}",
    }  # the record that is not JSON is left out
    unreadable = failures[f"pos:sales:file:{BAD_FILE_SHA}"]
    assert unreadable["times_failed"] == 2
    assert (unreadable["first_failed_at"], unreadable["failed_at"]) == (NOW - 6 * H, NOW - 2.5 * H)
    assert unreadable["failure_id"] == "F-POS-2"
    assert unreadable["fix"] == "export the file again as UTF-8 or CP932"
    assert failures[f"pos:sales:file:{OTHER_BAD_FILE_SHA}"]["times_failed"] == 1
    # a pull failure is resolved by the next completed load of its channel and entity
    assert failures["amazon:orders:F-AMZ-1"]["resolved_at"] == NOW - 2 * H
    assert failures["shopify:orders:F-SHOP-1"]["resolved_at"] is None
    assert failures["shopify:orders:F-SHOP-1"]["load_id"] == "L-SHOP-2"
    assert failures[f"pos:sales:file:{BAD_FILE_SHA}"]["resolved_at"] is None


def test_the_same_bad_record_sent_again_is_quarantined_once_with_how_often_it_came(
    built: _Built,
) -> None:
    held = built.rows(
        "select * from marts.fct_quarantined_records order by channel, entity, record_key"
    )
    assert [(r["channel"], r["record_key"], r["times_received"]) for r in held] == [
        ("pos", "R-0002-1", 2),
        ("shopify", "1001", 1),
    ]
    pos = held[0]
    # from its latest receipt, under the name it was sent again with
    assert pos["load_id"] == "L-POS-2" and '"resent/' in pos["raw"]
    assert (pos["first_loaded_at"], pos["loaded_at"]) == (NOW - 6 * H, NOW - 2 * H)
    assert pos["reasons"] == "quantity is an integer"
    # every receipt is still in staging, each with the same content hash
    receipts = built.rows(
        "select load_id, record_sha256 from staging.stg_ingestion__quarantined_records "
        "where channel = 'pos' order by load_id"
    )
    assert [r["load_id"] for r in receipts] == ["L-POS-1", "L-POS-2"]
    assert receipts[0]["record_sha256"] == receipts[1]["record_sha256"] == pos["record_sha256"]


def test_a_build_over_no_failures_and_no_loads_has_empty_operations_marts(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path / "data")
    result = run_dbt(
        ["build", "--select", "+fct_channel_completeness"],
        data_dir=paths.root,
        warehouse=paths.warehouse,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(paths.warehouse), read_only=True) as con:
        for mart in ("fct_channel_completeness", "fct_ingest_failures", "fct_quarantined_records"):
            assert con.execute(f"select count(*) from marts.{mart}").fetchone() == (0,), mart
