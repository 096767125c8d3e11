"""What every benchmark section hands back: figures against their reference, and the run's context.

A section is a function ``(BenchContext) -> list[Figure]``. It measures one thing side by side
with its reference in the same run (issue 7: absolute times drift on shared machines, ratios
do not), says what the target is and whether it was met, and keeps whatever else it measured in
`details` for the JSON report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BenchContext", "Figure", "Section", "format_row", "header"]


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
