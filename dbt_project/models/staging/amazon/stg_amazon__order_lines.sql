{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('amazon', 'orders')) }}
),

items as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as channel_order_id,
        {{ json_text(raw_doc, '$.OrderStatus') }} as order_status,
        {{ json_each(raw_doc, '$.OrderItems') }} as item,
        _record_updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
),

renamed as (
    {#- Amazon leaves a money field out when it is zero (ShippingTax, PromotionDiscount, ...);
        on an item that shows its price, a missing amount is 0. Items without ItemPrice
        (pending and cancelled orders) show no amounts at all: those stay null (unknown). -#}
    {%- set item_doc = json_document('item') %}
    select
        'amazon' as channel,
        channel_order_id,
        order_status,
        {{ json_text(item_doc, '$.OrderItemId') }} as channel_line_id,
        {{ json_text(item_doc, '$.SellerSKU') }} as sku,
        {{ json_text(item_doc, '$.ASIN') }} as asin,
        {{ json_int(item_doc, '$.QuantityOrdered') }} as quantity,
        {{ json_int(item_doc, '$.QuantityShipped') }} as quantity_shipped,
        -- ItemPrice is the line's price times quantity, tax included (Amazon.co.jp)
        {{ json_money(item_doc, '$.ItemPrice.Amount') }} as item_price_jpy,
        {%- for field, name in [
            ('ItemTax', 'item_tax_jpy'),
            ('PromotionDiscount', 'discount_jpy'),
            ('PromotionDiscountTax', 'discount_tax_jpy'),
            ('ShippingPrice', 'shipping_jpy'),
            ('ShippingDiscount', 'shipping_discount_jpy'),
            ('ShippingTax', 'shipping_tax_jpy'),
            ('CODFee', 'cod_fee_jpy'),
            ('CODFeeDiscount', 'cod_fee_discount_jpy'),
        ] %}
            case
                when {{ json_text(item_doc, '$.ItemPrice.Amount') }} is not null
                    then coalesce({{ json_money(item_doc, '$.' ~ field ~ '.Amount') }}, 0)
            end as {{ name }},
        {%- endfor %}
        -- points Amazon grants the buyer for this item (Amazon.co.jp), and their value in yen;
        -- a reward for a later order, not a discount of this one: the total does not change
        coalesce({{ json_int(item_doc, '$.PointsGranted.PointsNumber') }}, 0) as points_granted,
        coalesce({{ json_money(item_doc, '$.PointsGranted.PointsMonetaryValue.Amount') }}, 0)
            as points_granted_jpy,
        {{ json_text(item_doc, '$.PromotionIds[0]') }} as promo_code,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(item_doc, 'items') }}
),

final as (
    select
        *,
        row_number() over (
            partition by channel_order_id order by cast(channel_line_id as bigint)
        ) as line_number,
        -- pending and cancelled orders carry no prices (null), as Amazon reports them
        item_price_jpy // nullif(quantity, 0) as unit_price_jpy,
        item_tax_jpy - discount_tax_jpy as tax_jpy,
        item_price_jpy - discount_jpy as line_total_jpy
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
