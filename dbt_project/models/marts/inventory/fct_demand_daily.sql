{#- Daily units per SKU, channel and location (JST day), dense from each series' first sale to
    the last day with orders, with lost sales estimated on days the SKU looks out of stock at
    the location:
    - evidence 'snapshot': a stock snapshot taken as the day began showed none there, or
    - evidence 'zero_run': a run of days without a sale that the location's trailing rate makes
      improbable (P = exp(-rate * days) below inventory_stockout_run_probability); a run still
      open at the end counts as well when the latest stock shows none.
    Lost units on such a day = the channel's average daily units over the trailing window
    (inventory_stockout_trailing_days) before the run began. Wholesale is left out of both the
    detection and the estimate (it buys in lumps), and a closed run longer than
    inventory_stockout_max_closed_run_days is taken for a season ending. -#}
with

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

snapshots as (
    select * from {{ ref('stg_stock__snapshots') }}
),

stock as (
    select * from {{ ref('int_stock_levels_unioned') }}
),

lines as (
    select
        order_lines.sku,
        orders.channel,
        orders.location_id,
        cast(timezone('Asia/Tokyo', orders.ordered_at) as date) as demand_date,
        order_lines.quantity,
        orders.cancelled_at is not null as is_cancelled
    from order_lines
    inner join orders on order_lines.order_key = orders.order_key
    where order_lines.sku is not null and orders.location_id is not null
),

daily as (
    select
        sku,
        channel,
        location_id,
        demand_date,
        -- sum() widens to a 128-bit integer; every reader sums these again, slower at that width
        cast(sum(quantity) as bigint) as units_ordered,
        cast(sum(case when is_cancelled then quantity else 0 end) as bigint) as units_cancelled,
        count(*) as order_lines
    from lines
    group by sku, channel, location_id, demand_date
),

bounds as (
    select max(demand_date) as last_date
    from daily
),

series as (
    select
        sku,
        channel,
        location_id,
        min(demand_date) as first_date
    from daily
    group by sku, channel, location_id
),

grid as (
    select
        series.sku,
        series.channel,
        series.location_id,
        cast(calendar.calendar_date as date) as demand_date
    from series
    cross join bounds
    cross join
        unnest(generate_series(series.first_date, bounds.last_date, interval 1 day)) as calendar (calendar_date)
),

dense as (
    select
        grid.sku,
        grid.channel,
        grid.location_id,
        grid.demand_date,
        coalesce(daily.units_ordered, 0) as units_ordered,
        coalesce(daily.units_cancelled, 0) as units_cancelled,
        coalesce(daily.order_lines, 0) as order_lines,
        coalesce(
            avg(coalesce(daily.units_ordered, 0)) over (
                partition by grid.sku, grid.channel, grid.location_id
                order by grid.demand_date
                rows between {{ var('inventory_stockout_trailing_days', 28) }} preceding and 1 preceding
            ),
            0
        ) as channel_trailing_rate
    from grid
    left join daily
        on
            grid.sku = daily.sku
            and grid.channel = daily.channel
            and grid.location_id = daily.location_id
            and grid.demand_date = daily.demand_date
),

location_daily as (
    select
        sku,
        location_id,
        demand_date,
        sum(units_ordered) as units_ordered,
        sum(channel_trailing_rate) as trailing_rate
    from dense
    -- wholesale buys in lumps a few times a month: its quiet days say nothing about the shelf
    where channel <> 'wholesale'
    group by sku, location_id, demand_date
),

location_runs as (
    select
        *,
        sum(case when units_ordered > 0 then 1 else 0 end) over (
            partition by sku, location_id
            order by demand_date
            rows between unbounded preceding and current row
        ) as run_id
    from location_daily
),

zero_runs as (
    select
        sku,
        location_id,
        run_id,
        min(demand_date) as run_start,
        max(demand_date) as run_end,
        count(*) as run_days,
        arg_min(trailing_rate, demand_date) as rate_at_start
    from location_runs
    where units_ordered = 0
    group by sku, location_id, run_id
),

latest_stock as (
    select
        location_id,
        sku,
        on_hand
    from stock
),

flagged_runs as (
    select
        zero_runs.*,
        zero_runs.rate_at_start * zero_runs.run_days
        > -ln({{ var('inventory_stockout_run_probability', 0.001) }}) as is_improbable,
        zero_runs.run_end = bounds.last_date as is_open,
        coalesce(latest_stock.on_hand, 0) = 0 as is_empty_now
    from zero_runs
    cross join bounds
    left join latest_stock
        on zero_runs.location_id = latest_stock.location_id and zero_runs.sku = latest_stock.sku
),

snapshot_empty_days as (
    select distinct
        location_id,
        sku,
        cast(timezone('Asia/Tokyo', snapshot_at) as date) as demand_date
    from snapshots
    where on_hand = 0
),

stockout_days as (
    select
        location_runs.sku,
        location_runs.location_id,
        location_runs.demand_date,
        flagged_runs.run_start,
        case
            when snapshot_empty_days.sku is not null then 'snapshot'
            -- a run still open while the location holds stock is a lull, not a stock-out
            when flagged_runs.is_open and not flagged_runs.is_empty_now then null
            -- a closed run longer than a restock takes is a season ending, not a stock-out
            when
                not flagged_runs.is_open
                and flagged_runs.run_days > {{ var('inventory_stockout_max_closed_run_days', 42) }}
                then null
            when flagged_runs.is_improbable or (flagged_runs.is_open and flagged_runs.rate_at_start > 0) then 'zero_run'
        end as stockout_evidence
    from location_runs
    inner join flagged_runs
        on
            location_runs.sku = flagged_runs.sku
            and location_runs.location_id = flagged_runs.location_id
            and location_runs.run_id = flagged_runs.run_id
    left join snapshot_empty_days
        on
            location_runs.sku = snapshot_empty_days.sku
            and location_runs.location_id = snapshot_empty_days.location_id
            and location_runs.demand_date = snapshot_empty_days.demand_date
    where location_runs.units_ordered = 0
),

rate_at_run_start as (
    select
        stockout_days.sku,
        stockout_days.location_id,
        stockout_days.demand_date,
        stockout_days.stockout_evidence,
        dense.channel,
        dense.channel_trailing_rate as lost_rate
    from stockout_days
    inner join dense
        on
            stockout_days.sku = dense.sku
            and stockout_days.location_id = dense.location_id
            and stockout_days.run_start = dense.demand_date
    where stockout_days.stockout_evidence is not null and dense.channel <> 'wholesale'
),

final as (
    select
        concat_ws(':', cast(dense.demand_date as varchar), dense.channel, dense.location_id, dense.sku)
            as demand_daily_key,
        dense.demand_date,
        dense.sku,
        dense.channel,
        dense.location_id,
        dense.order_lines,
        dense.units_ordered,
        dense.units_cancelled,
        dense.units_ordered - dense.units_cancelled as units_sold,
        rate_at_run_start.stockout_evidence is not null as is_stockout_day,
        rate_at_run_start.stockout_evidence,
        dense.channel_trailing_rate,
        coalesce(rate_at_run_start.lost_rate, 0) as lost_units_estimated,
        dense.units_ordered - dense.units_cancelled
        + coalesce(rate_at_run_start.lost_rate, 0) as demand_units_estimated
    from dense
    left join rate_at_run_start
        on
            dense.sku = rate_at_run_start.sku
            and dense.channel = rate_at_run_start.channel
            and dense.location_id = rate_at_run_start.location_id
            and dense.demand_date = rate_at_run_start.demand_date
)

-- stored in date order: readers ask for a period (the app's last 180 days, the reorder window),
-- and DuckDB's per-row-group min/max then skips the rest (the Demand page's queries took half
-- the time at the large tier)
select * from final
order by demand_date
