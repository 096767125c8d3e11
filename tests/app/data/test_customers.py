"""The Customers page's queries: the answers a snapshot keeps equal the live queries, and each
identity shows the orders placed under it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ichigen.app.data import connection, customers
from ichigen.app.snapshot import current_snapshot
from ichigen.customer_views import CHANNEL_MIX, COHORTS


def test_the_customer_views_a_snapshot_keeps_equal_the_live_queries(built_data_dir: Path) -> None:
    # the Customers page reads them for every channel and for one alone; a selection of several
    # channels runs the query itself
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    assert {"agg_customer_channel_mix", "agg_customer_cohorts"} <= connection.tables(snap)
    every = connection.channels(snap)
    assert len(every) >= 2
    with duckdb.connect(snap.path, read_only=True) as con:
        for name, view, sql, key in (
            ("mix", customers.customer_summary, CHANNEL_MIX, ["channel_mix"]),
            ("cohorts", customers.cohorts, COHORTS, ["cohort", "months_after"]),
        ):
            for selection in ([], *([channel] for channel in every)):
                kept = view(snap, channels=selection).sort(key)
                live = pl.from_arrow(con.sql(sql, params={"channels": selection}).to_arrow_table())
                assert isinstance(live, pl.DataFrame)
                assert kept.height >= 1, (name, selection)
                assert kept.equals(live.sort(key)), (name, selection, kept, live)
            # several channels: the same query, live
            several = view(snap, channels=every).sort(key)
            assert several.equals(view(snap, channels=None).sort(key)), name


def test_each_identity_shows_the_orders_placed_under_it(built_data_dir: Path) -> None:
    # map_customer_identities counts them in the build; the page once counted fct_orders live
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    customer = customers.customer_on_several_channels(snap, channels=None)
    assert customer is not None
    identities = customers.customer_identities(snap, customer)
    assert identities.height >= 2
    counted = connection._frame(
        snap,
        """
        select m.identity_key, count(o.order_key) as orders
        from map_customer_identities as m
        left join fct_orders as o on o.identity_key = m.identity_key
        where m.customer_id = $customer_id
        group by m.identity_key
        """,
        {"customer_id": customer},
    )
    assert dict(zip(identities["identity_key"], identities["orders"], strict=True)) == dict(
        zip(counted["identity_key"], counted["orders"], strict=True)
    )
    assert identities["orders"].sum() > 0
