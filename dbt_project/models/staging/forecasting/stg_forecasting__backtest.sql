{#- Empty, with its columns, until the forecasting asset has written backtest.parquet. -#}
{%- set landed = true -%}
{%- if execute and run_query is defined -%}
    {%- set path = var('data_dir', env_var('ICHIGEN_DATA_DIR', '../data')) ~ '/forecasts/backtest.parquet' -%}
    {%- set missing = run_query("select count(*) = 0 from glob('" ~ path ~ "')").columns[0].values()[0] -%}
    {%- set landed = not missing -%}
{%- endif %}
with

source as (
    {% if landed -%}
        select * from {{ source('forecasting', 'backtest') }}
    {%- else -%}
        select
            cast(null as varchar) as sku,
            cast(null as varchar) as category,
            cast(null as date) as origin_date,
            cast(null as date) as demand_date,
            cast(null as integer) as horizon_day,
            cast(null as double) as actual,
            cast(null as double) as forecast,
            cast(null as double) as naive_forecast,
            cast(null as double) as mase_scale,
            cast(null as varchar) as series_kind,
            cast(null as varchar) as forecast_model,
            cast(null as timestamptz) as forecast_made_at,
            cast(null as date) as history_end
        where false
    {%- endif %}
),

renamed as (
    select
        concat_ws(':', sku, cast(origin_date as varchar), cast(demand_date as varchar)) as backtest_key,
        sku,
        category,
        cast(origin_date as date) as origin_date,
        cast(demand_date as date) as demand_date,
        cast(horizon_day as integer) as horizon_day,
        actual as actual_units,
        forecast as forecast_units,
        naive_forecast as naive_forecast_units,
        mase_scale,
        series_kind,
        forecast_model,
        forecast_made_at
    from source
)

select * from renamed

-- sqlfluff:ignore:templating
