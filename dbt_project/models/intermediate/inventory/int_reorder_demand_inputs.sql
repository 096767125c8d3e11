{#- The demand side of the reorder signals, per SKU and the warehouse whose purchase orders
    stock it (its own shelves plus the stores and FBA it tops up): mean and standard deviation
    of daily demand (sold + estimated lost) over the last inventory_demand_window_days days,
    counted from the SKU's first sale there when that is later. fct_reorder_signals uses it where
    the SKU has no forecast yet, and int_reorder_forecast_inputs splits a SKU's forecast across
    warehouses by these daily means. -#}
with

demand as (
    select * from {{ ref('fct_demand_daily') }}
),

locations as (
    select * from {{ ref('inventory_locations') }}
),

bounds as (
    select
        max(demand_date) as last_date,
        max(demand_date) - {{ var('inventory_demand_window_days', 56) }} + 1 as window_start
    from demand
),

served_daily as (
    select
        demand.sku,
        coalesce(locations.replenished_from, demand.location_id) as warehouse_id,
        demand.demand_date,
        sum(demand.units_sold) as units_sold,
        sum(demand.lost_units_estimated) as lost_units_estimated,
        sum(demand.demand_units_estimated) as demand_units
    from demand
    inner join locations on demand.location_id = locations.location_id
    cross join bounds
    where demand.demand_date >= bounds.window_start
    group by demand.sku, coalesce(locations.replenished_from, demand.location_id), demand.demand_date
),

final as (
    select
        served_daily.warehouse_id || ':' || served_daily.sku as reorder_key,
        served_daily.sku,
        served_daily.warehouse_id,
        min(served_daily.demand_date) as window_start,
        max(bounds.last_date) as window_end,
        count(*) as window_days,
        sum(served_daily.units_sold) as window_units_sold,
        sum(served_daily.lost_units_estimated) as window_lost_units_estimated,
        avg(served_daily.demand_units) as demand_daily_mean,
        coalesce(stddev_samp(served_daily.demand_units), 0) as demand_daily_sd,
        'history' as demand_basis
    from served_daily
    cross join bounds
    group by served_daily.sku, served_daily.warehouse_id
)

select * from final
