{#- The forecast side of the reorder signals, per SKU and warehouse, for every SKU that has a
    forecast (stg_forecasting__forecasts; empty before the first forecast, then every row of
    fct_reorder_signals falls back to history).

    Intervals, counted in days from the day after the last day of history (horizon day 1):
      lead time L (the supplier's, int_reorder_supply_inputs) and protection interval P = L + R,
      R = inventory_review_period_days. Each horizon day h counts with the part of it inside the
      interval, least(greatest(x - (h - 1), 0), 1), so a lead time of 9.4 days takes 0.4 of day 10.
      Past the forecast horizon, days continue at the mean of the horizon's last 28 days.

    Forecasts are per SKU for the whole business; a warehouse gets its share of it:
      demand_share = the warehouse's recent daily demand rate for the SKU (demand_daily_mean of
                     int_reorder_demand_inputs, stores and FBA counted with the warehouse that
                     stocks them) over the SKU's rate summed across warehouses ('sku'); a SKU
                     without recent demand anywhere (new) splits by the warehouses' shares of all
                     recent demand ('all_skus').

    Variance of the SKU's demand over P: dispersion * (sum of the daily means over P), the
    forecast's own gamma (variance = dispersion x mean per day, days independent); daily
    quantiles are not summed. A warehouse receiving each unit with probability s (binomial
    thinning of the SKU's demand) has
      variance = s * D_P * (1 + s * (dispersion - 1))
    which is dispersion * D_P at s = 1 and Poisson thinning (s * D_P) at dispersion 1.
    The dispersion is capped at inventory_forecast_max_dispersion: the forecasting engine's ratio
    (backtest squared error over summed backtest forecasts) explodes for series the backtest
    forecast at ~0 (up to 1e42 seen); both values are kept. -#}
with

forecasts as (
    select * from {{ ref('stg_forecasting__forecasts') }}
),

supply as (
    select * from {{ ref('int_reorder_supply_inputs') }}
),

demand as (
    select * from {{ ref('int_reorder_demand_inputs') }}
),

forecast_skus as (
    select
        sku,
        max(horizon_day) as horizon_days,
        -- one value per SKU, repeated on each day
        max(dispersion) as dispersion,
        max(series_kind) as series_kind,
        max(forecast_model) as forecast_model,
        max(history_end) as history_end,
        max(forecast_made_at) as forecast_made_at
    from forecasts
    group by sku
),

tail_rates as (
    select
        forecasts.sku,
        avg(forecasts.demand_mean) as daily_mean_past_horizon
    from forecasts
    inner join forecast_skus on forecasts.sku = forecast_skus.sku
    where forecasts.horizon_day > forecast_skus.horizon_days - 28
    group by forecasts.sku
),

intervals as (
    select
        supply.reorder_key,
        supply.sku,
        supply.warehouse_id,
        supply.lead_time_days,
        supply.lead_time_days + {{ var('inventory_review_period_days', 7) }} as protection_days
    from supply
    inner join forecast_skus on supply.sku = forecast_skus.sku
),

interval_sums as (
    select
        intervals.reorder_key,
        sum(
            forecasts.demand_mean
            * least(greatest(intervals.lead_time_days - (forecasts.horizon_day - 1), 0), 1)
        ) as lead_time_sum_in_horizon,
        sum(
            forecasts.demand_mean
            * least(greatest(intervals.protection_days - (forecasts.horizon_day - 1), 0), 1)
        ) as protection_sum_in_horizon
    from intervals
    inner join forecasts on intervals.sku = forecasts.sku
    group by intervals.reorder_key
),

warehouse_rates as (
    select
        supply.reorder_key,
        supply.warehouse_id,
        supply.sku,
        coalesce(demand.demand_daily_mean, 0) as daily_rate
    from supply
    left join demand on supply.reorder_key = demand.reorder_key
),

all_sku_rates as (
    select
        warehouse_id,
        sum(daily_rate) / nullif(sum(sum(daily_rate)) over (), 0) as share_of_all
    from warehouse_rates
    group by warehouse_id
),

sku_rates as (
    select
        reorder_key,
        warehouse_id,
        daily_rate,
        sum(daily_rate) over (partition by sku) as sku_daily_rate
    from warehouse_rates
),

shares as (
    select
        sku_rates.reorder_key,
        case
            when sku_rates.sku_daily_rate > 0 then sku_rates.daily_rate / sku_rates.sku_daily_rate
            else coalesce(all_sku_rates.share_of_all, 0)
        end as demand_share,
        case when sku_rates.sku_daily_rate > 0 then 'sku' else 'all_skus' end as demand_share_basis
    from sku_rates
    left join all_sku_rates on sku_rates.warehouse_id = all_sku_rates.warehouse_id
),

sku_demand as (
    select
        intervals.reorder_key,
        intervals.sku,
        intervals.warehouse_id,
        intervals.protection_days,
        forecast_skus.series_kind,
        forecast_skus.forecast_model,
        forecast_skus.history_end,
        forecast_skus.forecast_made_at,
        forecast_skus.horizon_days,
        forecast_skus.dispersion,
        least(forecast_skus.dispersion, {{ var('inventory_forecast_max_dispersion', 200) }}) as dispersion_applied,
        greatest(intervals.protection_days - forecast_skus.horizon_days, 0) as days_past_horizon,
        interval_sums.lead_time_sum_in_horizon
        + greatest(intervals.lead_time_days - forecast_skus.horizon_days, 0)
        * tail_rates.daily_mean_past_horizon as sku_lead_time_demand,
        interval_sums.protection_sum_in_horizon
        + greatest(intervals.protection_days - forecast_skus.horizon_days, 0)
        * tail_rates.daily_mean_past_horizon as sku_protection_demand
    from intervals
    inner join forecast_skus on intervals.sku = forecast_skus.sku
    inner join tail_rates on intervals.sku = tail_rates.sku
    inner join interval_sums on intervals.reorder_key = interval_sums.reorder_key
),

final as (
    select
        sku_demand.reorder_key,
        sku_demand.sku,
        sku_demand.warehouse_id,
        sku_demand.series_kind as forecast_series_kind,
        sku_demand.forecast_model,
        sku_demand.history_end as forecast_history_end,
        sku_demand.forecast_made_at,
        sku_demand.horizon_days as forecast_horizon_days,
        sku_demand.days_past_horizon as forecast_days_past_horizon,
        sku_demand.dispersion as forecast_dispersion,
        sku_demand.dispersion_applied as forecast_dispersion_applied,
        sku_demand.sku_lead_time_demand as forecast_sku_lead_time_demand,
        sku_demand.sku_protection_demand as forecast_sku_protection_demand,
        shares.demand_share,
        shares.demand_share_basis,
        shares.demand_share * sku_demand.sku_lead_time_demand as forecast_lead_time_demand,
        shares.demand_share * sku_demand.sku_protection_demand as forecast_protection_demand,
        shares.demand_share * sku_demand.sku_protection_demand
        * (1 + shares.demand_share * (sku_demand.dispersion_applied - 1)) as forecast_protection_variance
    from sku_demand
    inner join shares on sku_demand.reorder_key = shares.reorder_key
)

select * from final
