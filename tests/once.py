"""Session fixtures made once per test run, however many pytest-xdist workers share it.

`make test` runs on two workers, and each worker has its own session: a session fixture that
builds a warehouse (about a minute of dbt) would be built once per worker. The first worker to
ask builds it under a file lock; the others wait for it and read its pickled result. This is
pytest-xdist's own advice for such fixtures ("Making session-scoped fixtures execute only
once"); xdist's `loadgroup` would instead send every test of a build to one worker.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from filelock import FileLock

T = TypeVar("T")


def once_per_run(
    tmp_path_factory: pytest.TempPathFactory, name: str, make: Callable[[Path], T]
) -> T:
    """`make(folder)`'s result, made once in a folder every worker of this run can read."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the workers' temp folders are siblings under the run's own
    folder = root / name
    made = folder / "made.pickle"
    with FileLock(f"{folder}.lock"):
        if made.exists():
            result: T = pickle.loads(made.read_bytes())
            return result
        folder.mkdir(exist_ok=True)
        result = make(folder)
        made.write_bytes(pickle.dumps(result))
        return result
