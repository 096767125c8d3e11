"""`generate`: simulate the period and write world/ and truth/ under the sandbox folder.

The period ends on a fixed day, so the same scale, days and seed give the same bytes on any
machine on any date; the world's clock stands at the JST midnight after the last day.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ichigen.sandbox.generator.assemble import Assembled, Counters, assemble
from ichigen.sandbox.generator.clock import DAY_US, day_start_us, to_datetime
from ichigen.sandbox.generator.customers import Persons, build_persons, identity_rows, person_rows
from ichigen.sandbox.generator.history import run_history
from ichigen.sandbox.generator.model import Model, build_model
from ichigen.sandbox.generator.presets import preset
from ichigen.sandbox.generator.randomness import rng_for
from ichigen.sandbox.generator.stock import inventory_frame, listings_frame, unshipped_units
from ichigen.sandbox.schema import TABLES, TRUTH_TABLES

__all__ = ["END_DATE", "generate"]

END_DATE = date(2026, 10, 31)
_PRE_EXISTING = 0.35  # identities that were customers before the period began


def _identities(model: Model, persons: Persons, use: pl.DataFrame) -> pl.DataFrame:
    rng = rng_for(model.seed, "signup")
    first = use["first_order_us"].to_numpy()
    start_us = day_start_us(model.start, 0)
    old = (rng.random(first.size) < _PRE_EXISTING) | (use["channel"].to_numpy() == 4)
    before = np.minimum(first, start_us) - (rng.uniform(1, 900, first.size) * DAY_US).astype(
        np.int64
    )
    at_checkout = first - (rng.uniform(0, 7_200, first.size) * 1_000_000).astype(np.int64)
    created = np.where(old, before, at_checkout)
    keys = list(
        zip(
            use["identity_id"].to_list(),
            use["person"].to_list(),
            use["channel"].to_list(),
            use["variant"].to_list(),
            strict=True,
        )
    )
    return identity_rows(model.seed, persons, keys, created.tolist())


def _write(frame: pl.DataFrame, path: Path) -> None:
    frame.write_parquet(path, compression="zstd", statistics=True)


def generate(root: Path, *, scale: str = "small", days: int | None = None, seed: int = 42) -> None:
    """Write ``root/world`` and ``root/truth`` for the preset `scale` (deterministic)."""
    plan = preset(scale)
    n_days = days if days is not None else plan.days
    if n_days < 7:
        raise ValueError(f"a sandbox needs at least 7 days of history, not {n_days}")
    start = END_DATE - timedelta(days=n_days - 1)
    model = build_model(seed, plan, start, END_DATE)
    persons = build_persons(seed, plan)
    history = run_history(model)
    made: Assembled = assemble(
        model,
        persons,
        list(enumerate(history.batches)),
        counters=Counters(),
        extra_purchase_orders=history.launch_orders,
    )
    clock_us = day_start_us(start, n_days)
    clock = to_datetime(clock_us)
    tables = {
        "orders": made.orders,
        "order_lines": made.order_lines,
        "returns": made.returns,
        "purchase_orders": made.purchase_orders,
    }
    on_hand = history.state.on_hand + unshipped_units(model, tables, clock)
    identities = _identities(model, persons, made.identity_use)
    world = {
        "products": model.cat.products,
        "skus": model.cat.skus,
        "suppliers": model.cat.suppliers,
        "locations": model.cat.locations,
        "identities": identities,
        **tables,
        "inventory": inventory_frame(model, on_hand),
        "listings": listings_frame(
            model, history.state.listing, history.state.listing_stamp, n_days
        ),
    }
    used = np.unique(made.identity_use["person"].to_numpy())
    truth = {
        "persons": person_rows(persons, used),
        "identities": made.identity_use.select(
            "identity_id",
            pl.format("H{}", (pl.col("person") + 1).cast(pl.String).str.zfill(7)).alias(
                "person_id"
            ),
        ),
        "demand": made.demand,
        "stock": world["inventory"],
    }
    manifest = {
        "scale": plan.name,
        "seed": seed,
        "days": n_days,
        "start": to_datetime(day_start_us(start, 0)).isoformat(),
        "start_date": start.isoformat(),
        "end_date": END_DATE.isoformat(),
        "clock": clock.isoformat(),
        "counts": {name: world[name].height for name in TABLES},
    }
    for folder, frames, schemas in (("world", world, TABLES), ("truth", truth, TRUTH_TABLES)):
        staging = root / f".{folder}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for name, schema in schemas.items():
            _write(frames[name].select(schema.names()).cast(schema), staging / f"{name}.parquet")
        if folder == "world":
            (staging / "manifest.json").write_text(
                json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8"
            )
        shutil.rmtree(root / folder, ignore_errors=True)
        staging.rename(root / folder)
