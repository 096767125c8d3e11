"""Run the benchmarks of a tier, print a table and write it as JSON under data/bench/.

The sections run in order on one data dir per tier (``data/bench/<tier>/``): the generation
section writes its sandbox there, and the sections after it (ingest, build, orchestration, app,
forecasting) use what the ones before them left. The faults section runs last, on data dirs
of its own and the small tier's world.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

from ichigen.benchmarks.app_queries import app_section
from ichigen.benchmarks.build import build_section
from ichigen.benchmarks.end_to_end import end_to_end_section
from ichigen.benchmarks.faults import faults_section
from ichigen.benchmarks.forecasting import forecasting_section
from ichigen.benchmarks.ingest import ingest_section
from ichigen.benchmarks.orchestration import orchestration_section
from ichigen.benchmarks.report import BenchContext, Figure, Section, format_row, header
from ichigen.benchmarks.sandbox_generation import generation_section

__all__ = ["SECTIONS", "run_benchmarks"]

# In the order they run: each may rely on what the ones before it left in the data dir.
SECTIONS: dict[str, Section] = {
    "generate": generation_section,
    "ingest": ingest_section,
    "build": build_section,
    "orchestration": orchestration_section,
    "app": app_section,
    "end_to_end": end_to_end_section,
    "forecasting": forecasting_section,
    "faults": faults_section,  # its own data dirs, on the small tier's world
}


def run_benchmarks(
    tier: str,
    *,
    out_dir: Path,
    echo: Callable[[str], None],
    only: tuple[str, ...] = (),
) -> Path:
    """Run every section, or those named in `only` (their inputs left by an earlier run)."""
    if tier not in ("small", "large"):
        raise ValueError(f"unknown tier {tier!r}: choose small or large")
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        raise ValueError(
            f"unknown section(s) {', '.join(unknown)}: choose from {', '.join(SECTIONS)}"
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    context = BenchContext(tier=tier, data_dir=out_dir / tier, out_dir=out_dir, echo=echo)
    context.data_dir.mkdir(parents=True, exist_ok=True)
    echo(header())
    figures: list[Figure] = []
    for name, section in SECTIONS.items():
        if only and name not in only:
            continue
        for figure in section(context):
            echo(format_row(figure))
            figures.append(figure)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = out_dir / f"bench-{tier}-{stamp}.json"
    report = {
        "tier": tier,
        "sections": list(only) or list(SECTIONS),
        "measured_at": stamp,
        "machine": {"python": platform.python_version(), "machine": platform.machine()},
        "figures": [{**asdict(f), "ratio": f.ratio} for f in figures],
    }
    path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    echo(f"written to {path}")
    return path
