-- Rakuten inventory per item (manageNumber) and variant (variantId).
with

source as (
    {{ latest_version(source('rakuten', 'inventories')) }}
),

renamed as (
    select
        _record_key as inventory_key,
        {{ json_text('_raw', '$.manageNumber') }} as manage_number,
        {{ json_text('_raw', '$.variantId') }} as variant_id,
        {{ json_int('_raw', '$.quantity') }} as quantity,
        {{ json_ts('_raw', '$.created') }} as created_at,
        {{ json_ts('_raw', '$.updated') }} as updated_at,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
