{#- The demand forecast per SKU and day for the weeks after the last day of history: the mean
    (what to expect) and quantiles (what to hold stock for), with the model that produced it
    and how much history it had: a 'new' SKU is its category's profile, scaled. -#}
with

forecasts as (
    select * from {{ ref('stg_forecasting__forecasts') }}
),

final as (
    select
        forecast_key,
        sku,
        category,
        forecast_date,
        horizon_day,
        demand_mean,
        demand_p50,
        demand_p80,
        demand_p90,
        demand_p95,
        series_kind,
        forecast_model,
        history_days,
        dispersion,
        history_end,
        forecast_made_at
    from forecasts
)

select * from final
