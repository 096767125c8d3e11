-- Per SKU and location: physical stock, what open orders have claimed, what open purchase orders
-- bring, and what can be promised. on_hand - reserved = available_to_promise - backordered.
with

positions as (
    select * from {{ ref('int_inventory_positions') }}
),

locations as (
    select * from {{ ref('inventory_locations') }}
),

final as (
    select
        positions.inventory_key,
        positions.sku,
        positions.location_id,
        locations.kind as location_kind,
        positions.on_hand,
        positions.reserved,
        greatest(positions.on_hand - positions.reserved, 0) as available_to_promise,
        greatest(positions.reserved - positions.on_hand, 0) as backordered,
        positions.in_transit,
        positions.on_order,
        positions.on_hand + positions.in_transit + positions.on_order
        - positions.reserved as inventory_position,
        positions.unsellable,
        positions.fba_inbound,
        positions.open_orders,
        positions.open_purchase_orders,
        positions.next_expected_delivery_date,
        positions.is_stock_reported,
        positions.stock_source,
        positions.stock_as_of
    from positions
    left join locations on positions.location_id = locations.location_id
)

select * from final
