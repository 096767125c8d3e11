"""`oms demo`: run the whole system on the sandbox.

The simulated business and its channel simulators (`oms sandbox serve`, in a process of their
own), then one pass of the pipeline: every channel ingested into the landing zone, the warehouse
built and its snapshot published.
With `keep_running` the app and the Dagster UI are served as well, so that `make run` always
shows everything that exists.

The app starts before the pipeline: its start-up overlaps the pulls (which mostly wait on the
channels' rate limits), it shows "no data yet" until the first snapshot is published and the
newest snapshot from then on (DESIGN.md decision 5). The Dagster UI starts once the snapshot
is out, so that its code location loads while nobody is waiting for it. Each phase says how
long it took (benchmarks/end_to_end.py reads those lines).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from ichigen.settings import Settings
from ichigen.wait import stop_group, wait_until_answering

__all__ = ["run_demo", "wait_for_interrupt"]

Echo = Callable[[str], None]
_SANDBOX_RATE_MULTIPLIER = 10.0


def run_demo(
    settings: Settings, *, scale: str, keep_running: bool, echo: Echo, days: int | None = None
) -> None:
    """Generate the sandbox if needed, serve it, run the pipeline once, then (with
    `keep_running`) serve the app and the Dagster UI until interrupted."""
    from ichigen.sandbox.build import build_sandbox

    _terminate_as_interrupt()  # so that SIGTERM still stops what was started, at any point
    sandbox = settings.paths.sandbox
    if not (sandbox / "world" / "manifest.json").exists():
        echo(f"generating the {scale} sandbox under {sandbox} ...")
        with _phase("generated", echo):
            echo(build_sandbox(sandbox, scale=scale, days=days).describe())
    if "ICHIGEN_RATE_MULTIPLIER" not in os.environ:
        # the simulators allow ten times the channels' published rates
        settings = settings.model_copy(update={"rate_multiplier": _SANDBOX_RATE_MULTIPLIER})
    simulators = _start_simulators(settings)
    streamlit: subprocess.Popen[bytes] | None = None
    try:
        urls = _simulator_urls(settings)
        for name, url in urls.items():
            wait_until_answering(f"{url}/_sandbox/health", simulators, what=f"the {name} simulator")
            echo(f"{name} {url}")
        clock = httpx.get(f"{urls['shopify']}/_sandbox/clock", timeout=5.0).json()["now"]
        echo(f"sandbox clock: {clock}; files dropped under {settings.paths.sandbox_drops}")
        # the pipeline's runs are recorded where the Dagster UI will look for them
        dagster_home = settings.paths.dagster_home
        dagster_home.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("DAGSTER_HOME", str(dagster_home))
        if keep_running:
            streamlit = _launch_app(settings)
        _pipeline(settings, echo)
        if keep_running:
            assert streamlit is not None
            _serve_ui(settings, streamlit, urls, echo)
    finally:
        if streamlit is not None:
            stop_group(streamlit)
        stop_group(simulators)


def _start_simulators(settings: Settings) -> subprocess.Popen[bytes]:
    """`oms sandbox serve` in a process of its own (the caller waits until each answers), as a
    user would run it beside the pipeline: the simulators answer the pulls from their own
    interpreter rather than through the demo's, which then holds only the pipeline."""
    env = {**os.environ, "ICHIGEN_DATA_DIR": str(settings.data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "ichigen.cli", "sandbox", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,  # it prints its URLs; the demo prints them once they answer
        start_new_session=True,
    )


def _simulator_urls(settings: Settings) -> dict[str, str]:
    """Where `oms sandbox serve` listens for these settings (the ports they point at)."""
    return {name: f"http://127.0.0.1:{port}" for name, port in settings.sandbox_ports().items()}


@contextmanager
def _phase(done: str, echo: Echo) -> Iterator[None]:
    started = time.perf_counter()
    yield
    echo(f"{done} in {time.perf_counter() - started:.1f} s")


class _Terminated(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl-C: whatever was started is stopped on the way out."""


def _raise_terminated(*_: object) -> None:
    raise _Terminated


def _terminate_as_interrupt() -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_terminated)


def _serve_ui(
    settings: Settings,
    streamlit: subprocess.Popen[bytes],
    urls: dict[str, str],
    echo: Echo,
) -> None:
    from ichigen.cli.dagster_ui import start_dagster_ui

    app_url = f"http://127.0.0.1:{settings.app_port}"
    wait_until_answering(f"{app_url}/_stcore/health", streamlit, what="the app")
    echo(f"app {app_url}")
    env = {
        "ICHIGEN_DATA_DIR": str(settings.data_dir),
        "ICHIGEN_RATE_MULTIPLIER": str(settings.rate_multiplier),
        **{f"ICHIGEN_{name.upper()}_URL": url for name, url in urls.items()},
    }
    dagster: subprocess.Popen[bytes] | None = None
    try:
        dagster, dagster_url = start_dagster_ui(
            env=env, dagster_home=settings.paths.dagster_home, port=settings.dagster_port
        )
        echo(f"Dagster UI {dagster_url}")
        echo("the app, the Dagster UI and the simulators are serving; press Ctrl-C to stop")
        wait_for_interrupt()
    finally:
        if dagster is not None:
            stop_group(dagster)


def _launch_app(settings: Settings) -> subprocess.Popen[bytes]:
    """Start the Streamlit app in its own session (`_serve_ui` waits until it answers)."""
    from ichigen.app.launch import app_command, app_environment

    return subprocess.Popen(
        app_command(port=settings.app_port),
        env=app_environment(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _pipeline(settings: Settings, echo: Echo) -> None:
    from ichigen.orchestration.cli_runs import fail_abandoned_cli_runs
    from ichigen.orchestration.ingest_run import run_ingest
    from ichigen.orchestration.run_log import RunLog

    # The dbt project's manifest is prepared (a `dbt parse` on a fresh checkout), the build's
    # modules (dagster-dbt, the forecasting engine) load, and the project is parsed for this
    # warehouse, while the channels are pulled: the pulls mostly wait on rate limits.
    loading = threading.Thread(target=_load_build, args=(settings,), name="load-build", daemon=True)
    loading.start()
    abandoned = fail_abandoned_cli_runs()  # a demo killed last time left its runs started
    if abandoned:
        echo(f"marked {len(abandoned)} run(s) failed whose process was killed")
    echo("ingesting every channel ...")
    ingest_log = RunLog.create(settings.paths.logs, "ingest")
    with _phase("ingested", echo):
        outcomes = run_ingest(
            settings, on_progress=lambda o: echo(f"  {o.describe()}"), log=ingest_log
        )
    failed = [o.asset for o in outcomes if not o.success]
    if failed:
        raise RuntimeError(
            f"ingestion failed for {', '.join(failed)}; full traces in {ingest_log.path}"
        )
    loading.join()
    # done by now, or it fails here, loudly, in the main thread
    from ichigen.orchestration.project import ensure_manifest

    ensure_manifest()
    from ichigen.orchestration.build_run import run_build

    echo("building the warehouse ...")
    build_log = RunLog.create(settings.paths.logs, "build")
    with _phase("built", echo):
        build = run_build(settings, log=build_log)
    if not build.success:
        raise RuntimeError(
            f"the warehouse build failed: {build.error}; full traces in {build_log.path}"
        )
    echo(f"snapshot published at {build.snapshot}")


def _load_build(settings: Settings) -> None:
    # a failure here is raised again in _pipeline, in the main thread, or by the build's parse
    with contextlib.suppress(Exception):
        from ichigen.orchestration.project import ensure_manifest

        ensure_manifest()
        import ichigen.orchestration.build_run  # noqa: F401
        from ichigen.orchestration.warehouse import parse_ahead

        parse_ahead(settings)


def wait_for_interrupt() -> None:
    """Block until Ctrl-C or SIGTERM (what `make run` and process managers send)."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
