{#- How good the forecasts are: the rolling-origin backtest's WAPE and MASE per SKU (scope
    'sku') and over every SKU together (scope 'overall', sku null), each beside seasonal naive
    (the same weekday last week). WAPE = sum |error| / sum actual; MASE = sum |error| / sum of
    the in-sample mean absolute weekly change; wape_improvement = 1 - wape / wape_naive. -#}
with

backtest as (
    select * from {{ ref('stg_forecasting__backtest') }}
),

per_sku as (
    select
        'sku' as scope,
        sku,
        count(*) as points,
        min(origin_date) as first_origin_date,
        max(demand_date) as last_demand_date,
        sum(actual_units) as actual_units,
        sum(forecast_units) as forecast_units,
        sum(abs(actual_units - forecast_units)) as abs_error,
        sum(abs(actual_units - naive_forecast_units)) as abs_error_naive,
        sum(mase_scale) as mase_scale_total,
        arg_max(series_kind, origin_date) as series_kind
    from backtest
    group by sku
),

overall as (
    select
        'overall' as scope,
        cast(null as varchar) as sku,
        count(*) as points,
        min(origin_date) as first_origin_date,
        max(demand_date) as last_demand_date,
        sum(actual_units) as actual_units,
        sum(forecast_units) as forecast_units,
        sum(abs(actual_units - forecast_units)) as abs_error,
        sum(abs(actual_units - naive_forecast_units)) as abs_error_naive,
        sum(mase_scale) as mase_scale_total,
        cast(null as varchar) as series_kind
    from backtest
    having count(*) > 0
),

unioned as (
    select * from per_sku
    union all
    select * from overall
),

final as (
    select
        coalesce(sku, 'overall') as accuracy_key,
        scope,
        sku,
        series_kind,
        points,
        first_origin_date,
        last_demand_date,
        actual_units,
        forecast_units,
        abs_error / nullif(actual_units, 0) as wape,
        abs_error_naive / nullif(actual_units, 0) as wape_naive,
        abs_error / nullif(mase_scale_total, 0) as mase,
        abs_error_naive / nullif(mase_scale_total, 0) as mase_naive,
        1 - abs_error / nullif(abs_error_naive, 0) as wape_improvement
    from unioned
)

select * from final
