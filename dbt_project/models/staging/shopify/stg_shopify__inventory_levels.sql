-- What the web shop offers per inventory item and location. Shopify names the item, not the SKU:
-- the SKU is on the product variant that owns the inventory item.
with

source as (
    {{ latest_version(source('shopify', 'inventory_levels')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as inventory_level_key,
        {{ json_int(raw_doc, '$.inventory_item_id') }} as inventory_item_id,
        {{ json_int(raw_doc, '$.location_id') }} as shopify_location_id,
        {{ json_int(raw_doc, '$.available') }} as available,
        {{ json_ts(raw_doc, '$.updated_at') }} as updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
