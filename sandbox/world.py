"""The live sandbox world that all simulators share in one process.

`World` holds the generated tables (see `sandbox.schema`) and a clock. Simulators read it
through `visible_orders` and friends, which only show what has happened by `World.now`, and
change it through the few mutations a channel or supplier allows (setting a listing's
quantity, placing a purchase order). `advance` moves the clock forward and lets the simulated
business keep trading, so that what ichigen pushes out has a measurable effect.

All access goes through `World.lock`: simulators serve from several threads.

Mutations replace the tables' frames (and the clock) rather than change them, so what is derived
from them (the visible orders, a simulator's order frame, an index of lines by order) is kept
until a table or the clock changes (`World.derived`). A connector asks for a page, or one
order's items, at a time: deriving the frames again for each request made the simulators, not
the clients, the cost of a large world's ingest (a million orders).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from ichigen.sandbox.schema import TABLES

__all__ = ["AdvanceResult", "World", "WorldNotGeneratedError"]

_T = TypeVar("_T")
# Fewer ids than this are looked up in the lines' index; more are one filter over the table.
_INDEXED_LOOKUPS = 1000
# Derived values kept at once: a query's filters name its value, and every pull's differ.
_DERIVED_KEPT = 32

_EVENT_COLUMNS = ("paid_at", "shipped_at", "delivered_at", "cancelled_at", "note_updated_at")


class WorldNotGeneratedError(FileNotFoundError):
    """The sandbox has not been generated yet: run `oms sandbox generate` first."""


@dataclass(frozen=True)
class AdvanceResult:
    """What happened while the clock moved forward."""

    start: datetime
    end: datetime
    orders_created: int
    units_sold: int
    units_lost: int  # demand that found no listed stock on its channel


def _same_state(
    kept: tuple[tuple[pl.DataFrame, ...], datetime], now: tuple[tuple[pl.DataFrame, ...], datetime]
) -> bool:
    frames, clock = kept
    return (
        clock == now[1]
        and len(frames) == len(now[0])
        and all(a is b for a, b in zip(frames, now[0], strict=True))
    )


class World:
    """The generated business plus a clock; shared by every simulator in a process."""

    def __init__(
        self,
        tables: dict[str, pl.DataFrame],
        *,
        now: datetime,
        manifest: dict[str, Any],
        root: Path | None = None,
    ) -> None:
        missing = set(TABLES) - set(tables)
        if missing:
            raise ValueError(f"world is missing tables: {sorted(missing)}")
        self.tables = tables
        self.now = now
        self.manifest = manifest
        self.root = root
        self.lock = threading.RLock()
        # name -> (the tables' frames and the clock it was derived from, the value)
        self._derived: dict[str, tuple[tuple[tuple[pl.DataFrame, ...], datetime], Any]] = {}

    @classmethod
    def load(cls, world_dir: Path) -> World:
        """Load a generated world from ``<data>/sandbox/world``."""
        manifest_path = world_dir / "manifest.json"
        if not manifest_path.exists():
            raise WorldNotGeneratedError(
                f"no sandbox world at {world_dir}: run `oms sandbox generate` first"
            )
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        tables = {
            name: pl.read_parquet(world_dir / f"{name}.parquet").cast(schema)
            for name, schema in TABLES.items()
        }
        now = datetime.fromisoformat(manifest["clock"]).astimezone(UTC)
        return cls(tables, now=now, manifest=manifest, root=world_dir)

    # --- reads -------------------------------------------------------------------------

    def table(self, name: str) -> pl.DataFrame:
        return self.tables[name]

    def derived(self, name: str, compute: Callable[[], _T]) -> _T:
        """`compute()`, kept under `name` until a table's frame or the clock changes.

        The key holds the frames themselves, so an identity test cannot be fooled by a freed
        frame's id being reused. Callers must not change what they get back.
        """
        with self.lock:
            state = (tuple(self.tables.values()), self.now)
            kept = self._derived.get(name)
            if kept is not None and _same_state(kept[0], state):
                return kept[1]  # type: ignore[no-any-return]
            value = compute()
            # what was derived from frames since replaced can never be asked for again
            self._derived = {
                key: kept for key, kept in self._derived.items() if _same_state(kept[0], state)
            }
            self._derived[name] = (state, value)
            while len(self._derived) > _DERIVED_KEPT:  # the least recently derived go first
                del self._derived[next(iter(self._derived))]
            return value

    def visible_orders(self, channel: str) -> pl.DataFrame:
        """A channel's orders as of the clock, with `updated_at` and refunds to date.

        Events after the clock are nulled; `updated_at` is the latest event that has happened,
        including refunds of the order's lines.
        """
        return self.derived(f"visible_orders:{channel}", lambda: self._visible_orders(channel))

    def _visible_orders(self, channel: str) -> pl.DataFrame:
        now = self.now
        orders = self.tables["orders"].filter(
            (pl.col("channel") == channel) & (pl.col("created_at") <= now)
        )
        orders = orders.with_columns(
            [
                pl.when(pl.col(c) <= now).then(pl.col(c)).otherwise(None).alias(c)
                for c in _EVENT_COLUMNS
            ]
        )
        refunds = (
            self.visible_returns()
            .group_by("order_id")
            .agg(pl.col("refunded_at").max().alias("last_refund_at"))
        )
        return (
            orders.join(refunds, on="order_id", how="left")
            .with_columns(
                pl.max_horizontal("created_at", *_EVENT_COLUMNS, "last_refund_at").alias(
                    "updated_at"
                )
            )
            .drop("last_refund_at")
        )

    def visible_returns(self) -> pl.DataFrame:
        """Refunds issued by the clock."""
        return self.derived(
            "visible_returns",
            lambda: self.tables["returns"].filter(pl.col("refunded_at") <= self.now),
        )

    def lines_of(self, order_ids: pl.Series | list[str]) -> pl.DataFrame:
        """The order lines of `order_ids`, in no promised order (callers sort as they need)."""
        ids = pl.Series("order_id", order_ids, dtype=pl.String)
        if len(ids) >= _INDEXED_LOOKUPS:
            return self.tables["order_lines"].filter(pl.col("order_id").is_in(ids.implode()))
        lines, where = self.derived("lines_by_order", self._lines_by_order)
        # each order once, as the filter below the threshold would give it
        spans = [where[i] for i in dict.fromkeys(ids.to_list()) if i in where]
        if not spans:
            return lines.clear()
        return pl.concat([lines.slice(start, length) for start, length in spans])

    def _lines_by_order(self) -> tuple[pl.DataFrame, dict[str, tuple[int, int]]]:
        """The lines grouped by order (a stable sort, so each order's lines keep their order)
        and where each order's run of lines starts and how long it is."""
        lines = self.tables["order_lines"].sort("order_id", maintain_order=True)
        spans = (
            lines.select("order_id")
            .with_row_index("at")
            .group_by("order_id", maintain_order=True)
            .agg(pl.col("at").first(), pl.len())
        )
        where = {
            order_id: (int(at), int(length))
            for order_id, at, length in spans.select("order_id", "at", "len").iter_rows()
        }
        return lines, where

    def listing_quantity(self, channel: str, sku: str, location_id: str) -> int | None:
        hit = self.tables["listings"].filter(
            (pl.col("channel") == channel)
            & (pl.col("sku") == sku)
            & (pl.col("location_id") == location_id)
        )
        return None if hit.is_empty() else int(hit["quantity"][0])

    # --- mutations a channel or supplier allows ------------------------------------------

    def set_listing(self, channel: str, sku: str, location_id: str, quantity: int) -> None:
        """Set the absolute quantity a channel offers (a stock push)."""
        if quantity < 0:
            raise ValueError("a listed quantity cannot be negative")
        with self.lock:
            listings = self.tables["listings"]
            key = (
                (pl.col("channel") == channel)
                & (pl.col("sku") == sku)
                & (pl.col("location_id") == location_id)
            )
            row = pl.DataFrame(
                {
                    "channel": [channel],
                    "sku": [sku],
                    "location_id": [location_id],
                    "quantity": [quantity],
                    "updated_at": [self.now],
                },
                schema=TABLES["listings"],
            )
            self.tables["listings"] = pl.concat([listings.filter(~key), row])

    def touch_order(self, order_id: str, at: datetime) -> None:
        """Record a late edit of an order (a note or address change) made at `at`."""
        with self.lock:
            orders = self.tables["orders"]
            self.tables["orders"] = orders.with_columns(
                pl.when(pl.col("order_id") == order_id)
                .then(pl.lit(at, dtype=orders.schema["note_updated_at"]))
                .otherwise(pl.col("note_updated_at"))
                .alias("note_updated_at")
            )

    def add_purchase_order(self, row: dict[str, Any]) -> None:
        with self.lock:
            frame = pl.DataFrame([row], schema=TABLES["purchase_orders"])
            self.tables["purchase_orders"] = pl.concat([self.tables["purchase_orders"], frame])

    def advance(self, *, days: int) -> AdvanceResult:
        """Let the business trade for `days` more days, selling only what channels list."""
        # The generator owns the demand model. Imported on first use: loading it takes about
        # 0.2 s, which serving a world that never advances need not pay.
        from ichigen.sandbox.generator.live import trade

        with self.lock:
            start = self.now
            result = trade(self.tables, manifest=self.manifest, now=start, days=days)
            self.now = start + timedelta(days=days)
            return AdvanceResult(start=start, end=self.now, **result)
