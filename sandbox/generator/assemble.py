"""Turn simulated days into the world's tables: ids as channels write them, money, identities.

`assemble` is shared by the generated history and live trading; `Counters` carries on the
numbering (Shopify's order numbers, Amazon's order ids, ...) from what the world already holds,
so live orders continue the same sequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.sandbox.generator.channels import CANCEL_REASONS, PAYMENTS
from ichigen.sandbox.generator.clock import DAY_US, JST_OFFSET_US, NULL_TS, day_start_us
from ichigen.sandbox.generator.customers import Persons, assign_persons, identity_ids
from ichigen.sandbox.generator.model import Model
from ichigen.sandbox.generator.randomness import rng_for
from ichigen.sandbox.generator.seasons import PROMOS, day_calendar
from ichigen.sandbox.generator.step import DayBatch, PurchaseOrders
from ichigen.sandbox.schema import (
    CHANNELS,
    ORDER_LINES,
    ORDERS,
    PURCHASE_ORDERS,
    RETURN_REASONS,
    RETURNS,
    TRUTH_DEMAND,
)

__all__ = ["Assembled", "Counters", "assemble", "purchase_order_frame"]

IntArray = npt.NDArray[np.int64]
SHOPIFY, AMAZON, RAKUTEN, POS, WHOLESALE = range(len(CHANNELS))
RAKUTEN_SHOP_ID = "378776"
_UTC = pl.Datetime("us", "UTC")


@dataclass(frozen=True)
class Counters:
    """How many of each thing the world already numbers; new ones continue from here."""

    orders: int = 0
    orders_per_channel: tuple[int, ...] = (0, 0, 0, 0, 0)
    lines_per_channel: tuple[int, ...] = (0, 0, 0, 0, 0)
    returns: int = 0
    purchase_orders: int = 0

    @staticmethod
    def of(tables: dict[str, pl.DataFrame]) -> Counters:
        orders = tables["orders"]
        per_channel = orders.group_by("channel").len()
        lines = (
            tables["order_lines"]
            .join(orders.select("order_id", "channel"), on="order_id")
            .group_by("channel")
            .len()
        )
        count = dict(per_channel.iter_rows())
        line_count = dict(lines.iter_rows())
        history_pos = tables["purchase_orders"].filter(pl.col("po_id").str.starts_with("PO-"))
        return Counters(
            orders=orders.height,
            orders_per_channel=tuple(int(count.get(c, 0)) for c in CHANNELS),
            lines_per_channel=tuple(int(line_count.get(c, 0)) for c in CHANNELS),
            returns=tables["returns"].height,
            purchase_orders=history_pos["po_id"].n_unique(),
        )


@dataclass(frozen=True)
class Assembled:
    orders: pl.DataFrame
    order_lines: pl.DataFrame
    returns: pl.DataFrame
    purchase_orders: pl.DataFrame
    demand: pl.DataFrame  # truth
    # identities that placed orders: identity_id, person, channel, variant, first_order_us
    identity_use: pl.DataFrame


def _cumcount(group: IntArray, n_groups: int) -> IntArray:
    """Position of each element within its group, in array order."""
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.searchsorted(g, np.arange(n_groups))
    pos = np.empty_like(group)
    pos[order] = np.arange(group.size) - starts[g]
    return pos


def _timestamps(values: IntArray, name: str) -> pl.Series:
    series = pl.Series(name, values, dtype=pl.Int64)
    return series.set(series == NULL_TS, None).cast(_UTC)


def _concat(batches: list[tuple[int, DayBatch]]) -> dict[str, IntArray]:
    parts: dict[str, list[IntArray]] = {}
    order_offset = line_offset = 0
    for _, b in batches:
        e = b.events
        add = {
            "o_stream": b.order_stream,
            "o_channel": b.order_channel,
            "o_loc": b.order_loc,
            "o_buyer": b.order_buyer,
            "o_created": b.created,
            "o_payment": e.payment,
            "o_paid": e.paid,
            "o_shipped": e.shipped,
            "o_delivered": e.delivered,
            "o_cancelled": e.cancelled,
            "o_reason": e.cancel_reason,
            "o_note": e.note_updated,
            "l_order": b.line_order + order_offset,
            "l_sku": b.line_sku,
            "l_qty": b.line_qty,
            "r_line": b.returns.line + line_offset,
            "r_qty": b.returns.quantity,
            "r_reason": b.returns.reason,
            "r_requested": b.returns.requested,
            "r_refunded": b.returns.refunded,
            "r_restocked": b.returns.restocked.astype(np.int64),
        }
        for key, value in add.items():
            parts.setdefault(key, []).append(np.asarray(value, dtype=np.int64))
        order_offset += b.order_stream.size
        line_offset += b.line_sku.size
    return {k: np.concatenate(v) for k, v in parts.items()}


def _promotions(
    model: Model, channel: IntArray, created: IntArray, rng: np.random.Generator
) -> tuple[IntArray, npt.NDArray[np.float64]]:
    """Which promotion each order used (-1 for none) and the rate it took off."""
    day = (created - day_start_us(model.start, 0)) // DAY_US
    cal = day_calendar(model.start, day)
    promo = np.full(channel.size, -1, dtype=np.int64)
    rate = np.zeros(channel.size)
    u = rng.random(channel.size)
    for i, p in enumerate(PROMOS):
        lo, hi = p.start[0] * 100 + p.start[1], p.end[0] * 100 + p.end[1]
        hit = (promo < 0) & np.isin(channel, p.channels) & (cal.ordinal >= lo) & (cal.ordinal <= hi)
        hit &= u < p.uptake
        promo[hit] = i
        rate[hit] = p.rate
        u = np.where(hit, 1.0, rng.random(channel.size))
    return promo, rate


def _shipping(channel: IntArray, goods: IntArray) -> IntArray:
    free_from = np.array([5_000, 3_500, 5_000, 0, 50_000])[channel]
    fee = np.array([550, 450, 600, 0, 1_320])[channel]
    result: IntArray = np.where(goods >= free_from, 0, fee)
    return result


def _jst_date(created: pl.Expr) -> pl.Expr:
    return (created + pl.duration(microseconds=JST_OFFSET_US)).dt.strftime("%Y%m%d")


def _channel_ids(
    channel: IntArray, k: IntArray, created: pl.Series, buyer_code: list[str | None]
) -> tuple[list[str], list[str]]:
    frame = pl.DataFrame(
        {"c": channel, "k": k, "created": created, "buyer": pl.Series(buyer_code, dtype=pl.String)}
    )
    shopify = 5_600_000_000_000 + k * 7_919_113 + (k * 2_654_435_761) % 7_000_000
    amazon = ((k + 104_729) * 48_271_191_547) % 10**14
    frame = frame.with_columns(
        pl.Series("shopify", shopify),
        pl.Series("amazon", amazon),
        _jst_date(pl.col("created")).alias("d"),
    )
    ids = frame.select(
        pl.when(pl.col("c") == SHOPIFY)
        .then(pl.col("shopify").cast(pl.String))
        .when(pl.col("c") == AMAZON)
        .then(
            pl.concat_str(
                pl.lit("503-"),
                (pl.col("amazon") // 10**7).cast(pl.String).str.zfill(7),
                pl.lit("-"),
                (pl.col("amazon") % 10**7).cast(pl.String).str.zfill(7),
            )
        )
        .when(pl.col("c") == RAKUTEN)
        .then(
            pl.concat_str(
                pl.lit(RAKUTEN_SHOP_ID + "-"),
                pl.col("d"),
                pl.lit("-"),
                (pl.col("k") + 1).cast(pl.String).str.zfill(10),
            )
        )
        .when(pl.col("c") == POS)
        .then(
            pl.concat_str(
                pl.lit("R"),
                pl.col("d"),
                pl.lit("-"),
                (pl.col("k") + 1).cast(pl.String).str.zfill(7),
            )
        )
        .otherwise(
            pl.concat_str(
                pl.col("buyer"), pl.lit("-"), (pl.col("k") + 1).cast(pl.String).str.zfill(6)
            )
        )
        .alias("id"),
        pl.when(pl.col("c") == SHOPIFY)
        .then(pl.concat_str(pl.lit("#"), (pl.col("k") + 1001).cast(pl.String)))
        .alias("name"),
    )
    names = ids.select(pl.coalesce("name", "id"))["name"].to_list()
    return ids["id"].to_list(), names


def _line_ids(channel: IntArray, k: IntArray, line_no: IntArray) -> pl.Series:
    shopify = 14_100_000_000_000 + k * 3_141_593 + (k * 40_503) % 3_000_000
    amazon = ((k + 130_363) * 61_472_803_117) % 10**14
    frame = pl.DataFrame({"c": channel, "s": shopify, "a": amazon, "k": k, "n": line_no})
    return frame.select(
        pl.when(pl.col("c") == SHOPIFY)
        .then(pl.col("s").cast(pl.String))
        .when(pl.col("c") == AMAZON)
        .then(pl.col("a").cast(pl.String).str.zfill(14))
        .when(pl.col("c") == RAKUTEN)
        .then((pl.col("k") + 200_000_000).cast(pl.String))
        .otherwise(pl.col("n").cast(pl.String))
    ).to_series()


def purchase_order_frame(model: Model, pos: PurchaseOrders, *, first_number: int) -> pl.DataFrame:
    """One purchase order per line, numbered from `first_number`."""
    supplier = model.cat.supplier[pos.sku]
    n = pos.sku.size
    return pl.DataFrame(
        {
            "po_id": [f"PO-{first_number + i + 1:06d}" for i in range(n)],
            "supplier_id": model.cat.suppliers["supplier_id"].gather(supplier),
            "sku": model.cat.skus["sku"].gather(pos.sku),
            "location_id": [model.location_ids[int(loc)] for loc in pos.loc],
            "quantity": pos.qty,
            "ordered_at": _timestamps(pos.ordered, "ordered_at"),
            "confirmed_at": _timestamps(pos.confirmed, "confirmed_at"),
            "shipped_at": _timestamps(pos.shipped, "shipped_at"),
            "received_at": _timestamps(pos.received, "received_at"),
        }
    ).cast(PURCHASE_ORDERS)


def _demand(model: Model, batches: list[tuple[int, DayBatch]]) -> pl.DataFrame:
    days = np.concatenate([np.full(b.demand_key.size, d, dtype=np.int64) for d, b in batches])
    key = np.concatenate([b.demand_key for _, b in batches])
    units = np.concatenate([b.demand_units for _, b in batches])
    sold = np.concatenate([b.sold_units for _, b in batches])
    sku = key % model.n_sku
    rest = key // model.n_sku
    loc, channel = rest % model.n_loc, rest // model.n_loc
    return pl.DataFrame(
        {
            "date": pl.Series(np.datetime64(model.start, "D") + days).cast(pl.Date),
            "sku": model.cat.skus["sku"].gather(sku),
            "channel": pl.Series([CHANNELS[int(c)] for c in range(5)]).gather(channel),
            "location_id": pl.Series(model.location_ids).gather(loc),
            "demand_units": units,
            "sold_units": sold,
            "lost_units": units - sold,
        },
        schema=TRUTH_DEMAND,
    )


def assemble(
    model: Model,
    persons: Persons,
    batches: list[tuple[int, DayBatch]],
    *,
    counters: Counters,
    extra_purchase_orders: PurchaseOrders | None = None,
) -> Assembled:
    a = _concat(batches)
    first_day = batches[0][0]
    rng = rng_for(model.seed, "assemble", first_day)
    channel, created = a["o_channel"], a["o_created"]
    n_orders = channel.size

    person, variant = assign_persons(persons, channel, a["o_buyer"], rng)
    identity = identity_ids(model.seed, persons, person, channel, variant)

    # numbering, per channel, continuing the world's sequences
    k = _cumcount(channel, 5) + np.asarray(counters.orders_per_channel)[channel]
    created_ts = _timestamps(created, "created_at")
    buyer_code = [f"WB{b + 1:03d}" if b >= 0 else None for b in a["o_buyer"].tolist()]
    channel_order_id, order_name = _channel_ids(channel, k, created_ts, buyer_code)
    order_id = [f"O{counters.orders + i + 1:09d}" for i in range(n_orders)]

    # lines and money
    line_order, sku, qty = a["l_order"], a["l_sku"], a["l_qty"]
    line_channel = channel[line_order]
    line_no = _cumcount(line_order, n_orders) + 1
    unit = np.where(line_channel == WHOLESALE, model.cat.wholesale_price[sku], model.cat.price[sku])
    amount = unit * qty
    subtotal = np.bincount(line_order, weights=amount, minlength=n_orders).astype(np.int64)
    promo, rate = _promotions(model, channel, created, rng)
    discount = np.floor(subtotal * rate).astype(np.int64)
    line_discount = np.where(
        subtotal[line_order] > 0,
        amount * discount[line_order] // np.maximum(subtotal[line_order], 1),
        0,
    )
    remainder = discount - np.bincount(
        line_order, weights=line_discount, minlength=n_orders
    ).astype(np.int64)
    line_discount = line_discount + np.where(line_no == 1, remainder[line_order], 0)
    shipping = _shipping(channel, subtotal - discount)
    total = subtotal - discount + shipping
    line_k = _cumcount(line_channel, 5) + np.asarray(counters.lines_per_channel)[line_channel]

    e = {name: a[f"o_{name}"] for name in ("paid", "shipped", "delivered", "cancelled", "note")}
    orders = pl.DataFrame(
        {
            "order_id": order_id,
            "channel": pl.Series([*CHANNELS]).gather(channel),
            "channel_order_id": channel_order_id,
            "order_name": order_name,
            "identity_id": pl.Series(identity, dtype=pl.String),
            "location_id": pl.Series(model.location_ids).gather(a["o_loc"]),
            "payment_method": pl.Series([*PAYMENTS]).gather(a["o_payment"]),
            "promo_code": pl.Series([None, *(p.code for p in PROMOS)], dtype=pl.String).gather(
                promo + 1
            ),
            "created_at": created_ts,
            "paid_at": _timestamps(e["paid"], "paid_at"),
            "shipped_at": _timestamps(e["shipped"], "shipped_at"),
            "delivered_at": _timestamps(e["delivered"], "delivered_at"),
            "cancelled_at": _timestamps(e["cancelled"], "cancelled_at"),
            "cancel_reason": pl.Series([None, *CANCEL_REASONS], dtype=pl.String).gather(
                a["o_reason"] + 1
            ),
            "note_updated_at": _timestamps(e["note"], "note_updated_at"),
            "subtotal_jpy": subtotal,
            "discount_jpy": discount,
            "shipping_jpy": shipping,
            "tax_jpy": total * 10 // 110,
            "total_jpy": total,
        }
    ).cast(ORDERS)

    order_ids = pl.Series(order_id)
    lines = pl.DataFrame(
        {
            "order_id": order_ids.gather(line_order),
            "line_no": line_no,
            "channel_line_id": _line_ids(line_channel, line_k, line_no),
            "sku": model.cat.skus["sku"].gather(sku),
            "quantity": qty,
            "unit_price_jpy": unit,
            "discount_jpy": line_discount,
            "tax_jpy": (amount - line_discount) * 10 // 110,
        }
    ).cast(ORDER_LINES)

    r_line = a["r_line"]
    back = a["r_qty"]
    refund = unit[r_line] * back - line_discount[r_line] * back // qty[r_line]
    returns = pl.DataFrame(
        {
            "return_id": [f"RT{counters.returns + i + 1:08d}" for i in range(r_line.size)],
            "order_id": order_ids.gather(line_order[r_line]),
            "line_no": line_no[r_line],
            "sku": model.cat.skus["sku"].gather(sku[r_line]),
            "quantity": back,
            "reason": pl.Series([*RETURN_REASONS]).gather(a["r_reason"]),
            "requested_at": _timestamps(a["r_requested"], "requested_at"),
            "refunded_at": _timestamps(a["r_refunded"], "refunded_at"),
            "refund_jpy": refund,
            "restocked": a["r_restocked"].astype(bool),
        }
    ).cast(RETURNS)

    pos = [b.purchase_orders for _, b in batches]
    if extra_purchase_orders is not None:
        pos.insert(0, extra_purchase_orders)
    merged = PurchaseOrders(
        *(
            np.concatenate([getattr(p, f) for p in pos])
            for f in ("sku", "loc", "qty", "ordered", "confirmed", "shipped", "received")
        )
    )
    purchase_orders = purchase_order_frame(model, merged, first_number=counters.purchase_orders)

    use = (
        pl.DataFrame(
            {
                "identity_id": pl.Series(identity, dtype=pl.String),
                "person": person,
                "channel": channel,
                "variant": variant,
                "first_order_us": created,
            }
        )
        .filter(pl.col("identity_id").is_not_null())
        .group_by("identity_id")
        .agg(pl.all().first(), pl.col("first_order_us").min().alias("first"))
        .drop("first_order_us")
        .rename({"first": "first_order_us"})
        .sort("identity_id")
    )
    return Assembled(
        orders=orders,
        order_lines=lines,
        returns=returns,
        purchase_orders=purchase_orders,
        demand=_demand(model, batches),
        identity_use=use,
    )
