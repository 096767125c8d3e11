{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
        on_schema_change="append_new_columns",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('amazon', 'orders')) }}
),

items as (
    select
        _record_key as channel_order_id,
        {{ json_text('_raw', '$.OrderStatus') }} as order_status,
        {{ json_each('_raw', '$.OrderItems') }} as item,
        _record_updated_at,
        _loaded_at,
        _load_id
    from source
),

renamed as (
    select
        'amazon' as channel,
        channel_order_id,
        order_status,
        {{ json_text('item', '$.OrderItemId') }} as channel_line_id,
        {{ json_text('item', '$.SellerSKU') }} as sku,
        {{ json_text('item', '$.ASIN') }} as asin,
        {{ json_int('item', '$.QuantityOrdered') }} as quantity,
        {{ json_int('item', '$.QuantityShipped') }} as quantity_shipped,
        -- ItemPrice is the line's price times quantity, tax included (Amazon.co.jp)
        {{ json_money('item', '$.ItemPrice.Amount') }} as item_price_jpy,
        {{ json_money('item', '$.ItemTax.Amount') }} as item_tax_jpy,
        {{ json_money('item', '$.PromotionDiscount.Amount') }} as discount_jpy,
        {{ json_money('item', '$.PromotionDiscountTax.Amount') }} as discount_tax_jpy,
        {{ json_money('item', '$.ShippingPrice.Amount') }} as shipping_jpy,
        {{ json_money('item', '$.ShippingDiscount.Amount') }} as shipping_discount_jpy,
        {{ json_money('item', '$.ShippingTax.Amount') }} as shipping_tax_jpy,
        {{ json_text('item', '$.PromotionIds[0]') }} as promo_code,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from items
),

final as (
    select
        *,
        row_number() over (
            partition by channel_order_id order by cast(channel_line_id as bigint)
        ) as line_number,
        -- pending and cancelled orders carry no prices (null), as Amazon reports them
        item_price_jpy // nullif(quantity, 0) as unit_price_jpy,
        item_tax_jpy - coalesce(discount_tax_jpy, 0) as tax_jpy,
        item_price_jpy - coalesce(discount_jpy, 0) as line_total_jpy
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
