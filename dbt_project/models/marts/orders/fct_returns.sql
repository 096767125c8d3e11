{#- One row per returned line, every channel (wholesale: its buyers' return slips). A return is kept even when what it
    returns is not there, and flagged (data_flag, null when nothing is wrong): 'order_not_landed'
    (its order has not landed, or not yet: a till refund of an earlier sale whose export is
    still to come), 'line_not_found' (its order has no such line), 'unknown_sku'. Such returns
    have no location or customer; fct_return_rates counts only returns of orders it counts. -#}
with

refunds as (
    select * from {{ ref('int_refunds_unioned') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

catalogue as (
    select * from {{ ref('int_catalogue') }}
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
        date_diff('day', coalesce(o.delivered_at, o.shipped_at, o.ordered_at), r.refunded_at) as days_to_refund,
        nullif(concat_ws(
            ', ',
            case when o.order_key is null then 'order_not_landed' end,
            case
                when o.order_key is not null and r.order_line_key is not null and l.order_line_key is null
                    then 'line_not_found'
            end,
            case when c.sku is null then 'unknown_sku' end
        ), '') as data_flag
    from refunds as r
    left join orders as o on r.order_key = o.order_key
    left join order_lines as l on r.order_line_key = l.order_line_key
    left join catalogue as c on r.sku = c.sku
)

select * from final
