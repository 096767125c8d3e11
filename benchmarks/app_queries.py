"""The app's queries on the tier's published snapshot: p50 and p95 per page (issue 7, item 4).

Each page runs as Streamlit runs it (`AppTest`, the page's default filters, a viewer), and every
call it makes into `app.data` is timed as the page issues it, the Streamlit cache included (a
call inside another, such as `tables()` inside `demand_forecast()`, counts once, in the outer
one). A page's figure is the sum of its calls in one run:

- cold: the first run after the snapshot is opened (no connection, nothing cached);
- warm: later runs with the connection open and the data cache emptied before each, which is
  what a visitor meets on a new filter or after the cache's TTL (a cache hit costs nothing);
  p50 and p95 over those runs, against the target of p95 under 100 ms per page.

The reference, measured in the same runs, is the plumbing alone: as many calls as the page
made, each a trivial query through the same path (cursor, Arrow, Polars). The ratio is then
how many times the bare round trips the page's queries cost.

The snapshot is the tier's (``data/bench/<tier>/serving/``), or the one the orchestration
section's Dagster run published; with neither, `oms build` publishes one from the tier's
landing zone (the build section's warehouses are dbt's alone, without the forecasts). Runs in
a fresh interpreter, pointed at the snapshot of the data dir given:

    python -m benchmarks.app_queries data/bench/large     # serving/current.duckdb built there
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ichigen.benchmarks.report import BenchContext, Figure

__all__ = ["TARGET_P95_MS", "PageTimes", "app_section", "measure_pages"]

TARGET_P95_MS = 100.0
WARM_RUNS = 20


@dataclass(frozen=True)
class PageTimes:
    page: str
    cold_ms: float
    warm_ms: list[float]  # one total per warm run
    floor_ms: float  # the same number of trivial calls through the same path
    calls: dict[str, float] = field(default_factory=dict)  # function -> median ms (warm)

    @property
    def p50_ms(self) -> float:
        return _quantile(self.warm_ms, 0.50)

    @property
    def p95_ms(self) -> float:
        return _quantile(self.warm_ms, 0.95)

    def as_row(self) -> dict[str, Any]:
        slowest = sorted(self.calls.items(), key=lambda kv: kv[1], reverse=True)[:5]
        return {
            "cold_ms": round(self.cold_ms, 2),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "floor_ms": round(self.floor_ms, 2),
            "warm_runs": len(self.warm_ms),
            "slowest_calls_ms": {name: round(ms, 2) for name, ms in slowest},
        }


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile (no interpolation: a p95 of 20 runs is the 19th slowest)."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil without floats drifting
    return ordered[int(rank) - 1]


def _child(data_dir: Path, warm_runs: int) -> dict[str, Any]:
    """Time every page's `app.data` calls (runs inside the fresh interpreter)."""
    os.environ["ICHIGEN_DATA_DIR"] = str(data_dir)
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from ichigen.app import data
    from ichigen.app.data import connection
    from ichigen.app.screenshots import PAGES

    calls: list[tuple[str, float]] = []
    depth = [0]

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            depth[0] += 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    calls.append((name, (time.perf_counter() - started) * 1000))

        return wrapper

    for module in (importlib.import_module(f"{data.__name__}.{m}") for m in data.__all__):
        for name in module.__all__:
            fn = getattr(module, name)
            if callable(fn) and hasattr(fn, "clear"):  # the cached query functions
                setattr(module, name, timed(name, fn))

    app_dir = Path(data.__file__).parents[1]
    snap = connection.snapshot()
    if snap is None:
        raise SystemExit(f"no snapshot under {data_dir}/serving: build one first")

    # the interpreter's own start-up (Arrow's and Polars' converters) is no page's cost
    connection._frame(snap, "select 1 as x")

    def run(page: str) -> list[tuple[str, float]]:
        calls.clear()
        at = AppTest.from_file(str(app_dir / "views" / f"{page}.py"), default_timeout=600)
        at.session_state["role"] = "viewer"
        at.session_state["user"] = "yui"
        at.run()
        if at.exception:
            raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
        return list(calls)

    def floor(n_calls: int) -> float:
        started = time.perf_counter()
        for _ in range(n_calls):
            connection._frame(snap, "select 1 as x")
        return (time.perf_counter() - started) * 1000

    results: dict[str, Any] = {}
    for page in PAGES:
        st.cache_resource.clear()  # a new connection: the page's first query attaches the file
        st.cache_data.clear()
        cold = run(page)
        warm: list[list[tuple[str, float]]] = []
        for _ in range(warm_runs):
            st.cache_data.clear()
            warm.append(run(page))
        per_call: dict[str, list[float]] = {}
        for one in warm:
            for name, ms in one:
                per_call.setdefault(name, []).append(ms)
        results[page] = {
            "cold_ms": sum(ms for _, ms in cold),
            "warm_ms": [sum(ms for _, ms in one) for one in warm],
            "floor_ms": statistics.median(floor(len(cold)) for _ in range(5)),
            "calls": {
                name: statistics.median(values) * len(values) / len(warm)
                for name, values in per_call.items()
            },
        }
    return results


def measure_pages(data_dir: Path, *, warm_runs: int = WARM_RUNS) -> list[PageTimes]:
    """Every page's query times against `data_dir`'s snapshot, in a fresh interpreter."""
    done = subprocess.run(
        [sys.executable, "-m", "ichigen.benchmarks.app_queries", str(data_dir), str(warm_runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return [PageTimes(page=page, **row) for page, row in results.items()]


def _published(context: BenchContext) -> Path:
    """The data dir of a published snapshot of the tier: the tier's own, else the one the
    orchestration section's Dagster run published (same sandbox, same pipeline), else one
    `oms build` publishes now from the landing zone the ingest section left."""
    for data_dir in (context.data_dir, context.data_dir / "orchestration" / "dagster"):
        if (data_dir / "serving" / "current.duckdb").exists():
            return data_dir
    if not (context.data_dir / "landing").is_dir():
        raise RuntimeError(
            f"no published snapshot or landing zone under {context.data_dir}: run the ingest "
            "(or orchestration) section first"
        )
    context.echo("  app: no published snapshot; oms build publishes one from the landing zone")
    env = {**os.environ, "ICHIGEN_DATA_DIR": str(context.data_dir)}
    env.pop("DAGSTER_HOME", None)  # a throwaway instance: this build is not a recorded run
    oms = Path(sys.executable).with_name("oms")
    subprocess.run([str(oms), "build"], env=env, check=True, stdout=subprocess.DEVNULL)
    return context.data_dir


def app_section(context: BenchContext) -> list[Figure]:
    """p95 of each page's queries (warm, data cache emptied) against its plumbing alone."""
    command = f"oms bench --tier {context.tier} --only app"
    data_dir = _published(context)
    figures = []
    for times in measure_pages(data_dir):
        figures.append(
            Figure(
                benchmark=f"app page {times.page} p95 (ms)",
                value=times.p95_ms,
                reference=times.floor_ms,
                target=f"p95 < {TARGET_P95_MS:.0f} ms",
                met=times.p95_ms < TARGET_P95_MS,
                command=command,
                details={**times.as_row(), "snapshot": str(data_dir / "serving")},
            )
        )
    return figures


if __name__ == "__main__":
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else WARM_RUNS
    print(json.dumps(_child(Path(sys.argv[1]), runs)))
