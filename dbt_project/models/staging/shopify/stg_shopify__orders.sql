with

source as (
    {{ latest_version(source('shopify', 'orders')) }}
),

renamed as (
    select
        'shopify' as channel,
        _record_key as channel_order_id,
        {{ json_text('_raw', '$.name') }} as order_name,
        {{ json_int('_raw', '$.customer.id') }} as channel_customer_number,
        {{ json_int('_raw', '$.location_id') }} as shopify_location_id,
        {{ json_text('_raw', '$.financial_status') }} as financial_status,
        {{ json_text('_raw', '$.fulfillment_status') }} as fulfillment_status,
        {{ json_text('_raw', '$.gateway') }} as gateway,
        {{ json_text('_raw', '$.cancel_reason') }} as cancel_reason,
        {{ json_text('_raw', '$.currency') }} as currency,
        {{ json_ts('_raw', '$.created_at') }} as ordered_at,
        {{ json_ts('_raw', '$.cancelled_at') }} as cancelled_at,
        {{ json_ts('_raw', '$.closed_at') }} as closed_at,
        {{ json_ts('_raw', '$.updated_at') }} as updated_at,
        {{ json_money('_raw', '$.subtotal_price') }} as subtotal_after_discount_jpy,
        {{ json_money('_raw', '$.total_line_items_price') }} as subtotal_jpy,
        {{ json_money('_raw', '$.total_discounts') }} as discount_jpy,
        {{ json_money('_raw', '$.total_shipping_price_set.shop_money.amount') }} as shipping_jpy,
        {{ json_money('_raw', '$.total_tax') }} as tax_jpy,
        {{ json_money('_raw', '$.total_price') }} as total_jpy,
        {{ json_text('_raw', '$.discount_codes[0].code') }} as promo_code,
        _raw,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
