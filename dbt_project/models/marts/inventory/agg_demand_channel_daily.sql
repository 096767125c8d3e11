{#- fct_demand_daily summed over locations: units sold, estimated lost and estimated demand per
    SKU, channel and JST day, with the SKU-location days out of stock behind them. The grain of
    the app's Demand and Overview pages, which never ask for a location: half the rows of
    fct_demand_daily (every store and warehouse holds its own series), stored in date order for
    the same reason. -#}
with

demand as (
    select * from {{ ref('fct_demand_daily') }}
),

final as (
    select
        demand_date,
        sku,
        channel,
        cast(sum(units_sold) as bigint) as units_sold,
        sum(lost_units_estimated) as lost_units_estimated,
        sum(demand_units_estimated) as demand_units_estimated,
        count(*) filter (where is_stockout_day) as stockout_days
    from demand
    group by demand_date, sku, channel
)

select * from final
order by demand_date
