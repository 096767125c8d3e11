"""The Customers page's two aggregate views, as SQL over a published snapshot's marts.

The app runs them for a channel selection (`$channels`, a list; empty means every channel).
Publishing a snapshot also runs them for every channel together and for each channel alone, and
keeps the answers as tables (`KEPT_VIEWS`, a `selection` column saying which: `selection_key`).
Those are the page's default view and the selections a marketer makes most; computing one
aggregates every order with its customer, 497 of the page's 660 ms at the large tier
(benchmarks/app_queries.py). One text serves both, so a kept answer cannot drift from what a
selection computes; a selection of two or more channels runs it live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

__all__ = [
    "CHANNEL_MIX",
    "COHORTS",
    "CUSTOMER_ORDERS",
    "KEPT_VIEWS",
    "NEEDS",
    "kept_selections",
    "selection_key",
]

# Orders that count (not cancelled) with their customer, in the channels chosen.
CUSTOMER_ORDERS: Final = """
    customer_orders as (
        select m.customer_id, o.order_key, o.channel, o.business_date, o.net_jpy
        from fct_orders as o
        inner join map_customer_identities as m on o.identity_key = m.identity_key
        where o.order_status <> 'cancelled'
            and (len($channels) = 0 or list_contains($channels, o.channel))
    )
"""

# Customers, repeat customers and orders per set of channels customers ordered through.
CHANNEL_MIX: Final = f"""
    with {CUSTOMER_ORDERS},
    per_customer as (
        select
            customer_id,
            count(*) as orders,
            string_agg(distinct channel, ' + ' order by channel) as channel_mix
        from customer_orders
        group by customer_id
    )
    select
        channel_mix,
        count(*) as customers,
        count(*) filter (where orders >= 2) as repeat_customers,
        sum(orders) as orders
    from per_customer
    group by channel_mix
"""

# Customers by month of first order, and how many ordered again n months later.
COHORTS: Final = f"""
    with {CUSTOMER_ORDERS},
    firsts as (
        select customer_id, date_trunc('month', min(business_date))::date as cohort
        from customer_orders group by customer_id
    ),
    activity as (
        select distinct
            f.customer_id,
            f.cohort,
            date_diff('month', f.cohort, date_trunc('month', c.business_date)::date)
                as months_after
        from customer_orders as c
        inner join firsts as f using (customer_id)
    )
    select
        cohort,
        months_after,
        count(*) as customers,
        count(*) / first(count(*)) over (
            partition by cohort order by months_after
        ) as retention
    from activity
    group by cohort, months_after
"""

# The tables a snapshot keeps with every channel's answer, and the marts they are made from.
KEPT_VIEWS: Final = {"agg_customer_channel_mix": CHANNEL_MIX, "agg_customer_cohorts": COHORTS}
NEEDS: Final = frozenset({"fct_orders", "map_customer_identities"})


def kept_selections(channels: Sequence[str]) -> list[list[str]]:
    """The selections a snapshot keeps answers for: every channel (empty), and each alone."""
    return [[], *([channel] for channel in channels)]


def selection_key(channels: Sequence[str] | None) -> str | None:
    """The `selection` a kept answer is filed under, or None when none is kept for it."""
    chosen = sorted(set(channels or []))
    return chosen[0] if len(chosen) == 1 else "" if not chosen else None
