"""The generated period: opening stock, launch orders, then one `simulate_day` per day.

The business does not start empty: on day 0 the warehouses hold a few weeks to a couple of
months of stock, stores and FBA hold their usual cover, and the channels list what the weekly
routine last gave them. Products that launch later are bought in ahead of their launch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ichigen.sandbox.generator.clock import DAY_US, HOUR_US, day_start_us
from ichigen.sandbox.generator.model import Model
from ichigen.sandbox.generator.randomness import rng_for
from ichigen.sandbox.generator.step import (
    _REFRESH_AT_US,
    SALES_WINDOW,
    Arrival,
    DayBatch,
    PurchaseOrders,
    State,
    expected_daily_units,
    simulate_day,
)

__all__ = ["History", "buyer_active", "opening_state", "run_history"]

IntArray = npt.NDArray[np.int64]

_LAUNCH_COVER_DAYS = 45
_DISCONTINUED = 0.06  # SKUs the old buyer stopped reordering: they sell out and stay out


@dataclass(frozen=True)
class History:
    batches: list[DayBatch]
    launch_orders: PurchaseOrders
    state: State


def buyer_active(model: Model) -> npt.NDArray[np.bool_]:
    """Which SKUs the naive buyer still reorders: a pure function of the seed."""
    rng = rng_for(model.seed, "buyer")
    active: npt.NDArray[np.bool_] = rng.random(model.n_sku) >= _DISCONTINUED
    return active


def _served_by(model: Model, warehouse: int) -> IntArray:
    locs = np.arange(model.n_loc)
    served: IntArray = np.flatnonzero((model.source == warehouse) | (locs == warehouse))
    return served


def opening_state(model: Model) -> State:
    rng = rng_for(model.seed, "opening")
    cat = model.cat
    daily = expected_daily_units(model, 0)
    launched = cat.launch_day <= 0
    on_hand = np.zeros((model.n_loc, model.n_sku), dtype=np.int64)
    for dest in map(int, model.stores):
        cover = daily[dest] * 14 * rng.uniform(0.6, 1.4, model.n_sku)
        on_hand[dest] = (np.ceil(cover) + 2) * (cat.in_store[dest] & launched)
    cover = daily[model.fba] * 28 * rng.uniform(0.6, 1.4, model.n_sku)
    on_hand[model.fba] = (np.ceil(cover) + 3) * (cat.carried[1] & launched)
    for w in map(int, model.warehouses):
        need = daily[_served_by(model, w)].sum(axis=0)
        stock = np.ceil(need * rng.uniform(25, 70, model.n_sku)).astype(np.int64)
        stock[rng.random(model.n_sku) < 0.04] = 0  # a few start the period sold out
        on_hand[w] = stock * launched

    listing = np.zeros((model.pair_channel.size, model.n_sku), dtype=np.int64)
    for p in range(model.pair_channel.size):
        share = np.floor(on_hand[model.pair_loc[p]] * model.pair_share[p]).astype(np.int64)
        listing[p] = share * (model.pair_carry[p] & launched)
    stamp = day_start_us(model.start, 0) + _REFRESH_AT_US
    sales = rng.poisson(np.broadcast_to(daily * launched, (SALES_WINDOW, *daily.shape)))
    return State(
        on_hand=on_hand,
        listing=listing,
        listing_stamp=np.full(listing.shape, stamp, dtype=np.int64),
        by_hand=np.ones(listing.shape, dtype=bool),
        on_order=np.zeros_like(on_hand),
        sales=sales.astype(np.int64),
        buyer_active=buyer_active(model),
    )


def launch_orders(model: Model, state: State) -> PurchaseOrders:
    """Buy in new products so that they arrive the day before they launch."""
    rng = rng_for(model.seed, "launch-orders")
    cat = model.cat
    new = np.flatnonzero(cat.launch_day > 0)
    if new.size == 0:
        return PurchaseOrders.empty()
    daily = expected_daily_units(model, int(cat.launch_day.max()))
    skus, locs, qtys = [], [], []
    for w in map(int, model.warehouses):
        need = daily[_served_by(model, w)].sum(axis=0)[new] * _LAUNCH_COVER_DAYS
        pack = cat.case_pack[new]
        qty = np.maximum(-(-np.ceil(need).astype(np.int64) // pack) * pack, cat.moq[new])
        keep = need > 0.5
        skus.append(new[keep])
        locs.append(np.full(int(keep.sum()), w, dtype=np.int64))
        qtys.append(qty[keep])
    sku, loc, qty = np.concatenate(skus), np.concatenate(locs), np.concatenate(qtys)
    lead = np.round(cat.lead_mean[cat.supplier[sku]]).astype(np.int64)
    arrive_day = np.maximum(cat.launch_day[sku] - 1, 0)
    order_day = arrive_day - lead - 3
    base = day_start_us(model.start, 0)
    ordered = base + order_day * DAY_US + (rng.uniform(10, 12, sku.size) * HOUR_US).astype(np.int64)
    received = (
        base + arrive_day * DAY_US + (rng.uniform(9, 16, sku.size) * HOUR_US).astype(np.int64)
    )
    confirmed = ordered + (rng.uniform(2, 48, sku.size) * HOUR_US).astype(np.int64)
    transit = ((received - confirmed) * rng.uniform(0.3, 0.8, sku.size)).astype(np.int64)
    shipped = np.maximum(received - transit, confirmed + HOUR_US)
    for day in np.unique(arrive_day):
        hit = arrive_day == day
        state.expect(int(day), Arrival(loc[hit], sku[hit], qty[hit], ordered=True))
    np.add.at(state.on_order, (loc, sku), qty)
    return PurchaseOrders(sku, loc, qty, ordered, confirmed, shipped, received)


def run_history(model: Model) -> History:
    state = opening_state(model)
    launches = launch_orders(model, state)
    n_days = (model.end - model.start).days + 1
    batches = [simulate_day(model, state, day) for day in range(n_days)]
    return History(batches=batches, launch_orders=launches, state=state)
