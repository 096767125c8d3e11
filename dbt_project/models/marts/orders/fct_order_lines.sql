with

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

refunds as (
    select * from {{ ref('int_refunds_unioned') }}
),

returned as (
    select
        order_line_key,
        sum(quantity) as returned_quantity,
        sum(refund_jpy) as refunded_jpy
    from refunds
    where order_line_key is not null
    group by order_line_key
),

final as (
    select
        l.order_line_key,
        l.order_key,
        l.channel,
        o.location_id,
        o.identity_key,
        o.ordered_at,
        o.business_date,
        o.order_status,
        l.line_number,
        l.sku,
        l.quantity,
        l.unit_price_jpy,
        l.discount_jpy,
        l.tax_jpy,
        l.line_total_jpy,
        coalesce(r.returned_quantity, 0) as returned_quantity,
        coalesce(r.refunded_jpy, 0) as refunded_jpy
    from order_lines as l
    inner join orders as o on l.order_key = o.order_key
    left join returned as r on l.order_line_key = r.order_line_key
)

select * from final
