"""What every benchmark section hands back: figures against their reference, and the run's context.

A section is a function ``(BenchContext) -> list[Figure]``. It measures one thing side by side
with its reference in the same run (issue 7: absolute times drift on shared machines, ratios
do not), says what the target is and whether it was met, and keeps whatever else it measured in
`details` for the JSON report.
"""

from __future__ import annotations

import resource
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BenchContext", "Figure", "Section", "format_row", "header", "peak_rss_mib"]


def peak_rss_mib() -> float:
    """This process's own peak resident set size, in MiB.

    From the kernel's high-water mark of the address space (VmHWM), which starts afresh when a
    program is exec'd. `getrusage`'s ru_maxrss does not: it keeps the parent's RSS at fork, so
    a child started by the benchmark process (which holds the simulators' world, or DuckDB's
    buffers after the build section) reported the parent's size as its own (8.5 GiB for a
    forecasting run that peaked at 764 MiB).
    """
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


@dataclass(frozen=True)
class BenchContext:
    tier: str  # "small" or "large"
    data_dir: Path  # an $ICHIGEN_DATA_DIR for the tier: sandbox/ generated, the rest built here
    out_dir: Path  # data/bench/: reports and anything a section keeps between runs
    echo: Callable[[str], None]


@dataclass(frozen=True)
class Figure:
    benchmark: str  # what was measured, e.g. "ingest shopify (records/s)"
    value: float
    reference: float | None  # the same thing measured the reference way, in the same run
    target: str  # in words, e.g. ">= 0.7 of ceiling"
    met: bool | None  # None: reported without a target
    command: str  # what reproduces it
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.reference is None or self.reference == 0:
            return None
        return self.value / self.reference


Section = Callable[[BenchContext], list[Figure]]


def header() -> str:
    return f"{'benchmark':<44}{'value':>12}{'reference':>12}{'ratio':>8}  {'target':<26}met"


def format_row(figure: Figure) -> str:
    reference = "" if figure.reference is None else f"{figure.reference:,.4g}"
    ratio = "" if figure.ratio is None else f"{figure.ratio:.2f}"
    met = {True: "yes", False: "NO", None: "-"}[figure.met]
    return (
        f"{figure.benchmark:<44}{figure.value:>12,.4g}{reference:>12}{ratio:>8}  "
        f"{figure.target:<26}{met}"
    )
