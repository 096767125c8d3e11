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
        {{ json_text(item_doc, '$.sku') }} as sku,
        {{ json_int(item_doc, '$.quantity') }} as quantity,
        {{ json_int(item_doc, '$.current_quantity') }} as current_quantity,
        {{ json_money(item_doc, '$.price') }} as unit_price_jpy,
        -- order-level codes arrive as allocations; the sandbox allocates one per line
        coalesce({{ json_money(item_doc, '$.discount_allocations[0].amount') }}, 0)
        + coalesce({{ json_money(item_doc, '$.total_discount') }}, 0) as discount_jpy,
        {{ json_money(item_doc, '$.tax_lines[0].price') }} as tax_jpy,
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
        unit_price_jpy * quantity - discount_jpy as line_total_jpy
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
