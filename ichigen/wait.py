"""Servers this process started: waiting until one answers (or exits, or takes too long), and
stopping one with everything it started.

Ground, beside the settings: the command line (the demo, the Dagster UI), the app's screenshot
tool and the benchmarks all start servers, and this imports nothing of ichigen, so each may
import it from its own layer.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

import httpx

__all__ = ["stop_group", "wait_until_answering"]


def wait_until_answering(
    url: str, process: subprocess.Popen[bytes], *, what: str, timeout_s: float = 120.0
) -> None:
    """Return once `url` answers 200; raise if `process` exits or `timeout_s` passes.

    On a timeout the process is terminated, so no half-started server is left behind.
    """
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode} before it answered")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"{what} did not answer on {url} within {timeout_s:.0f} s")


def stop_group(process: subprocess.Popen[Any], *, timeout_s: float = 20.0) -> None:
    """Stop a process started in its own session and everything it started (dagster dev
    leaves its code servers behind if only the parent is told): SIGTERM, then SIGKILL."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=timeout_s)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
