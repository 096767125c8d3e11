"""Shopify customers: the world's identities of channel ``shopify`` with their order stats.

A customer appears once the identity exists by the clock; ``updated_at`` moves with each new
order, as Shopify's does, and ``orders_count``/``total_spent`` count visible orders (net of
refunds, paid ones only for the amount).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.shopify.format import (
    CURRENCY,
    address,
    gid,
    money,
    synthetic_id,
    timestamp,
)
from ichigen.sandbox.simulators.shopify.orders import (
    epoch,
    id_filters,
    order_frame,
    shopify_id,
    time_filter,
)
from ichigen.sandbox.world import World

__all__ = ["CUSTOMER_FILTERS", "customer_frame", "customer_json", "filter_customers"]

CUSTOMER_FILTERS: Final = (
    "ids",
    "since_id",
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
)


def customer_frame(world: World, identity_ids: Iterable[str] | None = None) -> pl.DataFrame:
    """Shopify customers (identities of the shop) known by the clock, with their order stats.

    All of them are derived once per state of the world (`World.derived`); `identity_ids`
    picks some.
    """
    frame = world.derived("shopify:customers", lambda: _customer_frame(world))
    if identity_ids is None:
        return frame
    return frame.filter(pl.col("identity_id").is_in(list(identity_ids)))


def _customer_frame(world: World) -> pl.DataFrame:
    identities = world.tables["identities"].filter(
        (pl.col("channel") == "shopify") & (pl.col("created_at") <= world.now)
    )
    orders = order_frame(world).filter(pl.col("identity_id").is_not_null())
    stats = orders.group_by("identity_id").agg(
        pl.len().cast(pl.Int64).alias("orders_count"),
        pl.when(pl.col("paid_at").is_not_null())
        .then(pl.col("total_jpy") - pl.col("refunded_jpy"))
        .otherwise(0)
        .sum()
        .alias("total_spent_jpy"),
        pl.col("created_at").max().alias("last_order_at"),
        pl.col("id").sort_by("created_at").last().alias("last_order_id"),
        pl.col("order_name").sort_by("created_at").last().alias("last_order_name"),
    )
    frame = identities.join(stats, on="identity_id", how="left").with_columns(
        pl.col("orders_count").fill_null(0),
        pl.col("total_spent_jpy").fill_null(0),
        pl.max_horizontal("created_at", "last_order_at").alias("updated_at"),
    )
    ids = [shopify_id(raw, "customer") for raw in frame["channel_customer_id"].to_list()]
    return frame.with_columns(
        pl.Series("id", ids, dtype=pl.Int64),
    ).with_columns(
        pl.col("id").alias("_k_id"),
        epoch("updated_at").alias("_k_updated"),
    )


def _customer_address(row: dict[str, Any], customer_id: int) -> dict[str, Any]:
    body = address(
        first_name=row["given_name"],
        last_name=row["family_name"],
        address1=row["address1"],
        city=row["city"],
        prefecture=row["prefecture"],
        zip_code=row["postal_code"],
        phone=row["phone"],
        company=row["company"],
    )
    body.pop("latitude")
    body.pop("longitude")
    return {
        "id": synthetic_id("address", row["identity_id"]),
        "customer_id": customer_id,
        **body,
        "country_name": "Japan",
        "default": True,
    }


def customer_json(row: dict[str, Any], *, embedded: bool = False) -> dict[str, Any]:
    """A Shopify Customer; `embedded` drops what Shopify leaves out of order.customer."""
    customer_id = int(row["id"])
    default_address = _customer_address(row, customer_id)
    consent_state = "subscribed" if row["accepts_marketing"] else "not_subscribed"
    body: dict[str, Any] = {
        "id": customer_id,
        "email": row["email"],
        "created_at": timestamp(row["created_at"]),
        "updated_at": timestamp(row["updated_at"]),
        "first_name": row["given_name"],
        "last_name": row["family_name"],
        "orders_count": int(row["orders_count"]),
        "state": "enabled",
        "total_spent": money(int(row["total_spent_jpy"])),
        "last_order_id": row["last_order_id"],
        "note": None,
        "verified_email": True,
        "multipass_identifier": None,
        "tax_exempt": False,
        "tags": "",
        "last_order_name": row["last_order_name"],
        "currency": CURRENCY,
        "phone": row["phone"],
        "addresses": [default_address],
        "tax_exemptions": [],
        "email_marketing_consent": {
            "state": consent_state,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": timestamp(row["created_at"])
            if row["accepts_marketing"]
            else None,
        },
        "sms_marketing_consent": None,
        "admin_graphql_api_id": gid("Customer", customer_id),
        "default_address": default_address,
    }
    if embedded:
        for name in (
            "orders_count",
            "total_spent",
            "last_order_id",
            "last_order_name",
            "addresses",
        ):
            body.pop(name)
    return body


def filter_customers(frame: pl.DataFrame, filters: dict[str, str]) -> pl.DataFrame:
    conditions: list[pl.Expr] = []
    for column in ("created_at", "updated_at"):
        if (low := filters.get(f"{column}_min")) is not None:
            conditions.append(pl.col(column) >= time_filter(f"{column}_min", low))
        if (high := filters.get(f"{column}_max")) is not None:
            conditions.append(pl.col(column) <= time_filter(f"{column}_max", high))
    conditions.extend(id_filters(filters))
    return frame.filter(*conditions) if conditions else frame
