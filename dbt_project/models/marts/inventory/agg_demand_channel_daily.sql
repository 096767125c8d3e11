{#- fct_demand_daily summed over locations: units sold, estimated lost and estimated demand per
    SKU, channel and JST day, with the SKU-location days out of stock behind them. The grain of
    the app's Demand and Overview pages, which never ask for a location: half the rows of
    fct_demand_daily (every store and warehouse holds its own series), stored in date order for
    the same reason.

    Incremental: pre-hooks forget each SKU's rows from the first day of the demand rows built
    since (fct_demand_daily's `_built_at`), and the SKUs without demand; the build sums each
    SKU from the day after its last kept row. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="append",
        pre_hook="{{ demand_channel_daily_forget_changed() }}",
    )
}}

with

demand as (
    select * from {{ ref('fct_demand_daily') }}
),

kept as (
    {%- if is_incremental() %}
        select
            sku,
            max(demand_date) + 1 as build_from
        from {{ this }}
        group by sku
    {%- else %}
        select
            cast(null as varchar) as sku,
            cast(null as date) as build_from
        where false
    {%- endif %}
),

final as (
    select
        demand.demand_date,
        demand.sku,
        demand.channel,
        cast(sum(demand.units_sold) as bigint) as units_sold,
        sum(demand.lost_units_estimated) as lost_units_estimated,
        sum(demand.demand_units_estimated) as demand_units_estimated,
        count(*) filter (where demand.is_stockout_day) as stockout_days,
        {{ build_started_at() }} as _built_at
    from demand
    left join kept on demand.sku = kept.sku
    where demand.demand_date >= coalesce(kept.build_from, date '0001-01-01')
    group by demand.demand_date, demand.sku, demand.channel
)

select * from final
order by demand_date
