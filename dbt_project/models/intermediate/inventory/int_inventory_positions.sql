-- Stock position per SKU and location: physical stock, what open orders have claimed, and what
-- open purchase orders will bring. The grain is every SKU and location that has any of them,
-- of SKUs the catalogue knows at locations the business knows (the others' stock and orders are
-- kept and flagged in int_stock_levels_unioned and fct_orders).
with

locations as (
    select * from {{ ref('inventory_locations') }}
),

stock as (
    select * from {{ ref('int_stock_levels_unioned') }}
),

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

purchase_orders as (
    select * from {{ ref('int_purchase_orders') }}
),

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

clock as (
    select max(ordered_at) as latest_order_at
    from orders
),

open_orders as (
    -- Placed, not cancelled, not shipped. Wholesale sheets never say when goods left, so a
    -- wholesale order counts as open only for the days the warehouse takes to ship one.
    select orders.order_key
    from orders
    cross join clock
    where
        orders.cancelled_at is null
        and orders.shipped_at is null
        and (
            orders.channel <> 'wholesale'
            or orders.ordered_at
            > clock.latest_order_at - to_days({{ var('inventory_wholesale_ship_days', 7) }})
        )
),

reserved as (
    select
        orders.location_id,
        order_lines.sku,
        sum(order_lines.quantity) as reserved,
        count(distinct orders.order_key) as open_orders
    from order_lines
    inner join open_orders on order_lines.order_key = open_orders.order_key
    inner join orders on order_lines.order_key = orders.order_key
    -- custom items, tips and gift cards reserve no stock
    where order_lines.is_stock_line
    group by orders.location_id, order_lines.sku
),

incoming as (
    select
        location_id,
        sku,
        sum(case when status = 'shipped' then quantity else 0 end) as in_transit,
        sum(case when status in ('submitted', 'confirmed') then quantity else 0 end) as on_order,
        count(distinct po_id) as open_purchase_orders,
        min(expected_delivery_date) as next_expected_delivery_date
    from purchase_orders
    where is_open
    group by location_id, sku
),

keys as (
    select
        location_id,
        sku
    from stock
    union
    select
        location_id,
        sku
    from reserved
    union
    select
        location_id,
        sku
    from incoming
),

final as (
    select
        keys.location_id || ':' || keys.sku as inventory_key,
        keys.location_id,
        keys.sku,
        stock.source is not null as is_stock_reported,
        coalesce(stock.on_hand, 0) as on_hand,
        coalesce(stock.unsellable, 0) as unsellable,
        coalesce(stock.inbound, 0) as fba_inbound,
        coalesce(reserved.reserved, 0) as reserved,
        coalesce(reserved.open_orders, 0) as open_orders,
        coalesce(incoming.in_transit, 0) as in_transit,
        coalesce(incoming.on_order, 0) as on_order,
        coalesce(incoming.open_purchase_orders, 0) as open_purchase_orders,
        incoming.next_expected_delivery_date,
        stock.as_of as stock_as_of,
        stock.source as stock_source
    from keys
    inner join catalogue on keys.sku = catalogue.sku
    inner join locations on keys.location_id = locations.location_id
    left join stock on keys.location_id = stock.location_id and keys.sku = stock.sku
    left join reserved on keys.location_id = reserved.location_id and keys.sku = reserved.sku
    left join incoming on keys.location_id = incoming.location_id and keys.sku = incoming.sku
)

select * from final
