{#- The supply side of the reorder signals, per SKU and warehouse: the stock position of the
    warehouse and the locations it tops up, open purchase orders to it, and the supplier's terms.
    Lead time is the one observed on the supplier's received purchase orders once there are
    inventory_min_lead_time_samples of them, the quoted one before. -#}
with

positions as (
    select * from {{ ref('int_inventory_positions') }}
),

locations as (
    select * from {{ ref('inventory_locations') }}
),

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

purchase_orders as (
    select * from {{ ref('int_purchase_orders') }}
),

warehouses as (
    select location_id as warehouse_id
    from locations
    where kind = 'warehouse'
),

served_positions as (
    select
        coalesce(locations.replenished_from, positions.location_id) as warehouse_id,
        positions.sku,
        sum(positions.on_hand) as on_hand,
        sum(positions.reserved) as reserved,
        sum(greatest(positions.reserved - positions.on_hand, 0)) as backordered,
        sum(positions.in_transit) as in_transit,
        sum(positions.on_order) as on_order,
        sum(positions.open_purchase_orders) as open_purchase_orders
    from positions
    inner join locations on positions.location_id = locations.location_id
    group by coalesce(locations.replenished_from, positions.location_id), positions.sku
),

observed_lead_times as (
    select
        supplier_id,
        count(lead_time_days_actual) as samples,
        avg(lead_time_days_actual) as lead_time_days,
        stddev_samp(lead_time_days_actual) as lead_time_days_sd
    from purchase_orders
    group by supplier_id
),

final as (
    select
        warehouses.warehouse_id || ':' || catalogue.sku as reorder_key,
        catalogue.sku,
        warehouses.warehouse_id,
        catalogue.supplier_id,
        catalogue.unit_cost_jpy,
        catalogue.moq,
        catalogue.case_pack,
        catalogue.available_from,
        coalesce(served_positions.on_hand, 0) as on_hand,
        coalesce(served_positions.reserved, 0) as reserved,
        coalesce(served_positions.backordered, 0) as backordered,
        coalesce(served_positions.in_transit, 0) as in_transit,
        coalesce(served_positions.on_order, 0) as on_order,
        coalesce(served_positions.open_purchase_orders, 0) as open_purchase_orders,
        case
            when coalesce(observed_lead_times.samples, 0) >= {{ var('inventory_min_lead_time_samples', 5) }}
                then 'observed'
            else 'quoted'
        end as lead_time_basis,
        case
            when coalesce(observed_lead_times.samples, 0) >= {{ var('inventory_min_lead_time_samples', 5) }}
                then observed_lead_times.lead_time_days
            else catalogue.lead_time_days
        end as lead_time_days,
        case
            when coalesce(observed_lead_times.samples, 0) >= {{ var('inventory_min_lead_time_samples', 5) }}
                then coalesce(observed_lead_times.lead_time_days_sd, 0)
            else catalogue.lead_time_days_sd
        end as lead_time_days_sd
    from catalogue
    cross join warehouses
    left join served_positions
        on catalogue.sku = served_positions.sku and warehouses.warehouse_id = served_positions.warehouse_id
    left join observed_lead_times on catalogue.supplier_id = observed_lead_times.supplier_id
)

select * from final
