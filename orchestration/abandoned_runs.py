"""Runs whose process died are marked failed, instead of showing as running for ever.

`oms ingest` and `oms build` run their assets in their own process. Killed with SIGKILL (or by
the OOM killer, or a power cut), that process never records the run's end, and Dagster's
storage keeps it STARTED: the UI shows it running for ever and a sensor keyed on it waits.
Dagster's run monitoring does not cover these runs: it asks the run launcher whether a run's
worker is alive, and runs made in-process have no launcher that could answer (the default
launcher cannot for its own runs either); its other remedy, a maximum run time, would also
stop long honest runs, and settings in dagster.yaml make the command line run the channels
one after another (`orchestration.cli_runs.runs_can_overlap`).

So each command-line run carries tags naming its process (host, PID and the PID's start time,
since PIDs are reused), and the next command to start looks for runs of this host still
marked in progress whose process is gone, and reports them failed, saying why.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Final

import dagster as dg

__all__ = ["HOST_TAG", "PID_TAG", "STARTED_TAG", "fail_abandoned_runs", "process_tags"]

HOST_TAG: Final = "ichigen/host"
PID_TAG: Final = "ichigen/pid"
STARTED_TAG: Final = "ichigen/pid_started"  # the process's start, in clock ticks since boot

_IN_PROGRESS: Final = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def _started(pid: int) -> str | None:
    """When process `pid` started (field 22 of /proc/<pid>/stat), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may hold spaces and parentheses: count from its last ")"
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def process_tags(pid: int | None = None) -> dict[str, str]:
    """Tags naming the process that runs a run (this one, unless `pid`)."""
    pid = os.getpid() if pid is None else pid
    tags = {HOST_TAG: socket.gethostname(), PID_TAG: str(pid)}
    started = _started(pid)
    if started is not None:
        tags[STARTED_TAG] = started
    return tags


def _alive(tags: Mapping[str, str]) -> bool:
    try:
        pid = int(tags[PID_TAG])
    except (KeyError, ValueError):
        return True  # not ours to judge
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    recorded = tags.get(STARTED_TAG)
    return recorded is None or _started(pid) in (None, recorded)


def fail_abandoned_runs(instance: dg.DagsterInstance) -> list[str]:
    """Report as failed every run of this host still in progress whose process is gone.

    Runs of other hosts sharing the storage are left to them. Returns the runs' ids.
    """
    host = socket.gethostname()
    records = instance.get_run_records(
        filters=dg.RunsFilter(statuses=_IN_PROGRESS, tags={HOST_TAG: host})
    )
    failed = []
    for record in records:
        run = record.dagster_run
        if _alive(run.tags):
            continue
        instance.report_run_failed(
            run,
            message=(
                f"the process that ran it (PID {run.tags.get(PID_TAG)} on {host}) ended "
                "without finishing it: killed or crashed; marked failed by the next command"
            ),
        )
        failed.append(run.run_id)
    return failed
