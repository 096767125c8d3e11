"""Run the benchmarks of a tier, print a table and write it as JSON under data/bench/."""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.forecasting import TARGETS as FORECAST_TARGETS
from benchmarks.forecasting import measure_forecasting
from benchmarks.sandbox_generation import measure_generation

__all__ = ["run_benchmarks"]

TIER_SCALES = {"small": ("small",), "large": ("small", "large")}


def run_benchmarks(tier: str, *, out_dir: Path, echo: Callable[[str], None]) -> Path:
    if tier not in TIER_SCALES:
        raise ValueError(f"unknown tier {tier!r}: choose small or large")
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    echo(f"{'benchmark':<28}{'seconds':>10}{'target':>10}{'peak MiB':>10}{'target':>10}  met")
    kept = out_dir / f"sandbox-{tier}"  # the largest scale's sandbox, for the benchmarks after
    for scale in TIER_SCALES[tier]:
        last = scale == TIER_SCALES[tier][-1]
        figure = measure_generation(scale, data_dir=kept if last else None)
        name = f"sandbox generate {scale}"
        echo(
            f"{name:<28}{figure.seconds:>10.1f}{figure.target_seconds:>10.0f}"
            f"{figure.peak_rss_mib:>10.0f}{figure.target_peak_mib:>10.0f}  "
            f"{'yes' if figure.met else 'NO'}"
        )
        rows.append(
            {
                **asdict(figure),
                "target_seconds": figure.target_seconds,
                "target_peak_mib": figure.target_peak_mib,
                "met": figure.met,
            }
        )
    forecast = measure_forecasting(kept)
    echo(
        f"{'forecasting (series/s)':<28}{forecast.series_per_second:>10.0f}"
        f"{FORECAST_TARGETS['series_per_second']:>10.0f}{forecast.peak_rss_mib:>10.0f}"
        f"{'':>10}  {'yes' if forecast.met else 'NO'}"
    )
    echo(
        f"{'  WAPE vs seasonal naive':<28}{forecast.wape:>10.3f}{forecast.wape_naive:>10.3f}"
        f"  improvement {forecast.wape_improvement:.1%} "
        f"(target {FORECAST_TARGETS['wape_improvement']:.0%}); "
        f"vs true demand {forecast.truth_wape:.3f} (naive {forecast.truth_wape_naive:.3f})"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"bench-{tier}-{stamp}.json"
    report = {
        "tier": tier,
        "measured_at": stamp,
        "machine": {"python": platform.python_version(), "machine": platform.machine()},
        "sandbox_generation": rows,
        "forecasting": forecast.as_row(),
    }
    path.write_text(json.dumps(report, indent=2), encoding="utf-8")
    echo(f"written to {path}")
    return path
