{#- One row per line item of an order's latest version, money in the shop's currency
    (`price_set.shop_money`; the legacy `price` where the set is missing). A line's discount is
    every allocation of the order's discounts to it plus its own (deprecated) total_discount;
    its tax is every tax line (a state and a county tax are two).

    A line without a SKU, or a gift card, is not stock (`is_stock_line = false`): custom items,
    tips and gift cards are sold as lines of their own and kept here, outside stock and demand. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'orders')) }}
),

items as (
    select
        _record_key as channel_order_id,
        {{ json_each('_raw', '$.line_items') }} as item,
        _record_updated_at,
        _loaded_at,
        _load_id
    from source
),

renamed as (
    {%- set item_doc = json_document('item') %}
    select
        'shopify' as channel,
        channel_order_id,
        {{ json_text(item_doc, '$.id') }} as channel_line_id,
        nullif(trim({{ json_text(item_doc, '$.sku') }}), '') as sku,
        {{ json_text(item_doc, '$.title') }} as title,
        coalesce(cast({{ json_text(item_doc, '$.gift_card') }} as boolean), false) as is_gift_card,
        {{ json_int(item_doc, '$.quantity') }} as quantity,
        {{ json_int(item_doc, '$.current_quantity') }} as current_quantity,
        {{ shopify_money(item_doc, 'price') }} as unit_price_jpy,
        {{ shopify_money(item_doc, 'total_discount', 0) }} as own_discount_jpy,
        item,
        _record_updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(item_doc, 'items') }}
),

allocations as (
    select
        channel_order_id,
        channel_line_id,
        {{ json_each('item', '$.discount_allocations') }} as allocation
    from renamed
),

allocated as (
    {%- set allocation_doc = json_document('allocation') %}
    select
        channel_order_id,
        channel_line_id,
        sum(
            {{ shopify_money(allocation_doc, 'amount') }}
        ) as allocated_jpy
    from {{ json_parsed(allocation_doc, 'allocations') }}
    group by channel_order_id, channel_line_id
),

tax_lines as (
    select
        channel_order_id,
        channel_line_id,
        {{ json_each('item', '$.tax_lines') }} as tax_line
    from renamed
),

taxed as (
    {%- set tax_doc = json_document('tax_line') %}
    select
        channel_order_id,
        channel_line_id,
        sum(
            {{ shopify_money(tax_doc, 'price') }}
        ) as tax_jpy
    from {{ json_parsed(tax_doc, 'tax_lines') }}
    group by channel_order_id, channel_line_id
),

final as (
    select
        r.channel,
        r.channel_order_id,
        r.channel_line_id,
        r.sku,
        r.title,
        r.quantity,
        r.current_quantity,
        r.unit_price_jpy,
        r.own_discount_jpy + coalesce(a.allocated_jpy, 0) as discount_jpy,
        coalesce(t.tax_jpy, 0) as tax_jpy,
        r.sku is not null and not r.is_gift_card as is_stock_line,
        row_number() over (
            partition by r.channel_order_id order by cast(r.channel_line_id as bigint)
        ) as line_number,
        r.unit_price_jpy * r.quantity - r.own_discount_jpy - coalesce(a.allocated_jpy, 0) as line_total_jpy,
        r._record_updated_at,
        r._loaded_at,
        r._load_id,
        {{ landed_through() }} as _landed_through
    from renamed as r
    left join allocated as a
        on r.channel_order_id = a.channel_order_id and r.channel_line_id = a.channel_line_id
    left join taxed as t
        on r.channel_order_id = t.channel_order_id and r.channel_line_id = t.channel_line_id
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
