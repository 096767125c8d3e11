-- Rakuten inventory per item (manageNumber) and variant (variantId).
with

source as (
    {{ latest_version(source('rakuten', 'inventories')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as inventory_key,
        {{ json_text(raw_doc, '$.manageNumber') }} as manage_number,
        {{ json_text(raw_doc, '$.variantId') }} as variant_id,
        {{ json_int(raw_doc, '$.quantity') }} as quantity,
        {{ json_ts(raw_doc, '$.created') }} as created_at,
        {{ json_ts(raw_doc, '$.updated') }} as updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
