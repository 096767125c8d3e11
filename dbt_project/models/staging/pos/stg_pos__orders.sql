{#- A till receipt (取引番号 of the 売上 rows) is an order; receipts are paid at the counter. -#}
with

lines as (
    select * from {{ ref('stg_pos__order_lines') }}
),

final as (
    select
        'pos' as channel,
        channel_order_id,
        channel_order_id as order_name,
        max(channel_customer_id) as channel_customer_id,
        max(store_code) as location_id,
        max(register_number) as register_number,
        min(ordered_at) as ordered_at,
        sum(unit_price_jpy * quantity) as subtotal_jpy,
        sum(discount_jpy) as discount_jpy,
        sum(line_total_jpy) as total_jpy,
        count(*) as line_count,
        max(_loaded_at) as _loaded_at
    from lines
    group by channel_order_id
)

select * from final
