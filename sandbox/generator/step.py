"""One day of trading: the single day-step model shared by the history and live trading.

Each day, in this order:
1. goods arrive: purchase orders due today and restocked returns;
2. on Thursdays the warehouses top up the stores and FBA (transfers, arriving the same day);
3. on Mondays the listings that are still kept by hand are reset to a share of the stock at
   their location (the weekly spreadsheet routine; the routine ran on Sunday night);
4. demand arrives as Poisson order counts per stream with sampled baskets, and is capped by
   what each channel lists and what the location physically holds, first come first served
   (grouped cumulative sums over the day's lines in arrival order); the rest is lost;
5. each order's lifecycle and returns are sampled; cancelled orders give their stock back;
6. on Tuesdays the naive buyer reorders from suppliers what looks low in the warehouses.

Everything is vectorised over the day's orders and lines; only the handful of streams,
listings and destinations are looped over.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ichigen.sandbox.generator.channels import (
    EXTRA_LINES,
    HOURS,
    MAX_LINES,
    QUANTITY_P,
    WHOLESALE_LINES,
    WHOLESALE_UNITS,
)
from ichigen.sandbox.generator.clock import DAY_US, HOUR_US, day_of, day_start_us
from ichigen.sandbox.generator.lifecycle import OrderEvents, Returns, order_events, sample_returns
from ichigen.sandbox.generator.model import Model
from ichigen.sandbox.generator.randomness import rng_for
from ichigen.sandbox.generator.seasons import category_factors, channel_factors, day_calendar

__all__ = [
    "SALES_WINDOW",
    "Arrival",
    "DayBatch",
    "PurchaseOrders",
    "State",
    "expected_daily_units",
    "launch_boost",
    "simulate_day",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SALES_WINDOW = 28  # days of sales the buyer and the transfer routine look back on
_MONDAY, _TUESDAY, _THURSDAY = 0, 1, 3
_STORE_COVER, _FBA_COVER = 14, 28  # days of recent sales a transfer aims to hold
_STORE_MIN, _FBA_MIN = 2, 3  # what a location keeps of anything it carries
_REVIEW_DAYS, _ORDER_COVER = 7, 35
_REFRESH_AT_US = -30 * 60 * 1_000_000  # Sunday 23:30 JST, just before Monday begins


@dataclass(frozen=True)
class Arrival:
    """Units that reach a location on a given day."""

    loc: IntArray
    sku: IntArray
    qty: IntArray
    ordered: bool  # a purchase order (counts against on-order) rather than a restock


@dataclass(frozen=True)
class PurchaseOrders:
    sku: IntArray
    loc: IntArray
    qty: IntArray
    ordered: IntArray
    confirmed: IntArray
    shipped: IntArray
    received: IntArray

    @staticmethod
    def empty() -> PurchaseOrders:
        e = np.zeros(0, dtype=np.int64)
        return PurchaseOrders(e, e, e, e, e, e, e)


@dataclass
class State:
    """Everything about the business that carries over from one day to the next."""

    on_hand: IntArray  # (location, sku)
    listing: IntArray  # (pair, sku): what each channel believes it may sell
    listing_stamp: IntArray  # (pair, sku): when each listing was last set
    by_hand: BoolArray  # (pair, sku): still refreshed by the weekly routine
    on_order: IntArray  # (location, sku)
    sales: IntArray  # (SALES_WINDOW, location, sku): units sold, by day modulo the window
    buyer_active: BoolArray  # (sku,): the naive buyer still reorders it
    arrivals: dict[int, list[Arrival]] = field(default_factory=dict)

    def expect(self, day: int, arrival: Arrival) -> None:
        self.arrivals.setdefault(day, []).append(arrival)


@dataclass(frozen=True)
class DayBatch:
    """What one day produced; order and line indices are local to the batch."""

    order_stream: IntArray
    order_channel: IntArray
    order_loc: IntArray
    order_buyer: IntArray  # wholesale buyer, -1 otherwise
    created: IntArray
    events: OrderEvents
    line_order: IntArray
    line_sku: IntArray
    line_qty: IntArray
    returns: Returns
    demand_key: IntArray  # (channel * n_loc + loc) * n_sku + sku
    demand_units: IntArray
    sold_units: IntArray
    purchase_orders: PurchaseOrders


def launch_boost(model: Model, day: int) -> FloatArray:
    """Popularity multiplier per SKU: zero before launch, a novelty bump in the first weeks."""
    age = day - model.cat.launch_day
    boost: FloatArray = np.where(age >= 0, 1.0 + 1.2 * np.exp(-np.maximum(age, 0) / 21.0), 0.0)
    return boost


def _season_weights(model: Model, day: int) -> tuple[FloatArray, FloatArray, FloatArray]:
    cal = day_calendar(model.start, np.array([day], dtype=np.int64))
    channel_f = channel_factors(cal)[0]
    category_f = category_factors(cal)[0][model.cat.category]
    live = model.cat.launch_day <= day
    return channel_f, category_f * live, launch_boost(model, day)


def expected_daily_units(model: Model, day: int) -> FloatArray:
    """Mean units per (location, sku) on an ordinary day, before stockouts: for seeding stock."""
    _, seasonal, boost = _season_weights(model, day)
    w = model.cat.weight * seasonal * np.maximum(boost, model.cat.launch_day > day)
    units = np.zeros((model.n_loc, model.n_sku))
    for s in range(model.stream_channel.size):
        c = int(model.stream_channel[s])
        ws = w * model.stream_carry[s]
        if ws.sum() <= 0:
            continue
        if c == 4:
            share = model.buyer_weight[model.buyer_stream == s].sum()
            per_line = 25.0
            lines = WHOLESALE_LINES[0] + WHOLESALE_LINES[1]
        else:
            share = model.stream_share[s]
            per_line = float(QUANTITY_P[c] @ np.array([1.0, 2.0, 3.0]))
            lines = 1.0 + EXTRA_LINES[c]
        orders = model.orders_per_day[c] * share * (5 / 7 if c == 4 else 1.0)
        units[model.stream_loc[s]] += orders * lines * per_line * ws / ws.sum()
    return units


def _greedy_fill(keys: IntArray, want: IntArray, available: IntArray) -> IntArray:
    """First come, first served within each key; lines arrive in array order.

    A line gets what is left after the lines before it with the same key:
    ``clip(available - units wanted earlier, 0, want)``.
    """
    if keys.size == 0:
        return want.copy()
    order = np.argsort(keys, kind="stable")
    k, w = keys[order], want[order]
    running = np.cumsum(w)
    first = np.r_[True, k[1:] != k[:-1]]
    group = np.cumsum(first) - 1
    before = running - w - (running - w)[first][group]
    got = np.clip(available[order] - before, 0, w)
    filled = np.empty_like(want)
    filled[order] = got
    return filled


def _receive(state: State, day: int) -> None:
    for arrival in state.arrivals.pop(day, []):
        np.add.at(state.on_hand, (arrival.loc, arrival.sku), arrival.qty)
        if arrival.ordered:
            np.subtract.at(state.on_order, (arrival.loc, arrival.sku), arrival.qty)
            np.maximum(state.on_order, 0, out=state.on_order)


def _recent_sales(state: State) -> IntArray:
    total: IntArray = state.sales.sum(axis=0)
    return total


def _transfer(model: Model, state: State, day: int) -> None:
    recent = _recent_sales(state)
    launched = model.cat.launch_day <= day
    destinations = [*map(int, model.stores), model.fba]
    for dest in destinations:
        src = int(model.source[dest])
        is_fba = dest == model.fba
        carried = (model.cat.carried[1] if is_fba else model.cat.in_store[dest]) & launched
        cover, floor = (_FBA_COVER, _FBA_MIN) if is_fba else (_STORE_COVER, _STORE_MIN)
        par = np.maximum(np.ceil(recent[dest] * cover / SALES_WINDOW), floor).astype(np.int64)
        send = np.clip(par - state.on_hand[dest], 0, state.on_hand[src]) * carried
        state.on_hand[src] -= send
        state.on_hand[dest] += send


def _refresh_listings(model: Model, state: State, day: int) -> None:
    launched = model.cat.launch_day <= day
    stamp = day_start_us(model.start, day) + _REFRESH_AT_US
    for p in range(model.pair_channel.size):
        share = model.pair_share[p]
        target = np.floor(state.on_hand[model.pair_loc[p]] * share).astype(np.int64)
        target *= launched & model.pair_carry[p]
        redo = state.by_hand[p] & model.pair_carry[p]
        state.listing[p] = np.where(redo, target, state.listing[p])
        state.listing_stamp[p] = np.where(redo, stamp, state.listing_stamp[p])


@dataclass(frozen=True)
class _Demand:
    stream: IntArray
    buyer: IntArray
    created: IntArray
    line_order: IntArray
    line_sku: IntArray
    line_qty: IntArray


def _sample_demand(model: Model, day: int, rng: np.random.Generator) -> _Demand:
    channel_f, seasonal, boost = _season_weights(model, day)
    weight = model.cat.weight * seasonal * boost
    plain = model.cat.weight * (model.cat.launch_day <= day)
    noise = rng.gamma(20.0, 1.0 / 20.0, size=5)  # day-to-day overdispersion per channel
    streams: list[IntArray] = []
    buyers: list[IntArray] = []
    seconds: list[FloatArray] = []
    lines_per: list[IntArray] = []
    skus: list[IntArray] = []
    qtys: list[IntArray] = []
    wholesale = model.stream_channel == 4
    for s in np.flatnonzero(~wholesale):
        c = int(model.stream_channel[s])
        w = weight * model.stream_carry[s]
        total = w.sum()
        if total <= 0:
            continue
        # the seasonal mix changes how much is bought, not only what
        volume = (seasonal * plain * model.stream_carry[s]).sum() / max(
            (plain * model.stream_carry[s]).sum(), 1e-9
        )
        mean = model.orders_per_day[c] * model.stream_share[s] * channel_f[c] * noise[c] * volume
        n = int(rng.poisson(mean))
        if n == 0:
            continue
        k = 1 + np.minimum(rng.poisson(EXTRA_LINES[c], n), MAX_LINES[c] - 1)
        streams.append(np.full(n, s, dtype=np.int64))
        buyers.append(np.full(n, -1, dtype=np.int64))
        lines_per.append(k)
        skus.append(rng.choice(model.n_sku, size=int(k.sum()), p=w / total))
        qtys.append(1 + rng.choice(3, size=int(k.sum()), p=QUANTITY_P[c]))
        seconds.append(_times_of_day(rng, c, n))

    w = model.cat.weight * seasonal * model.cat.carried[4]
    n = int(rng.poisson(model.orders_per_day[4] * channel_f[4] * noise[4]))
    if n and w.sum() > 0:
        buyer = rng.choice(model.buyer_weight.size, size=n, p=model.buyer_weight)
        k = np.minimum(WHOLESALE_LINES[0] + rng.poisson(WHOLESALE_LINES[1], n), 20)
        sku = rng.choice(model.n_sku, size=int(k.sum()), p=w / w.sum())
        pack = model.cat.case_pack[sku]
        lo = -(-WHOLESALE_UNITS[0] // pack)
        hi = np.maximum(WHOLESALE_UNITS[1] // pack, lo)
        cases = np.clip(np.round(rng.lognormal(np.log(20.0 / pack), 0.8)), lo, hi).astype(np.int64)
        streams.append(model.buyer_stream[buyer])
        buyers.append(buyer.astype(np.int64))
        lines_per.append(k)
        skus.append(sku)
        qtys.append(cases * pack)
        seconds.append(_times_of_day(rng, 4, n))

    if not streams:
        e = np.zeros(0, dtype=np.int64)
        return _Demand(e, e, e, e, e, e)
    stream = np.concatenate(streams)
    sec = np.concatenate(seconds)
    k_all = np.concatenate(lines_per)
    line_order = np.repeat(np.arange(stream.size), k_all)
    # orders are numbered in the order they arrive during the day
    arrival = np.argsort(sec, kind="stable")
    rank = np.empty_like(arrival)
    rank[arrival] = np.arange(arrival.size)
    line_order = rank[line_order]
    line_sku = np.concatenate(skus).astype(np.int64)
    line_qty = np.concatenate(qtys).astype(np.int64)
    # a basket holds each SKU once: merge repeated draws into one line
    by = np.lexsort((line_sku, line_order))
    o, s_, q = line_order[by], line_sku[by], line_qty[by]
    new = np.r_[True, (o[1:] != o[:-1]) | (s_[1:] != s_[:-1])]
    group = np.cumsum(new) - 1
    created = day_start_us(model.start, day) + (sec[arrival] * 1_000_000).astype(np.int64)
    return _Demand(
        stream=stream[arrival],
        buyer=np.concatenate(buyers)[arrival],
        created=created,
        line_order=o[new],
        line_sku=s_[new],
        line_qty=np.bincount(group, weights=q).astype(np.int64),
    )


def _times_of_day(rng: np.random.Generator, channel: int, n: int) -> FloatArray:
    hours = HOURS[channel] / HOURS[channel].sum()
    hour = rng.choice(24, size=n, p=hours)
    result: FloatArray = hour * 3600.0 + rng.uniform(0.0, 3600.0, n)
    return result


def _reorder(model: Model, state: State, day: int, rng: np.random.Generator) -> PurchaseOrders:
    """The weekly spreadsheet: reorder what looks low, from recent sales, lost sales unseen."""
    recent = _recent_sales(state)
    cat = model.cat
    launched = cat.launch_day <= day
    lead_mean = cat.lead_mean[cat.supplier]
    found: list[tuple[int, IntArray, IntArray]] = []
    for w in map(int, model.warehouses):
        served = np.flatnonzero((model.source == w) | (np.arange(model.n_loc) == w))
        age = np.clip(day - cat.launch_day, 7, SALES_WINDOW)
        rate = recent[served].sum(axis=0) / age
        position = state.on_hand[served].sum(axis=0) + state.on_order[w]
        low = position <= rate * (lead_mean + _REVIEW_DAYS) * 1.2
        need = (low & (rate > 0)) | (position <= 0)
        need &= launched & state.buyer_active
        sku = np.flatnonzero(need)
        if sku.size == 0:
            continue
        target = rate[sku] * (lead_mean[sku] + _REVIEW_DAYS + _ORDER_COVER)
        qty = np.maximum(np.ceil(target - position[sku]), cat.moq[sku]).astype(np.int64)
        pack = cat.case_pack[sku]
        found.append((w, sku, -(-qty // pack) * pack))
    if not found:
        return PurchaseOrders.empty()
    loc = np.concatenate([np.full(s.size, w, dtype=np.int64) for w, s, _ in found])
    sku = np.concatenate([s for _, s, _ in found])
    qty = np.concatenate([q for _, _, q in found])
    ordered = day_start_us(model.start, day) + (rng.uniform(10, 12, sku.size) * HOUR_US).astype(
        np.int64
    )
    pos = purchase_orders_from(model, sku=sku, loc=loc, qty=qty, ordered=ordered, rng=rng)
    for due in np.unique(day_of(model.start, pos.received)):
        hit = day_of(model.start, pos.received) == due
        state.expect(int(due), Arrival(pos.loc[hit], pos.sku[hit], pos.qty[hit], ordered=True))
    np.add.at(state.on_order, (pos.loc, pos.sku), pos.qty)
    return pos


def purchase_orders_from(
    model: Model,
    *,
    sku: IntArray,
    loc: IntArray,
    qty: IntArray,
    ordered: IntArray,
    rng: np.random.Generator,
) -> PurchaseOrders:
    """Sample confirmation, dispatch and receipt of purchase orders placed at `ordered`."""
    n = sku.size
    supplier = model.cat.supplier[sku]
    lead = np.maximum(
        np.round(rng.normal(model.cat.lead_mean[supplier], model.cat.lead_sd[supplier])), 2
    ).astype(np.int64)
    order_day = day_of(model.start, ordered)
    received_day = order_day + lead
    received = (received_day * DAY_US + day_start_us(model.start, 0)) + (
        rng.uniform(9, 16, n) * HOUR_US
    ).astype(np.int64)
    confirmed = ordered + (rng.uniform(2, 48, n) * HOUR_US).astype(np.int64)
    in_transit = (received - confirmed) * rng.uniform(0.3, 0.8, n)
    shipped = np.maximum(received - in_transit.astype(np.int64), confirmed + HOUR_US)
    return PurchaseOrders(sku, loc, qty, ordered, confirmed, shipped, received)


def simulate_day(model: Model, state: State, day: int) -> DayBatch:
    """Trade one day, mutating `state`; deterministic for (model.seed, day, state)."""
    rng = rng_for(model.seed, "day", day)
    weekday = (np.datetime64(model.start, "D") + day).astype(np.int64).item() + 3
    weekday %= 7
    _receive(state, day)
    if weekday == _THURSDAY:
        _transfer(model, state, day)
    if weekday == _MONDAY:
        _refresh_listings(model, state, day)

    demand = _sample_demand(model, day, rng)
    n_sku = model.n_sku
    o_channel = model.stream_channel[demand.stream]
    o_loc = model.stream_loc[demand.stream]
    o_pair = model.stream_pair[demand.stream]
    l_pair = o_pair[demand.line_order]
    l_loc = o_loc[demand.line_order]
    sku, want = demand.line_sku, demand.line_qty

    listed = l_pair >= 0
    pair_key = np.where(listed, l_pair, 0) * n_sku + sku
    cap = np.where(listed, state.listing.reshape(-1)[pair_key], want)
    step_a = np.where(listed, _greedy_fill(np.where(listed, pair_key, -1), want, cap), want)
    loc_key = l_loc * n_sku + sku
    filled = _greedy_fill(loc_key, step_a, state.on_hand.reshape(-1)[loc_key])
    is_wholesale = o_channel[demand.line_order] == 4
    pack = model.cat.case_pack[sku]
    filled = np.where(is_wholesale, filled // pack * pack, filled)

    np.subtract.at(state.on_hand.reshape(-1), loc_key, filled)
    np.subtract.at(state.listing.reshape(-1), pair_key[listed], filled[listed])

    l_channel = o_channel[demand.line_order]
    demand_key = (l_channel * model.n_loc + l_loc) * n_sku + sku
    size = 5 * model.n_loc * n_sku
    demand_units = np.bincount(demand_key, weights=want, minlength=size).astype(np.int64)
    sold_units = np.bincount(demand_key, weights=filled, minlength=size).astype(np.int64)
    present = np.flatnonzero(demand_units)

    # orders that got nothing never happened; lines that got nothing are dropped
    n_orders = demand.stream.size
    got = np.bincount(demand.line_order, weights=filled, minlength=n_orders) > 0
    keep_line = filled > 0
    new_index = np.cumsum(got) - 1
    line_order = new_index[demand.line_order[keep_line]]
    line_sku = sku[keep_line]
    line_qty = filled[keep_line]
    line_loc = l_loc[keep_line]
    line_pair = l_pair[keep_line]
    stream = demand.stream[got]
    channel = o_channel[got]
    loc = o_loc[got]
    created = demand.created[got]
    events = order_events(channel, created, rng)

    # a cancelled order gives its units back to the shelf and to the channel
    back = events.is_cancelled[line_order]
    np.add.at(state.on_hand, (line_loc[back], line_sku[back]), line_qty[back])
    relist = back & (line_pair >= 0)
    np.add.at(state.listing, (line_pair[relist], line_sku[relist]), line_qty[relist])

    returns = sample_returns(
        channel=channel[line_order],
        category=model.cat.category[line_sku],
        quantity=line_qty,
        delivered=events.delivered[line_order],
        rng=rng,
    )
    _expect_restocks(model, state, returns, line_loc, line_sku)

    sold = ~back
    state.sales[day % SALES_WINDOW] = np.bincount(
        line_loc[sold] * n_sku + line_sku[sold],
        weights=line_qty[sold],
        minlength=model.n_loc * n_sku,
    ).reshape(model.n_loc, n_sku)

    pos = _reorder(model, state, day, rng) if weekday == _TUESDAY else PurchaseOrders.empty()
    return DayBatch(
        order_stream=stream,
        order_channel=channel,
        order_loc=loc,
        order_buyer=demand.buyer[got],
        created=created,
        events=events,
        line_order=line_order,
        line_sku=line_sku,
        line_qty=line_qty,
        returns=returns,
        demand_key=present,
        demand_units=demand_units[present],
        sold_units=sold_units[present],
        purchase_orders=pos,
    )


def _expect_restocks(
    model: Model, state: State, returns: Returns, line_loc: IntArray, line_sku: IntArray
) -> None:
    keep = returns.restocked
    if not keep.any():
        return
    lines = returns.line[keep]
    due = day_of(model.start, returns.refunded[keep])
    loc, sku, qty = line_loc[lines], line_sku[lines], returns.quantity[keep]
    for d in np.unique(due):
        hit = due == d
        state.expect(int(d), Arrival(loc[hit], sku[hit], qty[hit], ordered=False))
