{#- Per SKU and warehouse: whether to reorder and how much, with every number that produced it.
    Reviewed every R = inventory_review_period_days days, an order placed now must cover the
    protection interval P = L + R (supplier lead time L, from int_reorder_supply_inputs).

    Demand, from one of two sources (demand_source):
      'forecast' (the SKU has a forecast, int_reorder_forecast_inputs): the warehouse's share of
                 the sum of the daily forecast means over L and over P, and the variance over P
                 from the forecast's dispersion;
      'history'  (no forecast yet: the first build, a SKU the forecast does not cover): the recent
                 daily mean d and sd sd_d (int_reorder_demand_inputs), demand over L = d * L,
                 over P = d * P, variance over P = P * sd_d^2.
    Then, the same for both:
      d (demand_daily_mean)   = protection_demand / P (the history mean itself for 'history')
      safety_stock            = z * sqrt(protection_demand_variance + d^2 * sd_LT^2)
      reorder_point           = lead_time_demand + safety_stock
      order_up_to             = protection_demand + safety_stock
                                (= reorder_point + review_period_demand)
      inventory_position      = on_hand + in_transit + on_order - reserved
                                (= available + on_order - backordered; open purchase orders count,
                                so nothing is ordered twice)
      raw_quantity            = order_up_to - inventory_position, when the position is at or below
                                the reorder point and there is demand
      suggested_quantity      = raw_quantity rounded up to whole case packs, and at least the MOQ
                                (itself rounded up to whole case packs)
    z is the standard normal quantile of inventory_service_level (0.95 -> 1.645). -#}
with

demand as (
    select * from {{ ref('int_reorder_demand_inputs') }}
),

supply as (
    select * from {{ ref('int_reorder_supply_inputs') }}
),

forecast as (
    select * from {{ ref('int_reorder_forecast_inputs') }}
),

service_level as (
    select cast({{ var('inventory_service_level', 0.95) }} as double) as p
),

normal_terms as (
    select
        p,
        p - 0.5 as q,
        power(p - 0.5, 2) as r,
        sqrt(-2 * ln(least(p, 1 - p))) as t
    from service_level
),

service_level_z as (
    -- the standard normal quantile of p by Acklam's rational approximation (relative error below
    -- 1.2e-9), written out as SQL engines have no inverse normal function; the tails use t
    select
        p as service_level,
        case
            when p between 0.02425 and 1 - 0.02425
                then q * (
                    -3.969683028665376e+01 * power(r, 5) + 2.209460984245205e+02 * power(r, 4)
                    - 2.759285104469687e+02 * power(r, 3) + 1.383577518672690e+02 * power(r, 2)
                    - 3.066479806614716e+01 * r + 2.506628277459239e+00
                ) / (
                    -5.447609879822406e+01 * power(r, 5) + 1.615858368580409e+02 * power(r, 4)
                    - 1.556989798598866e+02 * power(r, 3) + 6.680131188771972e+01 * power(r, 2)
                    - 1.328068155288572e+01 * r + 1
                )
            else -sign(q) * (
                -7.784894002430293e-03 * power(t, 5) - 3.223964580411365e-01 * power(t, 4)
                - 2.400758277161838e+00 * power(t, 3) - 2.549732539343734e+00 * power(t, 2)
                + 4.374664141464968e+00 * t + 2.938163982698783e+00
            ) / (
                7.784695709041462e-03 * power(t, 4) + 3.224671290700398e-01 * power(t, 3)
                + 2.445134137142996e+00 * power(t, 2) + 3.754408661907416e+00 * t + 1
            )
        end as service_level_z
    from normal_terms
),

joined as (
    select
        supply.reorder_key,
        supply.sku,
        supply.warehouse_id,
        supply.supplier_id,
        supply.unit_cost_jpy,
        supply.moq,
        supply.case_pack,
        case when forecast.reorder_key is not null then 'forecast' else 'history' end as demand_source,
        -- what the app and purchase-order lines have shown since before the forecasts
        case
            when forecast.reorder_key is not null then 'forecast'
            else coalesce(demand.demand_basis, 'none')
        end as demand_basis,
        coalesce(demand.window_days, 0) as demand_window_days,
        coalesce(demand.window_units_sold, 0) as demand_window_units_sold,
        coalesce(demand.window_lost_units_estimated, 0) as demand_window_lost_units_estimated,
        coalesce(demand.demand_daily_mean, 0) as history_daily_mean,
        coalesce(demand.demand_daily_sd, 0) as history_daily_sd,
        forecast.forecast_model,
        forecast.forecast_series_kind,
        forecast.forecast_history_end,
        forecast.forecast_made_at,
        forecast.forecast_days_past_horizon,
        forecast.forecast_dispersion,
        forecast.forecast_dispersion_applied,
        forecast.forecast_sku_lead_time_demand,
        forecast.forecast_sku_protection_demand,
        forecast.demand_share,
        forecast.demand_share_basis,
        forecast.forecast_lead_time_demand,
        forecast.forecast_protection_demand,
        forecast.forecast_protection_variance,
        supply.lead_time_basis,
        supply.lead_time_days,
        supply.lead_time_days_sd,
        service_level_z.service_level,
        service_level_z.service_level_z,
        cast({{ var('inventory_review_period_days', 7) }} as double) as review_period_days,
        supply.lead_time_days + {{ var('inventory_review_period_days', 7) }} as protection_days,
        supply.on_hand,
        supply.reserved,
        supply.backordered,
        supply.in_transit,
        supply.on_order,
        supply.open_purchase_orders,
        supply.on_hand + supply.in_transit + supply.on_order - supply.reserved as inventory_position
    from supply
    cross join service_level_z
    left join demand on supply.reorder_key = demand.reorder_key
    left join forecast on supply.reorder_key = forecast.reorder_key
),

