with

source as (
    {{ latest_version(source('supplier', 'catalogue')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as catalogue_key,
        {{ json_text(raw_doc, '$.supplier_id') }} as supplier_id,
        {{ json_text(raw_doc, '$.sku') }} as sku,
        {{ json_text(raw_doc, '$.product_id') }} as product_id,
        {{ json_text(raw_doc, '$.title') }} as title,
        {{ json_text(raw_doc, '$.colour') }} as colour,
        {{ json_text(raw_doc, '$.size') }} as size,
        {{ json_text(raw_doc, '$.jan') }} as jan,
        {{ json_money(raw_doc, '$.unit_cost_jpy') }} as unit_cost_jpy,
        {{ json_int(raw_doc, '$.moq') }} as moq,
        {{ json_int(raw_doc, '$.case_pack') }} as case_pack,
        try_cast({{ json_text(raw_doc, '$.lead_time_days') }} as double) as lead_time_days,
        try_cast({{ json_text(raw_doc, '$.available_from') }} as date) as available_from,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
