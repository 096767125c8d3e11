"""The Overview warns about each channel and entity that is incomplete or stale, and Data health
lists each failure with its cause and fix and the completeness table: against a snapshot built
by dbt from a landing zone with failures (tests/warehouse/completeness_landing.py), and against
the session's clean run, which warns about nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.app.data import data_health
from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from tests.app.conftest import RunPage
from tests.dbt_cli import run_dbt
from tests.warehouse.completeness_landing import BAD_FILE_SHA, write_scenario

_WARNING = "Incomplete or stale data"


@pytest.fixture(scope="module")
def failures_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The scenario's landing zone, its times counted back from now, built (the operations
    marts only) and published."""
    paths = DataPaths(tmp_path_factory.mktemp("completeness") / "data")
    write_scenario(paths, datetime.now(UTC).replace(microsecond=0))
    built = run_dbt(
        ["build", "--select", "+fct_loads", "+fct_channel_completeness"],
        data_dir=paths.root,
        warehouse=paths.warehouse,
    )
    assert built.returncode == 0, built.stdout[-4000:]
    publish_snapshot(paths.warehouse, paths.snapshot)
    return paths.root


def _warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if _WARNING in w.value]


def _table_with(at: AppTest, column: str) -> pd.DataFrame:
    for frame in at.dataframe:
        if column in frame.value.columns:
            return frame.value
    raise AssertionError(f"no table with a {column!r} column")


