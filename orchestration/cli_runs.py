"""What the command line's Dagster runs share: the instance, quiet logging, the failure.

`oms ingest` and `oms build` materialise assets in-process. With $DAGSTER_HOME set they are
recorded in that instance (and show in the Dagster UI); without it they run in a throwaway
one. The terminal gets one line per asset from the callers (a failure's cause, from
`failure_cause`), so Dagster's own console logger says nothing: its step failures were whole
stack traces, the cause buried among them. The traces go to the command's log file instead
(`orchestration.run_log`). Each run is tagged with the process that runs it
(`cli_run_tags`), so that a run whose process was killed is marked failed by the next command
(`fail_abandoned_cli_runs`, `orchestration.abandoned_runs`).

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
from dagster._core.execution.plan.objects import StepFailureData
from dagster._core.instance.ref import InstanceRef

from ichigen.orchestration.abandoned_runs import fail_abandoned_runs, process_tags

__all__ = [
    "QUIET_RUN_CONFIG",
    "cli_instance",
    "cli_run_tags",
    "fail_abandoned_cli_runs",
    "failure_cause",
    "first_failure",
    "runs_can_overlap",
]

# CRITICAL: nothing Dagster logs reaches the terminal; the command's log file has it all
QUIET_RUN_CONFIG: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


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


def cli_run_tags(**tags: str) -> dict[str, str]:
    """The tags of a command-line run: its trigger, the process running it, and `tags`."""
    return {"ichigen/trigger": "cli", **process_tags(), **tags}


def fail_abandoned_cli_runs() -> list[str]:
    """Mark failed the runs left in progress by killed processes (a throwaway instance has
    none); returns their ids."""
    if _home_ref() is None:
        return []
    with cli_instance() as instance:
        return fail_abandoned_runs(instance)


def failure_cause(data: StepFailureData | None, *, default: str = "it failed") -> str:
    """One line saying why a step failed.

    A landing asset fails with a `dg.Failure` whose description is the cause and the fix; it
    outlives Dagster's retries (whose own message is only "Exceeded max_retries of 2"). For
    anything else, the innermost cause's first line: the wrappers above it say only where.
    """
    if data is None:
        return default
    described = data.user_failure_data.description if data.user_failure_data else None
    if described and described.strip():
        return described.strip().splitlines()[0]
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    lines = error.message.strip().splitlines() if error is not None else []
    return lines[0] if lines else default


def first_failure(result: dg.ExecuteInProcessResult, *, default: str) -> str:
    """The cause of the run's first failed step, or `default` when none says why."""
    failures = [event for event in result.all_events if event.is_step_failure]
    return failure_cause(failures[0].step_failure_data, default=default) if failures else default
