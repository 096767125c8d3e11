"""How long the sandbox takes to generate, and how much memory it needs.

Each preset runs in a fresh interpreter that reports its own peak RSS (the kernel's
high-water mark for that process), so one measurement never inherits another's memory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ichigen.benchmarks.report import BenchContext, Figure

__all__ = ["TARGETS", "GenerationFigure", "generation_section", "measure_generation"]

# Targets from the sandbox issue: the demo preset in seconds, the large one in a few minutes,
# both in bounded memory (well inside the 24 GiB machine, next to a running pipeline).
TARGETS = {"small": (20.0, 2048.0), "large": (300.0, 8192.0)}  # seconds, peak MiB

_CHILD = """
import json, sys, time
from pathlib import Path
from ichigen.benchmarks.report import peak_rss_mib
from ichigen.sandbox.build import build_sandbox
started = time.perf_counter()
summary = build_sandbox(Path(sys.argv[1]), scale=sys.argv[2], seed=int(sys.argv[3]))
print(json.dumps({
    "seconds": time.perf_counter() - started,
    "peak_rss_mib": peak_rss_mib(),
    "orders": summary.manifest["counts"]["orders"],
    "description": summary.describe(),
}))
"""


@dataclass(frozen=True)
class GenerationFigure:
    scale: str
    seconds: float  # inside the child: generation and drops, not interpreter start-up
    peak_rss_mib: float
    orders: int
    description: str

    @property
    def target_seconds(self) -> float:
        return TARGETS[self.scale][0]

    @property
    def target_peak_mib(self) -> float:
        return TARGETS[self.scale][1]

    @property
    def met(self) -> bool:
        return self.seconds <= self.target_seconds and self.peak_rss_mib <= self.target_peak_mib


def measure_generation(
    scale: str, *, seed: int = 42, data_dir: Path | None = None
) -> GenerationFigure:
    """Generate the `scale` preset; report time and peak memory.

    With `data_dir` the sandbox is kept under ``data_dir/sandbox`` for the benchmarks that run
    on it; otherwise it goes to a temporary folder that is removed afterwards.
    """
    if data_dir is not None:
        return _measure(scale, seed, data_dir / "sandbox")
    with tempfile.TemporaryDirectory(prefix=f"ichigen-bench-{scale}-") as tmp:
        return _measure(scale, seed, Path(tmp))


def _measure(scale: str, seed: int, root: Path) -> GenerationFigure:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(root), scale, str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return GenerationFigure(scale=scale, **figures)


TIER_SCALES = {"small": ("small",), "large": ("small", "large")}


def generation_section(context: BenchContext) -> list[Figure]:
    """Each scale of the tier; the tier's own scale is kept in the data dir for what follows."""
    figures = []
    for scale in TIER_SCALES[context.tier]:
        kept = scale == context.tier
        figure = measure_generation(scale, data_dir=context.data_dir if kept else None)
        details = {"peak_rss_mib": figure.peak_rss_mib, "orders": figure.orders}
        figures.append(
            Figure(
                benchmark=f"sandbox generate {scale} (s)",
                value=figure.seconds,
                reference=None,
                target=f"<= {figure.target_seconds:.0f} s",
                met=figure.seconds <= figure.target_seconds,
                command=f"oms sandbox generate --scale {scale}",
                details={**details, "description": figure.description},
            )
        )
        figures.append(
            Figure(
                benchmark=f"sandbox generate {scale} (peak MiB)",
                value=figure.peak_rss_mib,
                reference=None,
                target=f"<= {figure.target_peak_mib:.0f} MiB",
                met=figure.peak_rss_mib <= figure.target_peak_mib,
                command=f"oms sandbox generate --scale {scale}",
            )
        )
    return figures
