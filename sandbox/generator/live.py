"""Live trading: a loaded world keeps doing business as its clock moves forward.

`trade` rebuilds the simulation state from the world's tables (stock, listings as the
channels hold them, purchase orders in transit, returns on their way back, recent sales),
runs the same `simulate_day` as the history, and appends what happened. Listings that ichigen
pushed are no longer refreshed by the weekly routine, so a pushed 0 stops sales there.

It takes the world's tables, manifest and clock rather than the `World`, so that the
dependency goes one way: `World.advance` calls the generator, which knows nothing of `World`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import polars as pl

from ichigen.sandbox.generator.assemble import Counters, assemble
from ichigen.sandbox.generator.clock import DAY_US, day_of, day_start_us
from ichigen.sandbox.generator.customers import Persons, build_persons, identity_rows
from ichigen.sandbox.generator.history import buyer_active
from ichigen.sandbox.generator.model import Model, build_model
from ichigen.sandbox.generator.presets import preset
from ichigen.sandbox.generator.randomness import rng_for
from ichigen.sandbox.generator.step import SALES_WINDOW, Arrival, State, simulate_day
from ichigen.sandbox.generator.stock import (
    by_hand_from,
    inventory_frame,
    listings_frame,
    matrix_from,
    unshipped_units,
)

__all__ = ["trade"]


@lru_cache(maxsize=4)
def _parts(seed: int, scale: str, start: date, end: date) -> tuple[Model, Persons]:
    plan = preset(scale)
    return build_model(seed, plan, start, end), build_persons(seed, plan)


def _us(moment: datetime) -> int:
    return (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _state(model: Model, tables: dict[str, pl.DataFrame], now: datetime, today: int) -> State:
    on_hand = matrix_from(model, tables["inventory"], "on_hand") - unshipped_units(
        model, tables, now
    )
    listing, stamp, by_hand = by_hand_from(model, tables["listings"])
    state = State(
        on_hand=on_hand,
        listing=listing,
        listing_stamp=stamp,
        by_hand=by_hand,
        on_order=np.zeros_like(on_hand),
        sales=np.zeros((SALES_WINDOW, model.n_loc, model.n_sku), dtype=np.int64),
        buyer_active=buyer_active(model),
    )
    coming = tables["purchase_orders"].filter(pl.col("received_at") > now)
    state.on_order += matrix_from(model, coming, "quantity")
    restocks = (
        tables["returns"]
        .filter(pl.col("restocked") & (pl.col("refunded_at") > now))
        .join(tables["orders"].select("order_id", "location_id"), on="order_id")
    )
    for frame, ordered, column in ((coming, True, "received_at"), (restocks, False, "refunded_at")):
        if frame.is_empty():
            continue
        days = day_of(model.start, frame[column].dt.epoch("us").to_numpy())
        for day in np.unique(days):
            hit = frame.filter(pl.Series(days == day))
            arrival = matrix_from(model, hit, "quantity")
            loc, sku = np.nonzero(arrival)
            state.expect(int(day), Arrival(loc, sku, arrival[loc, sku], ordered=ordered))
    since = now - timedelta(days=SALES_WINDOW)
    recent = tables["orders"].filter(
        (pl.col("created_at") > since)
        & (pl.col("created_at") <= now)
        & pl.col("cancelled_at").is_null()
    )
    sold = tables["order_lines"].join(
        recent.select("order_id", "location_id", "created_at"), on="order_id"
    )
    days = day_of(model.start, sold["created_at"].dt.epoch("us").to_numpy())
    for day in np.unique(days):
        state.sales[int(day) % SALES_WINDOW] = matrix_from(
            model, sold.filter(pl.Series(days == day)), "quantity"
        )
    _ = today
    return state


def trade(
    tables: dict[str, pl.DataFrame], *, manifest: Mapping[str, Any], now: datetime, days: int
) -> dict[str, int]:
    """Trade `days` days from `now`, appending to `tables` (a world's, changed in place).

    `manifest` is the world's (its seed, scale and dates); the caller moves the clock and holds
    the world's lock.
    """
    if days < 1:
        raise ValueError(f"advance by at least one day, not {days}")
    m = manifest
    start, end = date.fromisoformat(m["start_date"]), date.fromisoformat(m["end_date"])
    model, persons = _parts(int(m["seed"]), str(m["scale"]), start, end)
    today = int((_us(now) - day_start_us(start, 0)) // DAY_US)
    state = _state(model, tables, now, today)
    batches = [(d, simulate_day(model, state, d)) for d in range(today, today + days)]
    made = assemble(model, persons, batches, counters=Counters.of(tables))

    known = tables["identities"]["identity_id"].implode()
    new = made.identity_use.filter(~pl.col("identity_id").is_in(known))
    rng = rng_for(model.seed, "signup-live", today)
    first = new["first_order_us"].to_numpy()
    created = first - (rng.uniform(0, 7_200, first.size) * 1_000_000).astype(np.int64)
    keys = list(
        zip(
            *(new[c].to_list() for c in ("identity_id", "person", "channel", "variant")),
            strict=True,
        )
    )
    identities = identity_rows(model.seed, persons, keys, created.tolist())

    for name, frame in (
        ("orders", made.orders),
        ("order_lines", made.order_lines),
        ("returns", made.returns),
        ("purchase_orders", made.purchase_orders),
        ("identities", identities),
    ):
        tables[name] = pl.concat([tables[name], frame.cast(tables[name].schema)])
    later = now + timedelta(days=days)
    on_hand = state.on_hand + unshipped_units(model, tables, later)
    tables["inventory"] = inventory_frame(model, on_hand)
    pairs = listings_frame(model, state.listing, state.listing_stamp, today + days)
    pair_keys = pairs.select("channel", "location_id").unique()
    others = tables["listings"].join(pair_keys, on=["channel", "location_id"], how="anti")
    tables["listings"] = pl.concat([pairs, others]).sort("channel", "location_id", "sku")
    demand = made.demand.select(pl.col("demand_units", "sold_units").sum())
    return {
        "orders_created": made.orders.height,
        "units_sold": int(demand["sold_units"][0] or 0),
        "units_lost": int((demand["demand_units"][0] or 0) - (demand["sold_units"][0] or 0)),
    }
