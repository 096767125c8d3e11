"""Waiting for a server this process started: until it answers, exits, or takes too long."""

from __future__ import annotations

import subprocess
import time

import httpx

__all__ = ["wait_until_answering"]


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
