with

source as (
    {{ latest_version(source('supplier', 'catalogue')) }}
),

renamed as (
    select
        _record_key as catalogue_key,
        {{ json_text('_raw', '$.supplier_id') }} as supplier_id,
        {{ json_text('_raw', '$.sku') }} as sku,
        {{ json_text('_raw', '$.product_id') }} as product_id,
        {{ json_text('_raw', '$.title') }} as title,
        {{ json_text('_raw', '$.colour') }} as colour,
        {{ json_text('_raw', '$.size') }} as size,
        {{ json_text('_raw', '$.jan') }} as jan,
        {{ json_money('_raw', '$.unit_cost_jpy') }} as unit_cost_jpy,
        {{ json_int('_raw', '$.moq') }} as moq,
        {{ json_int('_raw', '$.case_pack') }} as case_pack,
        try_cast({{ json_text('_raw', '$.lead_time_days') }} as double) as lead_time_days,
        try_cast({{ json_text('_raw', '$.available_from') }} as date) as available_from,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
