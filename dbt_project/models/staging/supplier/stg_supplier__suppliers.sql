with

source as (
    {{ latest_version(source('supplier', 'suppliers')) }}
),

renamed as (
    select
        _record_key as supplier_id,
        {{ json_text('_raw', '$.name') }} as supplier_name,
        {{ json_text('_raw', '$.email') }} as email,
        try_cast({{ json_text('_raw', '$.lead_time_days') }} as double) as lead_time_days,
        try_cast({{ json_text('_raw', '$.lead_time_days_sd') }} as double) as lead_time_days_sd,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
