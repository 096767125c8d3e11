"""Stock and listings as tables at a given instant, and back into simulation state.

The day-step model takes units off the shelf when an order is placed; physically they leave
when the order ships. So the warehouse's on-hand at an instant is the model's stock plus the
units of orders placed but not yet shipped (and not to be cancelled, whose units the model
already gave back). Live trading converts in both directions with these functions.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.sandbox.generator.clock import DAY_US, JST_OFFSET_US
from ichigen.sandbox.generator.model import Model
from ichigen.sandbox.schema import INVENTORY, LISTINGS

__all__ = [
    "by_hand_from",
    "inventory_frame",
    "listings_frame",
    "matrix_from",
    "unshipped_units",
]

IntArray = npt.NDArray[np.int64]


def _index(model: Model) -> tuple[pl.DataFrame, pl.DataFrame]:
    skus = pl.DataFrame({"sku": model.cat.skus["sku"], "_s": np.arange(model.n_sku)})
    locs = pl.DataFrame({"location_id": list(model.location_ids), "_l": np.arange(model.n_loc)})
    return skus, locs


def unshipped_units(model: Model, tables: dict[str, pl.DataFrame], at: datetime) -> IntArray:
    """(location, sku): units of orders placed by `at` that have not shipped by `at`."""
    orders = tables["orders"].filter(
        (pl.col("created_at") <= at)
        & pl.col("cancelled_at").is_null()
        & (pl.col("shipped_at") > at)
    )
    lines = (
        tables["order_lines"]
        .join(orders.select("order_id", "location_id"), on="order_id")
        .group_by("location_id", "sku")
        .agg(pl.col("quantity").sum())
    )
    return matrix_from(model, lines, "quantity")


def matrix_from(model: Model, frame: pl.DataFrame, column: str) -> IntArray:
    """A (location, sku) matrix from a frame with location_id, sku and `column`."""
    skus, locs = _index(model)
    keyed = frame.join(skus, on="sku").join(locs, on="location_id")
    out = np.zeros((model.n_loc, model.n_sku), dtype=np.int64)
    np.add.at(out, (keyed["_l"].to_numpy(), keyed["_s"].to_numpy()), keyed[column].to_numpy())
    return out


def _stocked(model: Model) -> npt.NDArray[np.bool_]:
    """Which (location, sku) the warehouse system keeps a row for."""
    stocked = np.zeros((model.n_loc, model.n_sku), dtype=bool)
    stocked[model.warehouses] = True
    stocked[model.fba] = model.cat.carried[1]
    stocked[model.stores] = model.cat.in_store[model.stores]
    return stocked


def inventory_frame(model: Model, on_hand: IntArray) -> pl.DataFrame:
    keep = _stocked(model) | (on_hand != 0)
    loc, sku = np.nonzero(keep)
    return pl.DataFrame(
        {
            "sku": model.cat.skus["sku"].gather(sku),
            "location_id": pl.Series(model.location_ids).gather(loc),
            "on_hand": on_hand[loc, sku],
        },
        schema=INVENTORY,
    ).sort("location_id", "sku")


def listings_frame(model: Model, listing: IntArray, stamp: IntArray, day: int) -> pl.DataFrame:
    """What each channel offers: carried SKUs that have launched or still list something."""
    launched = model.cat.launch_day <= day
    frames = []
    for p in range(model.pair_channel.size):
        keep = model.pair_carry[p] & (launched | (listing[p] > 0))
        sku = np.flatnonzero(keep)
        frames.append(
            pl.DataFrame(
                {
                    "channel": ["shopify", "amazon", "rakuten"][int(model.pair_channel[p])],
                    "sku": model.cat.skus["sku"].gather(sku),
                    "location_id": model.location_ids[int(model.pair_loc[p])],
                    "quantity": listing[p, sku],
                    "updated_at": pl.Series(stamp[p, sku]).cast(pl.Datetime("us", "UTC")),
                },
                schema=LISTINGS,
            )
        )
    return pl.concat(frames).sort("channel", "location_id", "sku")


def by_hand_from(
    model: Model, listings: pl.DataFrame
) -> tuple[IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Listing quantities, stamps and which are still kept by hand, from the listings table.

    The weekly routine stamps a listing at 23:30 JST; a push through a channel's API happens
    at the world's clock, which always stands on a JST midnight. A listing whose stamp is not
    a routine's has been pushed, and from then on ichigen, not the spreadsheet, keeps it.
    """
    n_pairs = model.pair_channel.size
    quantity = np.zeros((n_pairs, model.n_sku), dtype=np.int64)
    stamp = np.zeros((n_pairs, model.n_sku), dtype=np.int64)
    by_hand = np.ones((n_pairs, model.n_sku), dtype=bool)
    skus, _ = _index(model)
    channels = ["shopify", "amazon", "rakuten"]
    for p in range(n_pairs):
        rows = listings.filter(
            (pl.col("channel") == channels[int(model.pair_channel[p])])
            & (pl.col("location_id") == model.location_ids[int(model.pair_loc[p])])
        ).join(skus, on="sku")
        s = rows["_s"].to_numpy()
        us = rows["updated_at"].dt.epoch("us").to_numpy()
        quantity[p, s] = rows["quantity"].to_numpy()
        stamp[p, s] = us
        minute_of_day = ((us + JST_OFFSET_US) % DAY_US) // 60_000_000
        by_hand[p, s] = minute_of_day == 23 * 60 + 30
    return quantity, stamp, by_hand
