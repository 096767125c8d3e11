"""Fault plans and the channels' rate limiters."""

from __future__ import annotations

import pytest

from ichigen.sandbox.simulators.faults import FaultInjector, FaultPlan
from ichigen.sandbox.simulators.ratelimit import LeakyBucket, TokenBucket


def test_fault_specs_parse_from_the_command_line() -> None:
    plan = FaultPlan.parse("rate_limit=0.2,reset", seed=3)
    assert plan.rate_limit == 0.2 and plan.reset == 0.05 and plan.seed == 3
    assert FaultPlan.parse("off") == FaultPlan()
    assert FaultPlan.parse("all").duplicates > 0


def test_an_unknown_fault_is_refused_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="known faults: rate_limit"):
        FaultPlan.parse("meteor=1")


def test_faults_are_off_by_default() -> None:
    injector = FaultInjector(FaultPlan())
    assert all(injector.draw().kind is None for _ in range(1000))
    assert not injector.chance("duplicates")


def test_the_same_seed_draws_the_same_faults() -> None:
    plan = FaultPlan.chaos(seed=11, intensity=0.2)
    a, b = FaultInjector(plan), FaultInjector(plan)
    drawn = [a.draw() for _ in range(200)]
    assert drawn == [b.draw() for _ in range(200)]
    assert {fault.kind for fault in drawn} >= {None, "rate_limit", "reset", "truncate"}


def test_a_leaky_bucket_allows_its_capacity_then_refuses() -> None:
    bucket = LeakyBucket(capacity=40, leak_per_s=0.001)
    states = [bucket.hit() for _ in range(41)]
    assert all(s.allowed for s in states[:40])
    assert states[39].used == 40
    assert not states[40].allowed and states[40].retry_after_s > 0


def test_a_token_bucket_allows_its_burst_then_refuses() -> None:
    bucket = TokenBucket(rate_per_s=0.001, burst=5)
    assert [bucket.hit().allowed for _ in range(6)] == [True] * 5 + [False]


def test_buckets_refuse_nonsense_settings() -> None:
    with pytest.raises(ValueError):
        LeakyBucket(capacity=0)
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=0, burst=1)
