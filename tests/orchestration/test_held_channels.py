"""Which failures hold a channel back, and what a channel's state is after a build: against the
project's own manifest (tests/conftest.py parses it), so a model moved out of its channel's
staging folder changes the answer here too."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from ichigen.orchestration.held_channels import (
    ChannelStates,
    HeldChannel,
    channels_to_hold,
    failed_nodes,
    holdable_channels,
    staging_channels,
)
from ichigen.orchestration.project import dbt_project

T0 = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


@cache
def _manifest() -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(dbt_project.manifest_path.read_text("utf-8"))
    return manifest


def _node(prefix: str) -> str:
    """The unique id of the project's first node whose id starts with `prefix`."""
    manifest = _manifest()
    found = sorted(k for k in [*manifest["nodes"], *manifest["sources"]] if k.startswith(prefix))
    assert found, prefix
    return found[0]


def _run_results(*failed: tuple[str, str, str]) -> dict[str, Any]:
    """run_results.json with these (unique id, status, message) results and one success."""
    results = [{"unique_id": u, "status": s, "message": m} for u, s, m in failed]
    results.append({"unique_id": _node("model.ichigen.stg_amazon__orders"), "status": "success"})
    return {"results": results}


def test_the_channels_that_can_be_held_are_those_whose_sources_are_their_landing_folders() -> None:
    assert holdable_channels(_manifest()) == {
        "shopify",
        "amazon",
        "rakuten",
        "pos",
        "wholesale",
        "stock",
        "supplier",
    }  # not ingestion (every channel's manifests) nor forecasting (the forecasts' output)


def test_a_failed_staging_model_or_its_test_holds_its_channel_back_with_the_first_error() -> None:
    results = _run_results(
        (
            _node("model.ichigen.stg_shopify__order_lines"),
            "error",
            "Runtime Error in model stg_shopify__order_lines (models/staging/shopify/x.sql)\n"
            "  Conversion Error: Expected ARRAY, but got OBJECT",
        ),
        (_node("test.ichigen.not_null_stg_shopify__order_lines"), "fail", "Got 1 result"),
        (_node("test.ichigen.relationships_stg_rakuten__order_lines"), "fail", "Got 2 results"),
    )
    held = channels_to_hold(failed_nodes(results), _manifest())
    assert held == {
        "shopify": "model stg_shopify__order_lines: Conversion Error: Expected ARRAY, but got "
        "OBJECT",
        "rakuten": f"test {_manifest()['nodes'][results['results'][2]['unique_id']]['name']}: "
        "Got 2 results",
    }


def test_a_failure_that_is_no_channels_holds_nothing_back() -> None:
    manifest = _manifest()
    staging = (_node("model.ichigen.stg_shopify__orders"), "error", "Conversion Error")
    for other in (
        _node("model.ichigen.int_orders_unioned"),  # every channel's orders
        _node("test.ichigen.unique_fct_orders_order_key"),  # a mart's invariant
        _node("model.ichigen.stg_ingestion__loads"),  # every channel's load manifests
        "operation.ichigen.ichigen-on-run-end-0",  # a hook
    ):
        results = _run_results(staging, (other, "error", "boom"))
        assert channels_to_hold(failed_nodes(results), manifest) is None, other
    # a build that failed without naming a node (dbt could not start) holds nothing either
    assert channels_to_hold(failed_nodes({"results": []}), manifest) is None


def test_a_steps_channels_are_those_of_its_staging_models() -> None:
    models = ["stg_shopify__orders", "stg_pos__orders", "stg_ingestion__loads", "fct_orders"]
    assert staging_channels(_manifest(), models) == {"shopify", "pos"}
    assert staging_channels(_manifest(), ["fct_demand_forecast"]) == frozenset()


def test_a_held_channel_keeps_its_good_through_point_and_the_first_build_that_held_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "channel_states.json"
    states = ChannelStates.read(path)  # none yet
    assert states == ChannelStates()
    # the first build: both channels good through its start
    states = states.after_build(started=T0, built={"shopify", "pos"}, held={})
    states.write(path)
    states = ChannelStates.read(path)
    assert states.good_through == {"shopify": T0, "pos": T0} and states.held == {}
    # two builds that hold shopify back: it stays good through T0, held since the first
    t1, t2 = T0 + timedelta(minutes=30), T0 + timedelta(hours=1)
    held = {"shopify": states.holding("shopify", reason="broken", started=t1)}
    states = states.after_build(started=t1, built={"shopify", "pos"}, held=held)
    held = {"shopify": states.holding("shopify", reason="still broken", started=t2)}
    states = states.after_build(started=t2, built={"shopify", "pos"}, held=held)
    states.write(path)
    states = ChannelStates.read(path)
    assert states.good_through == {"shopify": T0, "pos": t2}
    assert states.held == {
        "shopify": HeldChannel("shopify", as_of=T0, since=t1, reason="still broken")
    }
    assert states.held["shopify"].var() == {
        "as_of": T0.isoformat(),
        "since": t1.isoformat(),
        "reason": "still broken",
    }
    # a step that built no staging (after the forecasts) changes nothing
    assert states.after_build(started=t2, built=set(), held={}) == states
    # fixed: good through the build that read it
    t3 = T0 + timedelta(hours=2)
    states = states.after_build(started=t3, built={"shopify", "pos"}, held={})
    assert states.good_through == {"shopify": t3, "pos": t3} and states.held == {}


def test_a_channel_held_before_any_build_read_it_shows_nothing_of_it() -> None:
    held = ChannelStates().holding("amazon", reason="broken", started=T0)
    assert held.as_of is None and held.var()["as_of"] is None
    assert "nothing of it" in held.describe()
