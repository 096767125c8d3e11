"""How the command line's runs are arranged: channels grouped, the supplier's first, no capture."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager

from orchestration.cli_runs import cli_instance
from orchestration.definitions import INGEST_ASSETS
from orchestration.ingest_run import FIRST_GROUPS, channel_groups


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
