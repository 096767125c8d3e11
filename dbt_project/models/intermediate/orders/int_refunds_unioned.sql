{#- One refunded (returned) line per row, every channel. Refunds that only undo a cancellation
    (Shopify's restock_type `cancel`) are not returns and stay out; they count in
    int_orders_unioned.refunded_jpy. Added beyond the contract: channel_reason (the channel's
    own words where it has any).

    Channel by channel: Amazon's refund events name the SKU, not the order item, so the line is
    the order's line of that SKU; Amazon and the tills record no reason and no restocking.
    Rakuten books a return without items or amount: a full return refunds every line (less the
    coupon share); a partial one refunds the units that left the order between landed versions,
    the order's refund spread over them by value (not seen when the order was first landed
    after the return, see stg_rakuten__orders). A wholesale return is a line of the buyer's
    return slip (返品伝票), which names the order (元伝票番号) and the SKU, not the order's line:
    the line is the order's first line of that SKU; its refund is the slip's amount, its
    reason what the slip says through the buyer's mapping ('other' where it says nothing), and
    its date the slip's. -#}
with

shopify_refunds as (
    select * from {{ ref('stg_shopify__refunds') }}
),

amazon_refunds as (
    select * from {{ ref('stg_amazon__refunds') }}
),

amazon_lines as (
    select * from {{ ref('stg_amazon__order_lines') }}
),

rakuten_refunds as (
    select * from {{ ref('stg_rakuten__refunds') }}
),

rakuten_orders as (
    select * from {{ ref('int_orders_unioned') }}
    where channel = 'rakuten'
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

pos_refunds as (
    select * from {{ ref('stg_pos__refunds') }}
),

wholesale_slips as (
    select * from {{ ref('stg_wholesale__slip_lines') }}
    where slip_kind = 'return'
),

wholesale_lines as (
    select * from {{ ref('stg_wholesale__order_lines') }}
),

shopify as (
    select
        'shopify:' || refund_line_id as refund_key,
        channel || ':' || channel_order_id as order_key,
        channel || ':' || channel_order_id || ':' || channel_line_id as order_line_key,
        channel,
        sku,
        quantity,
        refund_line_jpy as refund_jpy,
        reason,
        note as channel_reason,
        -- Shopify records when the refund was made, not when the customer asked
        created_at as requested_at,
        processed_at as refunded_at,
        restocked
    from shopify_refunds
    where not is_cancellation
),

amazon_line_of_sku as (
    select
        channel_order_id,
        sku,
        min(channel_line_id) as channel_line_id
    from amazon_lines
    group by channel_order_id, sku
),

amazon as (
    select
        'amazon:' || r.refund_line_id as refund_key,
        r.channel || ':' || r.channel_order_id as order_key,
        r.channel || ':' || r.channel_order_id || ':' || l.channel_line_id as order_line_key,
        r.channel,
        r.sku,
        r.quantity,
        r.refund_jpy,
        'other' as reason,
        cast(null as varchar) as channel_reason,
        r.posted_at as requested_at,
        r.posted_at as refunded_at,
        cast(null as boolean) as restocked
    from amazon_refunds as r
    left join amazon_line_of_sku as l
        on r.channel_order_id = l.channel_order_id and r.sku = l.sku
),

rakuten_changes as (
    select
        channel_order_id,
        min(change_id) as change_id,
        bool_or(is_full_return) as is_full_return,
        min(requested_at) as requested_at,
        max(refunded_at) as refunded_at,
        min(channel_reason) as channel_reason,
        min(reason) as reason
    from rakuten_refunds
    group by channel_order_id
),

rakuten_returned_lines as (
    select
        l.order_line_key,
        l.order_key,
        l.sku,
        l.line_number,
        c.change_id,
        c.requested_at,
        c.refunded_at,
        c.channel_reason,
        c.reason,
        o.returned_jpy as order_refund_jpy,
        case when c.is_full_return then l.quantity else l.quantity - l.current_quantity end as quantity,
        case
            when c.is_full_return then l.line_total_jpy
            else l.unit_price_jpy * (l.quantity - l.current_quantity)
        end as weight_jpy
    from rakuten_changes as c
    inner join rakuten_orders as o on 'rakuten:' || c.channel_order_id = o.order_key
    inner join order_lines as l on o.order_key = l.order_key
    where c.is_full_return or l.current_quantity < l.quantity
),

rakuten_spread as (
    select
        *,
        order_refund_jpy * weight_jpy // nullif(sum(weight_jpy) over (partition by order_key), 0) as share_jpy,
        row_number() over (partition by order_key order by line_number) as spread_rank
    from rakuten_returned_lines
),

rakuten as (
    select
        order_key || ':' || change_id || ':' || line_number as refund_key,
        order_key,
        order_line_key,
        'rakuten' as channel,
        sku,
        quantity,
        share_jpy
        + case
            when spread_rank = 1 then order_refund_jpy - sum(share_jpy) over (partition by order_key)
            else 0
        end as refund_jpy,
        reason,
        channel_reason,
        requested_at,
        refunded_at,
        cast(null as boolean) as restocked
    from rakuten_spread
),

pos as (
    select
        'pos:' || return_receipt_number || ':' || channel_line_id as refund_key,
        channel || ':' || channel_order_id as order_key,
        channel || ':' || channel_order_id || ':' || channel_line_id as order_line_key,
        channel,
        sku,
        quantity,
        refund_jpy,
        reason,
        cast(null as varchar) as channel_reason,
        refunded_at as requested_at,
        refunded_at,
        cast(null as boolean) as restocked
    from pos_refunds
),

wholesale_line_of_sku as (
    select
        channel_order_id,
        sku,
        min_by(channel_line_id, line_number) as channel_line_id
    from wholesale_lines
    group by channel_order_id, sku
),

wholesale as (
    select
        'wholesale:' || r.channel_customer_id || ':' || r.slip_no || ':' || r.slip_line_id as refund_key,
        r.channel || ':' || r.channel_order_id as order_key,
        r.channel || ':' || r.channel_order_id || ':' || l.channel_line_id as order_line_key,
        r.channel,
        r.sku,
        r.quantity,
        r.amount_jpy as refund_jpy,
        coalesce(r.return_reason, 'other') as reason,
        r.channel_reason,
        r.slip_at as requested_at,
        r.slip_at as refunded_at,
        cast(null as boolean) as restocked
    from wholesale_slips as r
    left join wholesale_line_of_sku as l
        on r.channel_order_id = l.channel_order_id and r.sku = l.sku
),

final as (
    select * from shopify
    union all
    select * from amazon
    union all
    select * from rakuten
    union all
    select * from pos
    union all
    select * from wholesale
)

select * from final
