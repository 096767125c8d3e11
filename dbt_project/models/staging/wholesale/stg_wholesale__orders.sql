{#- A buyer's purchase order sheet is an order. Sheets name no ship-from location, no shipping
    charge, no payment and no cancellation (those come by phone): the warehouse is WH-TOKYO
    unless the var `orders_wholesale_location_id` says otherwise, and invoices are paid later. -#}
with

lines as (
    select * from {{ ref('stg_wholesale__order_lines') }}
),

final as (
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
        max(source_file) as source_file,
        max(_loaded_at) as _loaded_at
    from lines
    group by channel_order_id
)

select * from final