inputs as (
    -- the one place where the two sources differ
    select
        *,
        case
            when demand_source = 'forecast' then forecast_lead_time_demand
            else history_daily_mean * lead_time_days
        end as lead_time_demand,
        case
            when demand_source = 'forecast' then forecast_protection_demand
            else history_daily_mean * protection_days
        end as protection_demand,
        case
            when demand_source = 'forecast' then forecast_protection_variance
            else protection_days * power(history_daily_sd, 2)
        end as protection_demand_variance,
        case
            when demand_source = 'forecast' then forecast_protection_demand / protection_days
            else history_daily_mean
        end as demand_daily_mean,
        case
            when demand_source = 'forecast' then sqrt(forecast_protection_variance / protection_days)
            else history_daily_sd
        end as demand_daily_sd
    from joined
),

safety as (
    select
        *,
        sqrt(protection_demand_variance) as protection_demand_sd,
        demand_daily_mean * lead_time_days_sd as lead_time_variability_sd,
        service_level_z * sqrt(
            protection_demand_variance + power(demand_daily_mean, 2) * power(lead_time_days_sd, 2)
        ) as safety_stock
    from inputs
),

points as (
    select
        *,
        protection_demand - lead_time_demand as review_period_demand,
        lead_time_demand + safety_stock as reorder_point,
        protection_demand + safety_stock as order_up_to
    from safety
),

needs as (
    select
        *,
        demand_daily_mean > 0 and inventory_position <= reorder_point as needs_reorder,
        case
            when demand_daily_mean > 0 and inventory_position <= reorder_point
                then order_up_to - inventory_position
            else 0
        end as raw_quantity
    from points
),

rounded as (
    select
        *,
        case
            when needs_reorder
                then greatest(
                    cast(ceil(raw_quantity / case_pack) as bigint) * case_pack,
                    cast(ceil(moq * 1.0 / case_pack) as bigint) * case_pack
                )
            else 0
        end as suggested_quantity
    from needs
),

final as (
    select
        reorder_key,
        sku,
        warehouse_id,
        supplier_id,
        demand_source,
        demand_basis,
        demand_window_days,
        demand_window_units_sold,
        demand_window_lost_units_estimated,
        history_daily_mean,
        history_daily_sd,
        forecast_model,
        forecast_series_kind,
        forecast_history_end,
        forecast_made_at,
        forecast_days_past_horizon,
        forecast_dispersion,
        forecast_dispersion_applied,
        forecast_sku_lead_time_demand,
        forecast_sku_protection_demand,
        demand_share,
        demand_share_basis,
        demand_daily_mean,
        demand_daily_sd,
        lead_time_basis,
        lead_time_days,
        lead_time_days_sd,
        review_period_days,
        protection_days,
        lead_time_demand,
        review_period_demand,
        protection_demand,
        protection_demand_variance,
        protection_demand_sd,
        lead_time_variability_sd,
        service_level,
        service_level_z,
        safety_stock,
        reorder_point,
        order_up_to,
        on_hand,
        reserved,
        backordered,
        in_transit,
        on_order,
        open_purchase_orders,
        inventory_position,
        -- none below a unit a year: a dead SKU's forecast decays towards zero (1e-114 a day at
        -- large), which made 1e114 days of cover
        case when demand_daily_mean * 365 >= 1 then inventory_position / demand_daily_mean end as days_of_cover,
        needs_reorder,
        raw_quantity,
        moq,
        case_pack,
        suggested_quantity,
        suggested_quantity - raw_quantity as rounding_added,
        unit_cost_jpy,
        suggested_quantity * unit_cost_jpy as suggested_value_jpy,
        case
            when needs_reorder
                then row_number() over (
                    partition by needs_reorder
                    -- most urgent first: the fewest days of cover beyond the lead time
                    order by inventory_position / demand_daily_mean - lead_time_days, sku, warehouse_id
                )
        end as urgency_rank
    from rounded
)

select * from final
