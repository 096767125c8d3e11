"""What the command line's Dagster runs share: the instance, quiet logging, the failure.

`oms ingest` and `oms build` materialise assets in-process. With $DAGSTER_HOME set they are
recorded in that instance (and show in the Dagster UI); without it they run in a throwaway
one. The terminal gets one line per step from the callers, so Dagster's own console log is
kept to warnings.

These runs do not capture stdout and stderr as compute logs: `oms ingest` runs channels side
by side in one process, and a run's capture redirects the whole process's file descriptors,
so two runs at once would swap each other's (and the terminal's) output. Their structured
event logs are recorded as usual.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg

__all__ = ["QUIET_RUN_CONFIG", "cli_instance", "first_failure"]

QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


_NO_CAPTURE: dict[str, Any] = {
    "compute_logs": {
        "module": "dagster._core.storage.noop_compute_log_manager",
        "class": "NoOpComputeLogManager",
    }
}


def cli_instance() -> dg.DagsterInstance:
    """$DAGSTER_HOME's instance without compute-log capture, or a throwaway one."""
    home = os.environ.get("DAGSTER_HOME")
    if home:
        from dagster._core.instance.ref import InstanceRef

        ref = InstanceRef.from_dir(home, overrides=_NO_CAPTURE)
        return dg.DagsterInstance.from_ref(ref)
    return dg.DagsterInstance.ephemeral()


def first_failure(result: dg.ExecuteInProcessResult, *, default: str) -> str:
    """The message of the run's first failed step, or `default` when none says why."""
    failures = [event for event in result.all_events if event.is_step_failure]
    data = failures[0].step_failure_data if failures else None
    return data.error.message.strip() if data and data.error else default
