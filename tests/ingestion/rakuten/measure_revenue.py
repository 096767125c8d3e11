"""Rakuten gross revenue, refunds and return rates per month: fct_orders against the truth.

Not a test (minutes of pulls and a build): the measurement behind the README's Rakuten note.

    .venv/bin/python -m tests.ingestion.rakuten.measure_revenue OUT_DIR [end|weekly]

- ``end``: one pull at the end of the world (what tests/conftest.py's built_warehouse does);
- ``weekly``: a pull every 7 days of world time, as a scheduled connector would make them.

Generates the small tier (its default days, seed 42) once under OUT_DIR/sandbox, lands and
builds under OUT_DIR/data_<mode>. Forecasting fails on a Rakuten-only warehouse (no demand
without a catalogue): the build's dbt part is what is measured.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates, ingest_orders
from ichigen.orchestration.project import ensure_manifest
from ichigen.paths import DataPaths
from ichigen.sandbox.generator import generate
from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS
from ichigen.sandbox.simulators.serve import start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import load_settings

_MONTH = "%Y-%m"


def _pull_moments(world: World, mode: str) -> list[datetime]:
    end = world.now
    if mode != "weekly":
        return [end]
    start = world.tables["orders"]["created_at"].min()
    assert isinstance(start, datetime)
    moments = []
    at = start + timedelta(days=7)
    while at < end:
        moments.append(at)
        at += timedelta(days=7)
    return [*moments, end]


def _land(world: World, data_dir: Path, mode: str) -> None:
    end = world.now
    moments = _pull_moments(world, mode)
    running = start_sandbox(world, only=("rakuten",), unthrottled=True)
    started = time.monotonic()
    paths = DataPaths(data_dir)
    zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
    credentials = SANDBOX_CREDENTIALS.rakuten
    try:
        with RakutenClient(
            base_url=running.servers["rakuten"].base_url,
            service_secret=credentials.service_secret,
            license_key=credentials.license_key,
            rates=RakutenRates(search_order=1000, get_order=1000),
        ) as client:
            for at in moments:
                with world.lock:
                    world.now = at
                ingest_orders(client, zone, until=at)
    finally:
        running.stop()
        with world.lock:
            world.now = end
    print(f"{len(moments)} pulls in {time.monotonic() - started:.0f} s")


def _truth(world: World) -> pl.DataFrame:
    with world.lock:
        orders = world.visible_orders("rakuten").select("order_id", "created_at", "total_jpy")
        returns = world.visible_returns().join(orders, on="order_id")
        lines = world.tables["order_lines"].join(orders, on="order_id")
    month = pl.col("created_at").dt.convert_time_zone("Asia/Tokyo").dt.strftime(_MONTH)
    gross = orders.group_by(month.alias("month")).agg(pl.col("total_jpy").sum().alias("gross"))
    returned = returns.group_by(month.alias("month")).agg(
        pl.col("refund_jpy").sum().alias("returned"),
        pl.col("quantity").sum().alias("returned_units"),
    )
    units = lines.group_by(month.alias("month")).agg(pl.col("quantity").sum().alias("units"))
    return gross.join(returned, on="month", how="left").join(units, on="month", how="left")


def _marts(warehouse: Path) -> pl.DataFrame:
    month = f"strftime(o.ordered_at at time zone 'Asia/Tokyo', '{_MONTH}')"
    with duckdb.connect(str(warehouse), read_only=True) as con:
        frame: pl.DataFrame = con.sql(
            f"""
            with lines as (
                select order_key, sum(quantity) as units from marts.fct_order_lines
                group by order_key
            ),
            returns as (
                select order_key, sum(quantity) as returned_units from marts.fct_returns
                group by order_key
            )
            select
                {month} as month,
                sum(o.total_jpy)::bigint as gross,
                sum(o.returned_jpy)::bigint as returned,
                sum(coalesce(r.returned_units, 0))::bigint as returned_units,
                sum(coalesce(l.units, 0))::bigint as units,
                count(*) filter (where o.has_unobserved_returns) as flagged
            from marts.fct_orders as o
            left join lines as l using (order_key)
            left join returns as r using (order_key)
            where o.channel = 'rakuten'
            group by 1
            """
        ).pl()
    return frame


def main(out: Path, mode: str) -> None:
    sandbox = out / "sandbox"
    if not (sandbox / "world").exists():
        generate(sandbox, scale="small", seed=42)
    world = World.load(sandbox / "world")
    data_dir = out / f"data_{mode}"
    _land(world, data_dir, mode)
    ensure_manifest()
    from ichigen.orchestration.build_run import run_build  # needs the manifest

    settings = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    outcome = run_build(settings)
    print(f"build: {outcome.error or 'ok'}")
    table = (
        _truth(world)
        .join(_marts(settings.paths.warehouse), on="month", how="left", suffix="_got")
        .sort("month")
        .with_columns(
            ((pl.col("gross_got") / pl.col("gross") - 1) * 100).round(2).alias("gross_diff_%"),
            (pl.col("returned_units") / pl.col("units") * 100).round(2).alias("return_rate_%"),
            (pl.col("returned_units_got") / pl.col("units_got") * 100)
            .round(2)
            .alias("return_rate_got_%"),
        )
    )
    with pl.Config(tbl_rows=40, tbl_cols=20, tbl_width_chars=250):
        print(table)
        print(table.select(pl.exclude("month", "^.*%$")).sum())


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "end")
