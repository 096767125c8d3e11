"""The log file of one `oms ingest` or `oms build`: the full traces behind its one-line errors.

The terminal gets one line per failed asset (its cause and what to change); whoever needs the
rest opens the file the command names, under ``$ICHIGEN_DATA_DIR/logs/``. It holds, per Dagster
run, every event at warning level or above with its whole error (causes included), which is
what Dagster's console logger used to print: ~280 lines of stack traces for one wrong token.
The runs' event logs stay in the Dagster instance as well when there is one ($DAGSTER_HOME).

Written after each run ends, from the run's stored events, not by a logging handler: the
channels' runs go side by side in threads, and Dagster reconfigures the process's logging as
runs start (see `orchestration.cli_runs`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import dagster as dg

__all__ = ["RunLog"]

_KEEP: Final = 200  # log files kept per data directory; the oldest go first


class RunLog:
    """Appends runs' warnings and errors to one file; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    @classmethod
    def create(cls, folder: Path, command: str, *, keep: int = _KEEP) -> RunLog:
        """A new log for one `command` under `folder` (`DataPaths.logs`), named by its start."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        log = cls(folder / f"{command}-{stamp}-{os.getpid()}.log")
        _prune(folder, keep=keep)
        return log

    def write(self, text: str) -> None:
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(text if text.endswith("\n") else text + "\n")

    def write_exception(self, title: str, exc: BaseException) -> None:
        """An error met outside any run (the run could not start)."""
        self.write(f"{_now()} {title}\n{''.join(traceback.format_exception(exc))}")

    def write_run(self, instance: dg.DagsterInstance, run_id: str, *, title: str) -> None:
        """One run: its outcome, then each warning or error it logged, with full traces.

        Never raises: a log that cannot be written must not cost the run's outcome."""
        try:
            self._write_run(instance, run_id, title=title)
        except Exception as exc:
            with contextlib.suppress(Exception):
                self.write_exception(f"run {run_id} ({title}) could not be logged", exc)

    def _write_run(self, instance: dg.DagsterInstance, run_id: str, *, title: str) -> None:
        run = instance.get_run_by_id(run_id)
        status = run.status.value if run is not None else "UNKNOWN"
        lines = [f"{_now()} run {run_id} ({title}): {status}"]
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            failure = (
                event.step_failure_data if event is not None and event.is_step_failure else None
            )
            error = failure.error if failure is not None else entry.error_info
            level = _level(entry.level)
            if level < logging.WARNING and error is None:
                continue
            when = datetime.fromtimestamp(entry.timestamp, UTC).isoformat(timespec="seconds")
            name = logging.getLevelName(level)
            lines.append(f"{when} {entry.step_key or '-'} {name} {entry.user_message}")
            if error is not None:
                lines.append(error.to_string())
        self.write("\n".join(lines) + "\n")


def _level(level: int | str) -> int:
    """An event's level as a number (events may carry its name)."""
    return level if isinstance(level, int) else logging.getLevelNamesMapping().get(level, 0)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _prune(folder: Path, *, keep: int) -> None:
    logs = sorted(folder.glob("*.log"), key=lambda path: path.stat().st_mtime)
    for old in logs[: max(0, len(logs) - keep)]:
        old.unlink(missing_ok=True)
