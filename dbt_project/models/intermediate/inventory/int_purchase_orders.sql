-- One row per purchase order line with its order's supplier, destination, status and dates.
with

orders as (
    select * from {{ ref('stg_supplier__purchase_orders') }}
),

lines as (
    select * from {{ ref('stg_supplier__purchase_order_lines') }}
),

final as (
    select
        lines.po_line_key,
        lines.po_id,
        lines.line_number,
        orders.supplier_id,
        orders.reference,
        lines.sku,
        orders.location_id,
        lines.quantity,
        orders.status,
        orders.status in ('submitted', 'confirmed', 'shipped') as is_open,
        orders.ordered_at,
        orders.confirmed_at,
        orders.shipped_at,
        orders.received_at,
        orders.expected_ship_date,
        orders.expected_delivery_date,
        lines.unit_cost_jpy,
        lines.amount_jpy,
        -- the lead time this order actually took, in days, once received
        case
            when orders.received_at is not null
                then
                    (
                        extract(epoch from orders.received_at) - extract(epoch from orders.ordered_at)
                    ) / 86400.0
        end as lead_time_days_actual
    from lines
    inner join orders on lines.po_id = orders.po_id
)

select * from final
