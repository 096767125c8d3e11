"""What the command line's Dagster runs share: the instance, quiet logging, the failure.

`oms ingest` and `oms build` materialise assets in-process. With $DAGSTER_HOME set they are
recorded in that instance (and show in the Dagster UI); without it they run in a throwaway
one. The terminal gets one line per step from the callers, so Dagster's own console log is
kept to warnings.

These runs do not capture stdout and stderr as compute logs: `oms ingest` runs channels side
by side in one process, and a run's capture redirects the whole process's file descriptors,
so two runs at once would swap each other's (and the terminal's) output. Their structured
event logs are recorded as usual.

Runs can only go side by side when the instance has no settings. Dagster calls
`logging.config.dictConfig` whenever a run with settings (any of telemetry, python_logs, ... in
dagster.yaml) creates its log manager, which closes and replaces the whole process's handlers.
Done while another thread logs, it takes the logging module's two locks in the opposite order
to that thread and both wait for ever: `oms demo` hung that way with a dagster.yaml present.
"""

from __future__ import annotations

import os
from typing import Any

import dagster as dg
from dagster._core.instance.ref import InstanceRef

__all__ = ["QUIET_RUN_CONFIG", "cli_instance", "first_failure", "runs_can_overlap"]

QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


_NO_CAPTURE: dict[str, Any] = {
    "compute_logs": {
        "module": "dagster._core.storage.noop_compute_log_manager",
        "class": "NoOpComputeLogManager",
    }
}


def _home_ref() -> InstanceRef | None:
    home = os.environ.get("DAGSTER_HOME")
    return InstanceRef.from_dir(home, overrides=_NO_CAPTURE) if home else None


def cli_instance() -> dg.DagsterInstance:
    """$DAGSTER_HOME's instance without compute-log capture, or a throwaway one."""
    ref = _home_ref()
    return dg.DagsterInstance.from_ref(ref) if ref else dg.DagsterInstance.ephemeral()


def runs_can_overlap() -> bool:
    """Whether in-process runs in `cli_instance()` may run in threads side by side.

    Not when the instance has settings: each run would then reconfigure the process's logging
    as it starts, which deadlocks against another thread's logging (see the module's note).
    """
    ref = _home_ref()
    return ref is None or not ref.settings


def first_failure(result: dg.ExecuteInProcessResult, *, default: str) -> str:
    """The message of the run's first failed step, or `default` when none says why."""
    failures = [event for event in result.all_events if event.is_step_failure]
    data = failures[0].step_failure_data if failures else None
    return data.error.message.strip() if data and data.error else default
