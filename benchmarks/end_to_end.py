"""From `oms demo` to the app serving data, on the small tier (issue 7, item 5: under 90 s).

`oms demo` runs as a user starts it, in a subprocess with a fresh data dir (``end_to_end/``
under the bench folder, whatever the tier: the target is the demo's) and free ports for the
simulators, the app and the Dagster UI. The clock starts when the process is started and stops
when the app serves data: its Overview page, opened in headless Chromium, shows the revenue
computed from the published snapshot (a ¥ figure where "No data yet" stood). The browser
opens once the app answers its health check and the demo has said the snapshot is published,
so that polling does not compete with the pipeline for the CPU. Then the demo is stopped as
Ctrl-C would (SIGTERM to its process group).

The reference is the demo's own phases back to back (generation, ingest, build, as it
reports them): the ratio shows what starting the app costs beyond them, or saves by
overlapping.

    python -m benchmarks.end_to_end data/bench/end_to_end
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from ichigen.benchmarks.report import BenchContext, Figure
from ichigen.wait import stop_group

__all__ = ["TARGET_SECONDS", "DemoTimes", "end_to_end_section", "measure_demo"]

TARGET_SECONDS = 90.0
_PHASE = re.compile(r"^(generated|ingested|built) in ([0-9.]+) s$")
_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class DemoTimes:
    serving_s: float  # demo started -> the Overview page shows the snapshot's revenue
    snapshot_s: float | None  # demo started -> "snapshot published" printed
    app_answering_s: float | None  # demo started -> the app's health check answered
    phases_s: dict[str, float]  # as the demo reports them: generated, ingested, built
    checked_in_browser: bool
    lines: list[tuple[float, str]] = field(default_factory=list)

    @property
    def steps_s(self) -> float:
        return sum(self.phases_s.values())


def _free_port() -> int:
    from ichigen.app.screenshots import free_port

    return free_port()


def _demo_env(data_dir: Path) -> tuple[dict[str, str], str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("ICHIGEN_") and k not in ("DAGSTER_HOME",)
    }
    env["ICHIGEN_DATA_DIR"] = str(data_dir)
    for name in ("shopify", "amazon", "rakuten", "supplier"):
        env[f"ICHIGEN_{name.upper()}_URL"] = f"http://127.0.0.1:{_free_port()}"
    app_port = _free_port()
    env["ICHIGEN_APP_PORT"] = str(app_port)
    env["ICHIGEN_DAGSTER_PORT"] = str(_free_port())
    return env, f"http://127.0.0.1:{app_port}"


def _follow(stream: IO[str], started: float, lines: list[tuple[float, str]]) -> None:
    for line in stream:
        lines.append((time.perf_counter() - started, line.rstrip("\n")))


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _wait_for_revenue(app_url: str, deadline: float) -> bool:
    """Open the Overview in headless Chromium until it shows the revenue; False without one."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return False
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    from ichigen.app.screenshots import CHROMIUM_ARGS

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(app_url)
            revenue = page.locator('[data-testid="stMetricValue"]', has_text="¥")
            while time.perf_counter() < deadline:
                try:
                    revenue.first.wait_for(timeout=5_000)
                    return True
                except PlaywrightError:
                    page.reload()  # "No data yet" is only re-read on a new run of the page
            raise TimeoutError("the app never showed the revenue")
        finally:
            browser.close()


def measure_demo(data_dir: Path, *, timeout_s: float = _TIMEOUT_S) -> DemoTimes:
    """Run `oms demo` (small, with the UI) in the empty `data_dir`; time it until serving."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env, app_url = _demo_env(data_dir)
    oms = Path(sys.executable).with_name("oms")
    lines: list[tuple[float, str]] = []
    with (data_dir.parent / f"{data_dir.name}.stderr.log").open("w") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(oms), "demo", "--scale", "small"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            start_new_session=True,
        )
        assert process.stdout is not None
        reader = threading.Thread(target=_follow, args=(process.stdout, started, lines))
        reader.start()
        try:
            deadline = started + timeout_s
            answering: float | None = None
            while time.perf_counter() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"oms demo exited with {process.returncode}: {lines[-5:]}")
                if answering is None and _answers(f"{app_url}/_stcore/health"):
                    answering = time.perf_counter() - started
                if answering is not None and any("snapshot published" in t for _, t in lines):
                    break
                time.sleep(0.25)
            in_browser = _wait_for_revenue(app_url, deadline)
            serving = time.perf_counter() - started
        finally:
            stop_group(process, timeout_s=60)  # as Ctrl-C: the demo stops what it started
            _stop_leftovers(data_dir)
            reader.join(timeout=10)
    phases = {m[1]: float(m[2]) for _, text in lines if (m := _PHASE.match(text.strip()))}
    published = next((t for t, text in lines if "snapshot published" in text), None)
    return DemoTimes(
        serving_s=serving,
        snapshot_s=published,
        app_answering_s=answering,
        phases_s=phases,
        checked_in_browser=in_browser,
        lines=lines,
    )


def _stop_leftovers(data_dir: Path) -> None:
    """Stop whatever still runs with this run's data dir (the app, the Dagster UI and its
    code servers, in their own sessions) if the demo could not stop them itself."""
    marker = f"ICHIGEN_DATA_DIR={data_dir}".encode()
    groups: set[int] = set()
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                groups.add(os.getpgid(int(environ.parent.name)))
        except (OSError, ValueError):
            continue  # gone, or not ours to read
    for group in groups - {os.getpgid(0)}:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)


def end_to_end_section(context: BenchContext) -> list[Figure]:
    """The small demo, whatever the tier, in its own data dir beside the tiers'."""
    times = measure_demo(context.out_dir / "end_to_end")
    details: dict[str, Any] = {k: v for k, v in asdict(times).items() if k != "lines"}
    details["demo_output"] = [f"{t:7.1f} s  {text}" for t, text in times.lines]
    return [
        Figure(
            benchmark="oms demo -> app serving data (s)",
            value=times.serving_s,
            reference=times.steps_s or None,
            target=f"< {TARGET_SECONDS:.0f} s (small tier)",
            met=times.serving_s < TARGET_SECONDS and times.checked_in_browser,
            command=f"oms bench --tier {context.tier} --only end_to_end",
            details=details,
        )
    ]


if __name__ == "__main__":
    measured = measure_demo(Path(sys.argv[1]))
    print(json.dumps(asdict(measured), indent=2))