@pytest.mark.slow
def test_the_overview_names_each_incomplete_or_stale_channel_and_entity(
    failures_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("overview", failures_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    (warning,) = _warnings(at)
    lines = {line.split(":")[0]: line for line in warning.splitlines() if line.startswith("- ")}
    assert set(lines) == {
        "- **shopify orders**",  # a pull failed after its last load
        "- **rakuten orders**",  # never landed
        "- **wholesale order_lines**",  # its last load is ten days old
    }
    assert "incomplete" in lines["- **shopify orders**"]
    assert "503" in lines["- **shopify orders**"]
    assert "nothing has landed yet" in lines["- **rakuten orders**"]
    assert "`set ICHIGEN_RAKUTEN_LICENSE_KEY`" in lines["- **rakuten orders**"]
    assert "stale" in lines["- **wholesale order_lines**"]
    assert "within 7 days" in lines["- **wholesale order_lines**"]


@pytest.mark.slow
def test_data_health_lists_each_failure_with_its_cause_and_fix_and_the_completeness(
    failures_data_dir: Path, run_page: RunPage
) -> None:
    at = run_page("data_health", failures_data_dir)
    assert not at.exception, [e.value for e in at.exception]
    assert len(_warnings(at)) == 1
    metrics = {m.label: m.value for m in at.metric}
    # the POS record sent twice counts once; the amazon pull was made up for
    assert metrics["Records quarantined"] == "2"
    assert metrics["Failures"] == "4"
    listed = _table_with(at, "times_failed")
    assert len(listed) == 5
    by_source = listed.set_index("source")
    unreadable = by_source.loc["ST-UMEDA/ST-UMEDA_20261206.csv"]
    assert unreadable["times_failed"] == 2 and unreadable["content_sha256"] == BAD_FILE_SHA
    assert unreadable["cause"].startswith("ST-UMEDA_20261206.csv is in no encoding")
    assert unreadable["fix"] == "export the file again as UTF-8 or CP932"
    assert set(listed["error_class"]) == {
        "retries_exhausted",
        "auth",
        "configuration",
        "unreadable_file",
        "invalid_file",
    }
    # the unresolved first: the amazon pull, resolved by a later load, comes last
    assert listed["error_class"].iloc[-1] == "auth" and listed["resolved_at"].notna().iloc[-1]
    table = _table_with(at, "is_complete").set_index(["channel", "entity"])
    assert not table.loc[("shopify", "orders"), "is_complete"]
    assert table.loc[("amazon", "orders"), "is_complete"]
    assert table.loc[("wholesale", "order_lines"), "is_stale"]
    assert table.loc[("pos", "sales"), "files_failed"] == 2
    assert table.loc[("pos", "sales"), "quarantined_distinct"] == 1
    # a channel filter narrows the failures too
    at.multiselect(key="health_channels").set_value(["pos"]).run()
    assert set(_table_with(at, "times_failed")["channel"]) == {"pos"}


@pytest.mark.slow
def test_a_clean_run_warns_about_nothing_on_either_page(
    app_data_dir: Path, run_page: RunPage
) -> None:
    with duckdb.connect(str(DataPaths(app_data_dir).snapshot), read_only=True) as con:
        row = con.execute(
            "select count(*), count(*) filter (where is_complete) from fct_channel_completeness"
        ).fetchone()
    assert row is not None and row[0] > 0 and row[0] == row[1], row
    for page in ("overview", "data_health"):
        at = run_page(page, app_data_dir)
        assert not at.exception, [e.value for e in at.exception]
        assert _warnings(at) == [], page
    assert any("No pull and no file has failed" in s.value for s in at.success)


def _completeness(**rows: tuple[str, bool, datetime | None]) -> pl.DataFrame:
    """A completeness frame: per `channel`, its entity, completeness and last load."""
    schema: dict[str, pl.DataType | type[pl.DataType]] = {
        "channel": pl.String,
        "entity": pl.String,
        "is_complete": pl.Boolean,
        "last_completed_load_at": pl.Datetime("us", "UTC"),
        "last_failure_at": pl.Datetime("us", "UTC"),
        "last_failure_cause": pl.String,
        "last_failure_fix": pl.String,
    }
    return pl.DataFrame(
        [
            (channel, entity, complete, loaded, None, None, None)
            for channel, (entity, complete, loaded) in rows.items()
        ],
        schema=schema,
        orient="row",
    )


def test_an_entity_is_stale_past_its_own_threshold_and_never_landed_is_incomplete() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    day = timedelta(days=1)
    frame = _completeness(
        shopify=("orders", True, now - 1.9 * day),  # within two days
        amazon=("orders", True, now - 2.1 * day),  # past them
        rakuten=("inventories", True, now - 1.1 * day),  # stock: one day
        supplier=("catalogue", True, now - 6 * day),  # reference data: a week
        wholesale=("no_such_entity", True, now - 2.1 * day),  # the default: two days
        pos=("sales", False, None),
    )
    flagged = data_health.needing_attention(frame, now=now)
    assert sorted(flagged["channel"]) == ["amazon", "pos", "rakuten", "wholesale"]
    warning = data_health.completeness_warning(frame, now=now)
    assert warning is not None
    assert "- **amazon orders**: stale, no completed load for 2.1 days" in warning
    assert "(expected within 1 day)" in warning
    assert "- **pos sales**: incomplete, nothing has landed yet." in warning
    fresh = frame.filter(pl.col("channel").is_in(["shopify", "supplier"]))
    assert data_health.completeness_warning(fresh, now=now) is None


def test_a_held_channel_is_named_once_with_the_state_it_shows_and_why_before_stale_data() -> None:
    now = datetime(2026, 12, 7, 12, tzinfo=UTC)
    as_of = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    frame = _completeness(
        shopify=("orders", True, now - timedelta(hours=1)),
        amazon=("orders", True, now - timedelta(days=3)),
    )
    frame = pl.concat(
        [
            frame,
            frame.filter(pl.col("channel") == "shopify").with_columns(entity=pl.lit("customers")),
        ]
    ).with_columns(
        is_held=pl.col("channel") == "shopify",
        held_as_of=pl.when(pl.col("channel") == "shopify").then(pl.lit(as_of)),
        held_reason=pl.when(pl.col("channel") == "shopify").then(
            pl.lit("model stg_shopify__order_lines: Conversion Error: Expected ARRAY.")
        ),
    )
    warning = data_health.completeness_warning(frame, now=now)
    assert warning is not None
    held, stale = warning.split("Incomplete or stale data")
    assert held.count("**shopify**") == 1  # one line per channel, not per entity
    assert (
        "- **shopify**: new data could not be built; showing its last good state from "
        "2026-12-07 09:30 UTC: model stg_shopify__order_lines: Conversion Error: Expected ARRAY."
    ) in held
    assert "**amazon orders**: stale" in stale
    assert data_health.held_warning(frame.with_columns(is_held=pl.lit(False))) is None


def test_data_health_warns_that_the_rakuten_license_key_is_about_to_expire(
    empty_data_dir: Path, run_page: RunPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    issued = today - timedelta(days=85)  # RMS keys last 90 days: five left
    monkeypatch.setenv("ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON", issued.isoformat())
    at = run_page("data_health", empty_data_dir)
    assert any("(in 5 days)" in w.value for w in at.warning), [w.value for w in at.warning]
    monkeypatch.setenv("ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON", today.isoformat())
    at = run_page("data_health", empty_data_dir)
    assert not any("licenseKey" in w.value for w in at.warning)
