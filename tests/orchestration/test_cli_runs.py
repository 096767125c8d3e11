"""How the command line's runs are arranged: channels grouped, the supplier's first, no capture,
side by side only where that cannot deadlock."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager

from ichigen.orchestration.cli_runs import cli_instance, runs_can_overlap
from ichigen.orchestration.definitions import INGEST_ASSETS
from ichigen.orchestration.ingest_run import FIRST_GROUPS, channel_groups, run_ingest
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.settings import Settings, load_settings


def test_every_ingestion_asset_is_in_exactly_one_channel_group() -> None:
    grouped = [a.key for assets in channel_groups().values() for a in assets]
    assert sorted(grouped) == sorted(a.key for a in INGEST_ASSETS)
    assert len(grouped) == len(set(grouped))


def test_the_supplier_runs_before_the_channels_that_read_its_catalogue() -> None:
    groups = list(channel_groups())
    assert FIRST_GROUPS == ("supplier",)
    assert groups[0] == "supplier" and "files" in groups[1:]


def test_one_channel_selects_only_its_group() -> None:
    assert list(channel_groups("rakuten")) == ["rakuten"]
    names = [a.key.to_user_string() for a in channel_groups("rakuten")["rakuten"]]
    assert names == ["rakuten_orders", "rakuten_inventories"]  # inventories read the orders


def test_runs_in_dagster_home_do_not_capture_the_process_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # two overlapping runs would each redirect the process's stdout and restore the other's
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with cli_instance() as instance:
        assert not instance.is_ephemeral
        assert isinstance(instance.compute_log_manager, NoOpComputeLogManager)


def test_runs_overlap_only_in_an_instance_without_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    assert runs_can_overlap()  # the throwaway instance
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    assert runs_can_overlap()  # no dagster.yaml
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    # any setting makes each run call logging.config.dictConfig as it starts
    assert not runs_can_overlap()


# a deadlock holds the logging locks that the default (signal) timeout's report needs
@pytest.mark.timeout(300, method="thread")
def test_with_a_dagster_yaml_the_channels_run_one_after_another_and_all_land(
    sandbox: RunningSandbox, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    pointed = load_settings(
        {"ICHIGEN_DATA_DIR": str(settings.data_dir)} | sandbox.url_environment, dotenv=False
    )
    outcomes = run_ingest(pointed)
    assert outcomes and all(o.success for o in outcomes), [o.error for o in outcomes if o.error]
    with cli_instance() as instance:
        records = sorted(instance.get_run_records(), key=lambda r: r.start_time or 0.0)
    assert len(records) == len(channel_groups())
    for earlier, later in pairwise(records):
        assert earlier.end_time is not None and later.start_time is not None
        assert earlier.end_time <= later.start_time, "two channels' runs overlapped"
