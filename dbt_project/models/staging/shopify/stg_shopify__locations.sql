with

source as (
    {{ latest_version(source('shopify', 'locations')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        {{ json_int(raw_doc, '$.id') }} as shopify_location_id,
        {{ json_text(raw_doc, '$.name') }} as location_name,
        {{ json_text(raw_doc, '$.address1') }} as address1,
        {{ json_text(raw_doc, '$.province_code') }} as province_code,
        {{ json_text(raw_doc, '$.country_code') }} as country_code,
        cast({{ json_text(raw_doc, '$.active') }} as boolean) as is_active,
        {{ json_ts(raw_doc, '$.updated_at') }} as updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
