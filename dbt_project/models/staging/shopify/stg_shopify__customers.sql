{#- customers.json records: one row per Shopify customer, latest version. Names and the address
    come from the default address when the customer record itself has none. updated_at is the
    landing's _record_updated_at (the same field; the contract quarantines a record without a
    readable one), so it orders the versions as latest_version does. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'customers')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'shopify' as channel,
        _record_key as channel_customer_id,
        nullif(trim({{ json_text(raw_doc, '$.email') }}), '') as email,
        coalesce(
            nullif(trim({{ json_text(raw_doc, '$.phone') }}), ''),
            nullif(trim({{ json_text(raw_doc, '$.default_address.phone') }}), '')
        ) as phone,
        coalesce(
            nullif(trim({{ json_text(raw_doc, '$.last_name') }}), ''),
            nullif(trim({{ json_text(raw_doc, '$.default_address.last_name') }}), '')
        ) as family_name,
        coalesce(
            nullif(trim({{ json_text(raw_doc, '$.first_name') }}), ''),
            nullif(trim({{ json_text(raw_doc, '$.default_address.first_name') }}), '')
        ) as given_name,
        nullif(trim({{ json_text(raw_doc, '$.default_address.zip') }}), '') as postal_code,
        {{ json_text(raw_doc, '$.default_address.province_code') }} as province_code,
        {{ json_text(raw_doc, '$.default_address.city') }} as city,
        {{ json_text(raw_doc, '$.default_address.address1') }} as address1,
        {{ json_text(raw_doc, '$.default_address.company') }} as company,
        {{ json_text(raw_doc, '$.email_marketing_consent.state') }} = 'subscribed' as accepts_marketing,
        {{ json_ts(raw_doc, '$.created_at') }} as created_at,
        {{ json_ts(raw_doc, '$.updated_at') }} as updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
{{ where_newer_than_built('renamed', key='channel_customer_id', versions=('updated_at', '_loaded_at', '_load_id')) }}
