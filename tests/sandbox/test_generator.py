"""The simulated business: deterministic, internally consistent, and as messy as real channels."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from ichigen.sandbox.generator import generate
from ichigen.sandbox.schema import TABLES, TRUTH_TABLES
from ichigen.sandbox.world import World


@pytest.fixture(scope="module")
def tables(sandbox_dir: Path) -> dict[str, pl.DataFrame]:
    return World.load(sandbox_dir / "world").tables


@pytest.fixture(scope="module")
def truth(sandbox_dir: Path) -> dict[str, pl.DataFrame]:
    return {
        name: pl.read_parquet(sandbox_dir / "truth" / f"{name}.parquet") for name in TRUTH_TABLES
    }


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_the_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    generate(tmp_path / "a", scale="small", days=21, seed=3)
    generate(tmp_path / "b", scale="small", days=21, seed=3)
    generate(tmp_path / "c", scale="small", days=21, seed=4)
    first, again, other = (_files(tmp_path / x) for x in "abc")
    assert set(first) == {f"world/{t}.parquet" for t in TABLES} | {
        f"truth/{t}.parquet" for t in TRUTH_TABLES
    } | {"world/manifest.json"}
    assert first == again
    assert first["world/orders.parquet"] != other["world/orders.parquet"]


def test_too_short_a_period_or_an_unknown_scale_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 7 days"):
        generate(tmp_path, days=3)
    with pytest.raises(ValueError, match="choose one of large, small"):
        generate(tmp_path, scale="huge")


def test_keys_are_unique_and_every_line_belongs_to_an_order(
    tables: dict[str, pl.DataFrame],
) -> None:
    orders, lines = tables["orders"], tables["order_lines"]
    assert orders["order_id"].is_unique().all()
    assert orders.select("channel", "channel_order_id").is_unique().all()
    assert lines.select("order_id", "line_no").is_unique().all()
    assert lines.join(orders, on="order_id", how="anti").is_empty()
    assert tables["identities"]["identity_id"].is_unique().all()
    assert (
        orders.join(tables["identities"], on="identity_id", how="anti")["identity_id"].null_count()
        == orders.join(tables["identities"], on="identity_id", how="anti").height
    )
    assert set(lines["sku"]) <= set(tables["skus"]["sku"])


def test_order_totals_add_up_from_their_lines(tables: dict[str, pl.DataFrame]) -> None:
    sums = (
        tables["order_lines"]
        .group_by("order_id")
        .agg(
            (pl.col("unit_price_jpy") * pl.col("quantity")).sum().alias("lines_subtotal"),
            pl.col("discount_jpy").sum().alias("lines_discount"),
        )
    )
    checked = tables["orders"].join(sums, on="order_id")
    assert checked.height == tables["orders"].height
    assert (checked["subtotal_jpy"] == checked["lines_subtotal"]).all()
    assert (checked["discount_jpy"] == checked["lines_discount"]).all()
    total = checked["subtotal_jpy"] - checked["discount_jpy"] + checked["shipping_jpy"]
    assert (checked["total_jpy"] == total).all()
    assert (checked["tax_jpy"] == checked["total_jpy"] * 10 // 110).all()
    assert checked.filter(pl.col("promo_code").is_not_null()).height > 0


def test_returns_never_exceed_what_was_bought_or_paid(tables: dict[str, pl.DataFrame]) -> None:
    returns = tables["returns"].join(tables["order_lines"], on=["order_id", "line_no", "sku"])
    assert returns.height == tables["returns"].height > 0
    assert (returns["quantity"] <= returns["quantity_right"]).all()
    paid = returns["unit_price_jpy"] * returns["quantity_right"] - returns["discount_jpy"]
    assert (returns["refund_jpy"] <= paid).all()
    assert (returns["refunded_at"] > returns["requested_at"]).all()
    rates = returns.group_by("reason").len()
    assert rates.height >= 4, "several reasons, not one"


def test_lifecycles_at_the_clock_show_every_stage(
    tables: dict[str, pl.DataFrame], sandbox_dir: Path
) -> None:
    now = World.load(sandbox_dir / "world").now
    orders = tables["orders"].filter(pl.col("created_at") <= now)
    awaiting_payment = orders.filter(
        pl.col("cancelled_at").is_null() & (pl.col("paid_at").is_null() | (pl.col("paid_at") > now))
    )
    assert awaiting_payment.height > 0
    assert orders.filter(pl.col("cancelled_at") <= now).height > 0
    assert orders.filter(pl.col("delivered_at") <= now).height > 0
    assert orders.filter(pl.col("shipped_at") > now).height > 0, "some still to ship"
    assert set(orders["channel"]) == {"shopify", "amazon", "rakuten", "pos", "wholesale"}


def test_one_person_buys_on_several_channels_under_different_identities(
    tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    linked = truth["identities"].join(tables["identities"], on="identity_id")
    assert linked.height == tables["identities"].height, "every identity has its person"
    per_person = linked.group_by("person_id").agg(pl.col("channel").n_unique().alias("channels"))
    assert per_person.filter(pl.col("channels") >= 2).height > 100
    amazon = linked.filter(pl.col("channel") == "amazon")["email"]
    assert amazon.str.ends_with("@marketplace.amazon.co.jp").all()
    phones = linked["phone"].drop_nulls()
    assert phones.str.starts_with("+81").any() and phones.str.contains(r"^0\d0-\d{4}-\d{4}$").any()
    shopify = linked.filter(pl.col("channel") == "shopify").join(truth["persons"], on="person_id")
    assert (shopify["email"] != shopify["email_right"]).any(), "some typed their e-mail otherwise"
    assert (shopify["email"].str.to_lowercase() == shopify["email_right"]).mean() > 0.7  # type: ignore[operator]
    assert linked.filter(pl.col("channel") == "wholesale")["company"].null_count() == 0


def test_amazon_sells_through_fba_and_about_a_third_merchant_fulfilled_from_tokyo(
    tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    amazon = tables["orders"].filter(pl.col("channel") == "amazon")
    assert set(amazon["location_id"]) == {"FBA-JP", "WH-TOKYO"}
    assert 0.2 < (amazon["location_id"] == "WH-TOKYO").mean() < 0.45  # type: ignore[operator]
    listed = tables["listings"].filter(
        (pl.col("channel") == "amazon") & (pl.col("location_id") == "WH-TOKYO")
    )
    mfn_skus = tables["order_lines"].join(
        amazon.filter(pl.col("location_id") == "WH-TOKYO"), on="order_id"
    )["sku"]
    assert mfn_skus.is_in(listed["sku"].implode()).all(), "MFN sells only what Amazon lists"
    # the address form's phone, as the buyer typed it, is the person's own
    buyers = (
        tables["identities"]
        .filter(pl.col("channel") == "amazon")
        .join(truth["identities"], on="identity_id")
        .join(truth["persons"], on="person_id")
    )
    digits = buyers["phone"].str.normalize("NFKC").str.replace_all(r"\D", "")
    national = buyers["phone_e164"].str.replace(r"^\+81", "0")
    assert ((digits == national) | ("+81" + digits.str.slice(2) == buyers["phone_e164"])).all()


def test_true_demand_covers_every_sale_and_stockouts_lose_some(
    tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    demand = truth["demand"]
    assert demand["sold_units"].sum() == tables["order_lines"]["quantity"].sum()
    assert (demand["lost_units"] >= 0).all() and demand["lost_units"].sum() > 0
    assert (demand["demand_units"] == demand["sold_units"] + demand["lost_units"]).all()


def test_stock_is_never_negative_and_the_truth_agrees(
    tables: dict[str, pl.DataFrame], truth: dict[str, pl.DataFrame]
) -> None:
    stock = tables["inventory"]
    assert (stock["on_hand"] >= 0).all()
    assert stock.select("sku", "location_id").is_unique().all()
    assert truth["stock"].sort("location_id", "sku").equals(stock.sort("location_id", "sku"))
    kinds = set(tables["locations"]["kind"])
    assert kinds == {"warehouse", "store", "fba"}
    assert (tables["locations"]["kind"] == "store").sum() >= 3


def test_nothing_sells_before_its_launch(tables: dict[str, pl.DataFrame]) -> None:
    sold = (
        tables["order_lines"]
        .join(tables["orders"].select("order_id", "created_at"), on="order_id")
        .join(tables["skus"].select("sku", "launched_on"), on="sku")
    )
    day = sold["created_at"].dt.convert_time_zone("Asia/Tokyo").dt.date()
    assert (day >= sold["launched_on"]).all()


def test_advancing_the_clock_trades_on_and_continues_every_sequence(world: World) -> None:
    before = {name: world.tables[name].height for name in ("orders", "order_lines")}
    start = world.now
    result = world.advance(days=5)
    assert world.now == start + timedelta(days=5)
    orders = world.tables["orders"]
    assert result.orders_created == orders.height - before["orders"] > 0
    assert orders["order_id"].is_unique().all()
    assert orders.select("channel", "channel_order_id").is_unique().all()
    new = orders.filter(pl.col("created_at") > start)
    assert new.height == result.orders_created and (new["created_at"] <= world.now).all()
    assert (
        new.join(world.tables["identities"], on="identity_id", how="anti")[
            "identity_id"
        ].null_count()
        == new.join(world.tables["identities"], on="identity_id", how="anti").height
    )
    assert (world.tables["inventory"]["on_hand"] >= 0).all()
    assert result.units_sold > 0
