"""The Dagster UI (webserver and daemon, `dagster dev`) over ichigen's code location.

`oms demo` starts it after the first pipeline run, with the same environment the pipeline
used, so the UI shows those runs (DAGSTER_HOME under the data directory) and its schedules
and sensors reach the same channels.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from ichigen.wait import stop_group, wait_until_answering

__all__ = ["start_dagster_ui"]

_READY_TIMEOUT_S = 120.0
_NICENESS = 10


def start_dagster_ui(
    *, env: Mapping[str, str], dagster_home: Path, port: int
) -> tuple[subprocess.Popen[bytes], str]:
    """Start `dagster dev` on 127.0.0.1:`port`; returns the process and its URL once it answers."""
    dagster_home.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    command = [
        str(Path(sys.executable).with_name("dagster")),
        "dev",
        "-m",
        "ichigen.orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
    ]
    process = subprocess.Popen(
        command,
        env={**os.environ, **env, "DAGSTER_HOME": str(dagster_home)},
        stdout=subprocess.DEVNULL,
        stderr=(dagster_home / "dagster-dev.log").open("ab"),
        start_new_session=True,  # Ctrl-C in the terminal reaches us; we stop it ourselves
    )
    # Below the app: the demo starts the UI as the app meets its first visitor, and loading
    # the code location took the CPU from the app's first page (7 s from "snapshot published"
    # to the Overview showing revenue on two cores, 2.3 s with the machine to itself). Its
    # code servers and the daemon's runs inherit the niceness.
    with contextlib.suppress(OSError):
        os.setpriority(os.PRIO_PGRP, process.pid, _NICENESS)
    try:
        wait_until_answering(
            f"{url}/server_info",
            process,
            what=f"the Dagster UI (see {dagster_home / 'dagster-dev.log'})",
            timeout_s=_READY_TIMEOUT_S,
        )
    except BaseException:
        # Ctrl-C or SIGTERM while it starts: the caller never gets the process to stop it
        stop_group(process)
        raise
    return process, url
