"""What the world derives is kept while it stands still and derived again once it moves."""

from __future__ import annotations

import polars as pl

from ichigen.sandbox.world import World


def test_a_derived_value_is_kept_until_a_table_or_the_clock_changes(world: World) -> None:
    calls: list[int] = []

    def count() -> int:
        calls.append(1)
        return len(calls)

    assert world.derived("probe", count) == 1
    assert world.derived("probe", count) == 1  # kept
    listing = world.tables["listings"].row(0, named=True)
    world.set_listing(listing["channel"], listing["sku"], listing["location_id"], 3)
    assert world.derived("probe", count) == 2  # the listings frame was replaced
    world.advance(days=1)
    assert world.derived("probe", count) == 3  # the clock moved


def test_visible_orders_follow_the_clock_through_the_cache(world: World) -> None:
    before = world.visible_orders("shopify").height
    assert world.visible_orders("shopify") is world.visible_orders("shopify")
    world.advance(days=2)
    after = world.visible_orders("shopify")
    expected = world.tables["orders"].filter(
        (pl.col("channel") == "shopify") & (pl.col("created_at") <= world.now)
    )
    assert after.height == expected.height > before


def test_lines_looked_up_by_order_are_the_lines_a_filter_finds(world: World) -> None:
    lines = world.tables["order_lines"]
    some = [*lines["order_id"].unique(maintain_order=True).head(7).to_list(), "no-such-order"]
    by_filter = lines.filter(pl.col("order_id").is_in(some)).sort("order_id", "line_no")
    assert world.lines_of(some).sort("order_id", "line_no").equals(by_filter)
    assert world.lines_of(["no-such-order"]).is_empty()
    twice = [some[0], some[0]]  # an order asked for twice comes back once, as from a filter
    assert world.lines_of(twice).height == lines.filter(pl.col("order_id") == some[0]).height
    many = lines["order_id"].unique().head(1500).to_list()  # past the index: one filter
    assert world.lines_of(many).height == lines.filter(pl.col("order_id").is_in(many)).height
