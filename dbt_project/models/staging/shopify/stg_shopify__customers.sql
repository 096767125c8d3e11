{#- customers.json records: one row per Shopify customer, latest version. Names and the address
    come from the default address when the customer record itself has none. updated_at is the
    landing's _record_updated_at (the same field; the contract quarantines a record without a
    readable one), so it orders the versions as latest_version does. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
        on_schema_change="append_new_columns",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'customers')) }}
),

renamed as (
    select
        'shopify' as channel,
        _record_key as channel_customer_id,
        nullif(trim({{ json_text('_raw', '$.email') }}), '') as email,
        coalesce(
            nullif(trim({{ json_text('_raw', '$.phone') }}), ''),
            nullif(trim({{ json_text('_raw', '$.default_address.phone') }}), '')
        ) as phone,
        coalesce(
            nullif(trim({{ json_text('_raw', '$.last_name') }}), ''),
            nullif(trim({{ json_text('_raw', '$.default_address.last_name') }}), '')
        ) as family_name,
        coalesce(
            nullif(trim({{ json_text('_raw', '$.first_name') }}), ''),
            nullif(trim({{ json_text('_raw', '$.default_address.first_name') }}), '')
        ) as given_name,
        nullif(trim({{ json_text('_raw', '$.default_address.zip') }}), '') as postal_code,
        {{ json_text('_raw', '$.default_address.province_code') }} as province_code,
        {{ json_text('_raw', '$.default_address.city') }} as city,
        {{ json_text('_raw', '$.default_address.address1') }} as address1,
        {{ json_text('_raw', '$.default_address.company') }} as company,
        {{ json_text('_raw', '$.email_marketing_consent.state') }} = 'subscribed' as accepts_marketing,
        {{ json_ts('_raw', '$.created_at') }} as created_at,
        {{ json_ts('_raw', '$.updated_at') }} as updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from source
)

select * from renamed
{{ where_newer_than_built('renamed', key='channel_customer_id', versions=('updated_at', '_loaded_at', '_load_id')) }}
