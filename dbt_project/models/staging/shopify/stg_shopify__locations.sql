with

source as (
    {{ latest_version(source('shopify', 'locations')) }}
),

renamed as (
    select
        {{ json_int('_raw', '$.id') }} as shopify_location_id,
        {{ json_text('_raw', '$.name') }} as location_name,
        {{ json_text('_raw', '$.address1') }} as address1,
        {{ json_text('_raw', '$.province_code') }} as province_code,
        {{ json_text('_raw', '$.country_code') }} as country_code,
        cast({{ json_text('_raw', '$.active') }} as boolean) as is_active,
        {{ json_ts('_raw', '$.updated_at') }} as updated_at,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
