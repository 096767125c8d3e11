with

refunds as (
    select * from {{ ref('int_refunds_unioned') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

final as (
    select
        r.refund_key,
        r.order_key,
        r.order_line_key,
        r.channel,
        o.location_id,
        o.identity_key,
        r.sku,
        r.quantity,
        r.refund_jpy,
        r.reason,
        r.channel_reason,
        r.requested_at,
        r.refunded_at,
        r.restocked,
        o.ordered_at,
        o.delivered_at,
        date_diff('day', coalesce(o.delivered_at, o.shipped_at, o.ordered_at), r.refunded_at) as days_to_refund
    from refunds as r
    inner join orders as o on r.order_key = o.order_key
)

select * from final
