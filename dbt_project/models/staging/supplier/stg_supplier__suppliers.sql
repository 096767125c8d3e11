with

source as (
    {{ latest_version(source('supplier', 'suppliers')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as supplier_id,
        {{ json_text(raw_doc, '$.name') }} as supplier_name,
        {{ json_text(raw_doc, '$.email') }} as email,
        try_cast({{ json_text(raw_doc, '$.lead_time_days') }} as double) as lead_time_days,
        try_cast({{ json_text(raw_doc, '$.lead_time_days_sd') }} as double) as lead_time_days_sd,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
