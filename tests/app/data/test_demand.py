"""The Demand page's queries answer as a plain join of the demand with the products would."""

from __future__ import annotations

from pathlib import Path

import pytest

from ichigen.app.data import connection, demand
from ichigen.app.snapshot import current_snapshot


def test_the_demand_queries_answer_as_a_plain_join_with_the_products_would(
    built_data_dir: Path,
) -> None:
    # the page's queries read the rollup over locations, filter categories through a semi-join
    # and derive the weekday profile from the daily totals: check them against fct_demand_daily
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    bounds = connection.date_bounds(snap, "agg_demand_channel_daily")
    assert bounds is not None
    start, end = bounds
    category = connection.categories(snap)[0]
    for categories in ([], [category]):
        params = {"categories": categories, "start": start, "end": end}
        where = """
            (len($categories) = 0 or list_contains($categories, p.category))
            and d.demand_date between $start and $end
        """
        expected_sellers = connection._frame(
            snap,
            f"""
            select d.sku, any_value(p.title) as title, any_value(p.category) as category,
                sum(d.units_sold) as units_sold,
                count(*) filter (where d.is_stockout_day) as stockout_days
            from fct_demand_daily as d left join dim_products as p using (sku)
            where {where} group by d.sku order by units_sold desc, d.sku
            """,
            params,
        )
        sellers = demand.demand_sellers(
            snap, channels=None, categories=categories, start=start, end=end
        )
        assert sellers.height > 0
        assert sellers.select(expected_sellers.columns).equals(expected_sellers)
        expected_weekday = connection._frame(
            snap,
            f"""
            with daily as (
                select d.demand_date, sum(d.units_sold) as units
                from fct_demand_daily as d left join dim_products as p using (sku)
                where {where} group by d.demand_date
            )
            select isodow(demand_date) as weekday_number, avg(units) as avg_units_sold
            from daily group by 1 order by 1
            """,
            params,
        )
        weekday = demand.demand_weekday(
            snap, channels=None, categories=categories, sku="", start=start, end=end
        )
        assert weekday["weekday_number"].to_list() == expected_weekday["weekday_number"].to_list()
        assert weekday["avg_units_sold"].to_list() == pytest.approx(
            expected_weekday["avg_units_sold"].to_list()
        )
        names = dict(zip(weekday["weekday_number"], weekday["weekday"], strict=True))
        assert names.get(1, "Mon") == "Mon" and names.get(7, "Sun") == "Sun"
