{#- A buyer's purchase order sheet is an order. Sheets name no ship-from location, no shipping
    charge and no payment: the warehouse is WH-TOKYO unless the var
    `orders_wholesale_location_id` says otherwise, and invoices are paid later. What the buyer
    later sends about the order comes as slips (stg_wholesale__slip_lines): red slips (赤伝)
    that cancel all of it (cancelled_at: the day of the last one) or some of it (its lines
    order less, stg_wholesale__order_lines), and return slips (返品伝票), whose amounts are what
    the buyer is credited (returned_jpy). -#}
with

lines as (
    select * from {{ ref('stg_wholesale__order_lines') }}
),

slips as (
    select * from {{ ref('stg_wholesale__slip_lines') }}
),

slip_totals as (
    select
        channel_order_id,
        max(case when slip_kind = 'cancellation' then slip_at end) as last_cancelled_at,
        coalesce(sum(case when slip_kind = 'return' then amount_jpy end), 0) as returned_jpy,
        coalesce(sum(case when slip_kind = 'return' then quantity end), 0) as returned_units,
        max(slip_at) as last_slip_at
    from slips
    group by channel_order_id
),

orders as (
    select
        'wholesale' as channel,
        channel_order_id,
        channel_order_id as order_name,
        max(channel_customer_id) as channel_customer_id,
        '{{ var("orders_wholesale_location_id", "WH-TOKYO") }}' as location_id,
        'invoice' as payment_method,
        min(order_date) as order_date,
        -- a sheet gives the order's JST date only
        timezone('Asia/Tokyo', cast(min(order_date) as timestamp)) as ordered_at,
        min(delivery_date) as requested_delivery_date,
        sum(line_total_jpy) as subtotal_jpy,
        sum(discount_jpy) as discount_jpy,
        sum(line_total_jpy) as total_jpy,
        sum(tax_jpy) as tax_jpy,
        count(*) as line_count,
        sum(cancelled_quantity) as cancelled_units,
        bool_and(is_order_cancelled) as is_cancelled,
        max(source_file) as source_file,
        max(_loaded_at) as _loaded_at
    from lines
    group by channel_order_id
),

final as (
    select
        o.*,
        case when o.is_cancelled then s.last_cancelled_at end as cancelled_at,
        coalesce(s.returned_jpy, 0) as returned_jpy,
        coalesce(s.returned_units, 0) as returned_units,
        greatest(o.ordered_at, s.last_slip_at) as updated_at
    from orders as o
    left join slip_totals as s on o.channel_order_id = s.channel_order_id
)

select * from final
