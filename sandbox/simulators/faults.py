"""Fault injection for the simulators: off by default, switchable per run and at run time.

Transport faults (429 bursts, 5xx, slow answers, connection resets, truncated bodies) are
drawn per request by `FaultInjector.draw`. Data faults (duplicated records across pages, late
updates behind a cursor) need to know the channel's paging, so the channel apps ask
`FaultInjector.chance(name)` where they page.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, fields
from typing import Any

__all__ = ["FAULT_NAMES", "Fault", "FaultInjector", "FaultPlan"]

FAULT_NAMES = (
    "rate_limit",
    "server_error",
    "slow",
    "reset",
    "truncate",
    "duplicates",
    "late_updates",
)


@dataclass(frozen=True)
class FaultPlan:
    """Probability per request (or per page, for data faults) of each fault."""

    rate_limit: float = 0.0  # starts a burst of `burst_length` 429s
    server_error: float = 0.0
    slow: float = 0.0
    reset: float = 0.0
    truncate: float = 0.0
    duplicates: float = 0.0  # a page repeats records of the page before it
    late_updates: float = 0.0  # an order is changed with a timestamp the cursor has passed
    burst_length: int = 3
    slow_seconds: float = 1.5
    seed: int = 0

    @classmethod
    def off(cls) -> FaultPlan:
        return cls()

    @classmethod
    def chaos(cls, *, seed: int = 0, intensity: float = 0.05) -> FaultPlan:
        """Every fault at once, at `intensity`: what the fault-tolerance tests run against."""
        return cls(
            rate_limit=intensity,
            server_error=intensity,
            slow=intensity / 5,
            reset=intensity,
            truncate=intensity,
            duplicates=intensity * 4,
            late_updates=intensity * 4,
            slow_seconds=0.3,
            seed=seed,
        )

    @classmethod
    def parse(cls, spec: str, *, seed: int = 0) -> FaultPlan:
        """Parse a CLI spec such as ``"rate_limit=0.1,reset=0.05"`` or ``"all"``/``"off"``."""
        spec = spec.strip()
        if spec in ("", "off", "none"):
            return cls(seed=seed)
        if spec in ("all", "chaos"):
            return cls.chaos(seed=seed)
        values: dict[str, Any] = {"seed": seed}
        for item in spec.split(","):
            name, _, raw = item.partition("=")
            name = name.strip()
            if name not in FAULT_NAMES:
                raise ValueError(f"unknown fault {name!r}; known faults: {', '.join(FAULT_NAMES)}")
            values[name] = float(raw) if raw else 0.05
        return cls(**values)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultPlan:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {sorted(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Fault:
    kind: str | None = None  # None, rate_limit, server_error, reset, truncate
    status: int = 0
    delay_s: float = 0.0


class FaultInjector:
    """Draws faults from a plan; thread-safe, seeded so a run's fault pattern is repeatable."""

    def __init__(self, plan: FaultPlan) -> None:
        self._lock = threading.Lock()
        self._burst_left = 0
        self.plan = plan

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    @plan.setter
    def plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._rng = random.Random(plan.seed)
            self._burst_left = 0

    def chance(self, name: str) -> bool:
        probability = float(getattr(self._plan, name))
        if probability <= 0:
            return False
        with self._lock:
            return self._rng.random() < probability

    def pick(self, population: int) -> int:
        with self._lock:
            return self._rng.randrange(population)

    def draw(self) -> Fault:
        plan = self._plan
        with self._lock:
            if self._burst_left > 0:
                self._burst_left -= 1
                return Fault("rate_limit")
            rng = self._rng
            delay = plan.slow_seconds if plan.slow and rng.random() < plan.slow else 0.0
            if plan.rate_limit and rng.random() < plan.rate_limit:
                self._burst_left = max(plan.burst_length - 1, 0)
                return Fault("rate_limit", delay_s=delay)
            if plan.server_error and rng.random() < plan.server_error:
                return Fault("server_error", status=rng.choice((500, 502, 503)), delay_s=delay)
            if plan.reset and rng.random() < plan.reset:
                return Fault("reset", delay_s=delay)
            if plan.truncate and rng.random() < plan.truncate:
                return Fault("truncate", delay_s=delay)
            return Fault(delay_s=delay)
