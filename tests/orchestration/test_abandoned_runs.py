"""A run whose process is killed does not stay STARTED: the next command marks it failed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ichigen.orchestration.abandoned_runs import STARTED_TAG, fail_abandoned_runs, process_tags
from ichigen.orchestration.cli_runs import cli_instance, fail_abandoned_cli_runs

OMS = Path(sys.executable).with_name("oms")


@dg.op
def _nothing() -> None:
    pass


@dg.job
def _noop_job() -> None:
    _nothing()


def test_a_run_tagged_with_a_reused_pid_is_failed_and_one_of_a_live_process_is_not() -> None:
    with dg.DagsterInstance.ephemeral() as instance:
        live = instance.create_run_for_job(_noop_job, tags=process_tags())
        # this PID, but a process that started at another time: the PID was reused
        reused = instance.create_run_for_job(_noop_job, tags={**process_tags(), STARTED_TAG: "1"})
        assert fail_abandoned_runs(instance) == [reused.run_id]
        statuses = {
            run_id: instance.get_run_by_id(run_id).status  # type: ignore[union-attr]
            for run_id in (live.run_id, reused.run_id)
        }
    assert statuses == {
        live.run_id: dg.DagsterRunStatus.NOT_STARTED,
        reused.run_id: dg.DagsterRunStatus.FAILURE,
    }


@pytest.mark.timeout(180)
def test_a_killed_ingest_leaves_a_started_run_that_the_next_command_marks_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    # a "shop" that takes the connection and never answers: the pull is under way when it
    # connects, so its run is STARTED in storage
    with socket.create_server(("127.0.0.1", 0)) as shop:
        shop.settimeout(120)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ICHIGEN_", "DAGSTER_"))}
        env |= {
            "DAGSTER_HOME": str(home),
            "ICHIGEN_DATA_DIR": str(tmp_path / "data"),
            "ICHIGEN_SHOPIFY_URL": f"http://127.0.0.1:{shop.getsockname()[1]}",
        }
        ingest = subprocess.Popen(
            [str(OMS), "ingest", "--channel", "shopify"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            connection, _ = shop.accept()
            monkeypatch.setenv("DAGSTER_HOME", str(home))
            assert fail_abandoned_cli_runs() == []  # its process is alive: left alone
            ingest.send_signal(signal.SIGKILL)
            ingest.wait(timeout=30)
            connection.close()
        finally:
            if ingest.poll() is None:
                ingest.kill()
    with cli_instance() as instance:
        [record] = instance.get_run_records()
        assert record.dagster_run.status == dg.DagsterRunStatus.STARTED
    assert fail_abandoned_cli_runs() == [record.dagster_run.run_id]
    with cli_instance() as instance:
        run = instance.get_run_by_id(record.dagster_run.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.FAILURE
        said = [
            entry.dagster_event.message or ""
            for entry in instance.all_logs(run.run_id)
            if entry.dagster_event is not None and entry.dagster_event.is_run_failure
        ]
    assert len(said) == 1 and "killed or crashed" in said[0]
    assert fail_abandoned_cli_runs() == []  # once
