"""At-least-once in, exactly-once out: faults and re-runs change nothing after staging.

Two data directories ingest the same world. One pulls cleanly once; the other pulls with
every fault switched on (429 bursts, 5xx, resets, truncated bodies, records duplicated across
pages, late updates), then again without faults (a late update made during a pull is seen by
the next one, as in production), then once more. Both are built with dbt; the unified orders
and order lines must be identical.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from ichigen.orchestration.build_run import run_build
from ichigen.orchestration.ingest_run import run_ingest
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.serve import RunningSandbox, start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings

pytestmark = pytest.mark.slow

_CHAOS = FaultPlan(
    rate_limit=0.05,
    server_error=0.05,
    reset=0.03,
    truncate=0.03,
    duplicates=0.3,
    late_updates=0.2,
    burst_length=2,
    seed=11,
)
_ORDERS = (
    "select order_key, channel, total_jpy, discount_jpy, shipping_jpy, cancelled_at "
    "from intermediate.int_orders_unioned order by order_key"
)
_LINES = (
    "select order_line_key, sku, quantity, unit_price_jpy "
    "from intermediate.int_order_lines_unioned order by order_line_key"
)


def _settings(data_dir: Path, sandbox: RunningSandbox) -> Settings:
    env = {"ICHIGEN_DATA_DIR": str(data_dir), "ICHIGEN_RATE_MULTIPLIER": "10"}
    env |= sandbox.url_environment
    # the API channels (the supplier for the catalogue); files have their own tests
    env |= {
        "ICHIGEN_POS_DROP_DIR": str(data_dir / "no-drops"),
        "ICHIGEN_WHOLESALE_DROP_DIR": str(data_dir / "no-drops"),
        "ICHIGEN_STOCK_DROP_DIR": str(data_dir / "no-drops"),
    }
    return load_settings(env, dotenv=False)


def _ingest(settings: Settings) -> None:
    for channel in ("supplier", "shopify", "amazon", "rakuten"):
        outcomes = run_ingest(settings, channel=channel)
        assert all(o.success for o in outcomes), [o.error for o in outcomes if not o.success]


def _staged(settings: Settings) -> tuple[pl.DataFrame, pl.DataFrame]:
    built = run_build(settings)
    assert built.success, built.error
    with duckdb.connect(
        str(settings.data_dir / "warehouse" / "ichigen.duckdb"), read_only=True
    ) as con:
        return con.sql(_ORDERS).pl(), con.sql(_LINES).pl()


def test_faults_and_reruns_leave_the_staged_orders_identical_to_a_clean_run(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    world = World.load(sandbox_dir / "world")
    base = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    running = start_sandbox(world, credentials=Credentials.of(base))
    try:
        clean = _settings(tmp_path / "clean", running)
        _ingest(clean)
        chaotic = _settings(tmp_path / "chaotic", running)
        running.set_faults(_CHAOS)
        _ingest(chaotic)
        running.set_faults(FaultPlan())
        _ingest(chaotic)
        _ingest(chaotic)
    finally:
        running.stop()
    clean_orders, clean_lines = _staged(clean)
    chaotic_orders, chaotic_lines = _staged(chaotic)
    landed = pl.scan_parquet(tmp_path / "chaotic" / "landing" / "shopify" / "orders" / "*.parquet")
    assert (
        landed.select(pl.len()).collect().item()
        > clean_orders.filter(pl.col("channel") == "shopify").height
    ), "the faults really did land records more than once"
    assert clean_orders.height > 0 and clean_lines.height > 0
    assert chaotic_orders.equals(clean_orders)
    assert chaotic_lines.equals(clean_lines)
