"""`oms demo`: run the whole system on the sandbox.

The simulated business and its channel simulators, then one pass of the pipeline: every
channel ingested into the landing zone, the warehouse built and its snapshot published.
With `keep_running` the simulators stay up afterwards; the app issue adds the app and the
Dagster UI here, so that `make run` always shows everything that exists.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import threading
from collections.abc import Callable

import httpx

from ichigen.settings import Settings
from ichigen.wait import wait_until_answering

__all__ = ["run_demo", "wait_for_interrupt"]

Echo = Callable[[str], None]
_SANDBOX_RATE_MULTIPLIER = 10.0


def run_demo(
    settings: Settings, *, scale: str, keep_running: bool, echo: Echo, days: int | None = None
) -> None:
    """Generate the sandbox if needed, serve it, check every simulator answers, then wait."""
    from sandbox.build import build_sandbox, ensure_sandbox
    from sandbox.simulators.serve import start_sandbox

    if not (settings.sandbox_dir / "world" / "manifest.json").exists():
        echo(f"generating the {scale} sandbox under {settings.sandbox_dir} ...")
        echo(build_sandbox(settings.sandbox_dir, scale=scale, days=days).describe())
    if "ICHIGEN_RATE_MULTIPLIER" not in os.environ:
        # the simulators allow ten times the channels' published rates
        settings = dataclasses.replace(settings, rate_multiplier=_SANDBOX_RATE_MULTIPLIER)
    world = ensure_sandbox(settings.sandbox_dir)
    running = start_sandbox(
        world, settings, ports=settings.sandbox_ports(), drops_dir=settings.sandbox_dir / "drops"
    )
    try:
        for name, url in running.urls.items():
            health = httpx.get(f"{url}/_sandbox/health", timeout=5.0)
            health.raise_for_status()
            echo(f"{name} {url}")
        echo(
            f"sandbox clock: {world.now.isoformat()}; files dropped under "
            f"{settings.sandbox_dir / 'drops'}"
        )
        # the pipeline's runs are recorded where the Dagster UI will look for them
        dagster_home = settings.data_dir / "dagster"
        dagster_home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("DAGSTER_HOME", str(dagster_home))
        _pipeline(settings, echo)
        if keep_running:
            _serve_ui(settings, running.urls, echo)
    finally:
        running.stop()


def _serve_ui(settings: Settings, urls: dict[str, str], echo: Echo) -> None:
    from ichigen.dagster_ui import start_dagster_ui

    env = {
        "ICHIGEN_DATA_DIR": str(settings.data_dir),
        "ICHIGEN_RATE_MULTIPLIER": str(settings.rate_multiplier),
        **{f"ICHIGEN_{name.upper()}_URL": url for name, url in urls.items()},
    }
    dagster, dagster_url = start_dagster_ui(
        env=env, dagster_home=settings.data_dir / "dagster", port=settings.dagster_port
    )
    streamlit: subprocess.Popen[bytes] | None = None
    try:
        streamlit, app_url = _start_app(settings)
        echo(f"app {app_url}")
        echo(f"Dagster UI {dagster_url}")
        echo("the app, the Dagster UI and the simulators are serving; press Ctrl-C to stop")
        wait_for_interrupt()
    finally:
        for process in (streamlit, dagster):
            if process is not None:
                _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session and everything it started (dagster dev
    leaves its code servers behind if only the parent is told)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def _start_app(settings: Settings) -> tuple[subprocess.Popen[bytes], str]:
    """Start the Streamlit app and wait until it answers its health check."""
    from app.launch import app_command, app_environment

    url = f"http://127.0.0.1:{settings.app_port}"
    process = subprocess.Popen(
        app_command(port=settings.app_port),
        env=app_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    wait_until_answering(f"{url}/_stcore/health", process, what="the app")
    return process, url


def _pipeline(settings: Settings, echo: Echo) -> None:
    from orchestration.build_run import run_build
    from orchestration.ingest_run import run_ingest

    echo("ingesting every channel ...")
    outcomes = run_ingest(settings, on_progress=lambda o: echo(f"  {o.describe()}"))
    failed = [o.asset for o in outcomes if not o.success]
    if failed:
        raise RuntimeError(f"ingestion failed for {', '.join(failed)}")
    echo("building the warehouse ...")
    build = run_build(settings)
    if not build.success:
        raise RuntimeError(f"the warehouse build failed: {build.error}")
    echo(f"snapshot published at {build.snapshot}")


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (what `make run` and process managers send)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
