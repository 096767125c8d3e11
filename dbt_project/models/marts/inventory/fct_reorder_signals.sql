{#- Per SKU and warehouse: whether to reorder and how much, with every number that produced it.
      safety_stock       = z * sqrt(LT * sd_d^2 + d^2 * sd_LT^2)
      reorder_point      = d * LT + safety_stock
      inventory_position = on_hand + in_transit + on_order - reserved
                           (= available + on_order - backordered; open purchase orders count,
                           so nothing is ordered twice)
      order_up_to        = reorder_point + d * review_period_days
      raw_quantity       = order_up_to - inventory_position, when the position is at or below
                           the reorder point and there is demand
      suggested_quantity = raw_quantity rounded up to whole case packs, and at least the MOQ
                           (itself rounded up to whole case packs)
    z is inventory_service_level_z (1.65 for 95%). -#}
with

demand as (
    select * from {{ ref('int_reorder_demand_inputs') }}
),

supply as (
    select * from {{ ref('int_reorder_supply_inputs') }}
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
        coalesce(demand.demand_basis, 'none') as demand_basis,
        coalesce(demand.window_days, 0) as demand_window_days,
        coalesce(demand.window_units_sold, 0) as demand_window_units_sold,
        coalesce(demand.window_lost_units_estimated, 0) as demand_window_lost_units_estimated,
        coalesce(demand.demand_daily_mean, 0) as demand_daily_mean,
        coalesce(demand.demand_daily_sd, 0) as demand_daily_sd,
        supply.lead_time_basis,
        supply.lead_time_days,
        supply.lead_time_days_sd,
        cast({{ var('inventory_service_level_z', 1.65) }} as double) as service_level_z,
        cast({{ var('inventory_review_period_days', 7) }} as double) as review_period_days,
        supply.on_hand,
        supply.reserved,
        supply.backordered,
        supply.in_transit,
        supply.on_order,
        supply.open_purchase_orders,
        supply.on_hand + supply.in_transit + supply.on_order - supply.reserved as inventory_position
    from supply
    left join demand on supply.reorder_key = demand.reorder_key
),

safety as (
    select
        *,
        service_level_z * sqrt(
            lead_time_days * power(demand_daily_sd, 2)
            + power(demand_daily_mean, 2) * power(lead_time_days_sd, 2)
        ) as safety_stock,
        demand_daily_mean * lead_time_days as lead_time_demand
    from joined
),

points as (
    select
        *,
        lead_time_demand + safety_stock as reorder_point,
        lead_time_demand + safety_stock + demand_daily_mean * review_period_days as order_up_to
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
        demand_basis,
        demand_window_days,
        demand_window_units_sold,
        demand_window_lost_units_estimated,
        demand_daily_mean,
        demand_daily_sd,
        lead_time_basis,
        lead_time_days,
        lead_time_days_sd,
        service_level_z,
        safety_stock,
        lead_time_demand,
        reorder_point,
        review_period_days,
        order_up_to,
        on_hand,
        reserved,
        backordered,
        in_transit,
        on_order,
        open_purchase_orders,
        inventory_position,
        case when demand_daily_mean > 0 then inventory_position / demand_daily_mean end as days_of_cover,
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
