{#- The forecasting asset writes forecasts.parquet after dbt has built fct_demand_daily, so the
    very first build runs before the file exists: then this view is empty, with its columns. -#}
{%- set landed = true -%}
{%- if execute and run_query is defined -%}
    {%- set path = var('data_dir', env_var('ICHIGEN_DATA_DIR', '../data')) ~ '/forecasts/forecasts.parquet' -%}
    {%- set missing = run_query("select count(*) = 0 from glob('" ~ path ~ "')").columns[0].values()[0] -%}
    {%- set landed = not missing -%}
{%- endif %}
with

source as (
    {% if landed -%}
        select * from {{ source('forecasting', 'forecasts') }}
    {%- else -%}
        select
            cast(null as varchar) as sku,
            cast(null as varchar) as category,
            cast(null as date) as forecast_date,
            cast(null as integer) as horizon_day,
            cast(null as double) as mean,
            cast(null as double) as q50,
            cast(null as double) as q80,
            cast(null as double) as q90,
            cast(null as double) as q95,
            cast(null as varchar) as series_kind,
            cast(null as varchar) as forecast_model,
            cast(null as integer) as history_days,
            cast(null as double) as dispersion,
            cast(null as timestamptz) as forecast_made_at,
            cast(null as date) as history_end
        where false
    {%- endif %}
),

renamed as (
    select
        concat_ws(':', sku, cast(forecast_date as varchar)) as forecast_key,
        sku,
        category,
        cast(forecast_date as date) as forecast_date,
        cast(horizon_day as integer) as horizon_day,
        mean as demand_mean,
        q50 as demand_p50,
        q80 as demand_p80,
        q90 as demand_p90,
        q95 as demand_p95,
        series_kind,
        forecast_model,
        cast(history_days as integer) as history_days,
        dispersion,
        cast(history_end as date) as history_end,
        forecast_made_at
    from source
)

select * from renamed

-- sqlfluff:ignore:templating
