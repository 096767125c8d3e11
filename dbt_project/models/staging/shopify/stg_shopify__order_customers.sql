{#- The customer object embedded in orders.json, as the latest order carrying it shows it: a
    fallback for customers that the customers endpoint has not (yet) returned.
    Incremental: an order embeds its customer as the customer is now, so a later version of an
    order carries its customer at an updated_at no earlier than before, and the latest
    (updated_at, _loaded_at, _load_id) over the orders landed since the last build, if newer
    than the built one, is the latest over all of them. (An order moved to another customer
    would leave its former customer's row as built, until a full refresh.) -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'orders')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'shopify' as channel,
        {{ json_text(raw_doc, '$.customer.id') }} as channel_customer_id,
        coalesce(
            nullif(trim({{ json_text(raw_doc, '$.customer.email') }}), ''),
            nullif(trim({{ json_text(raw_doc, '$.email') }}), '')
        ) as email,
        coalesce(
            nullif(trim({{ json_text(raw_doc, '$.customer.phone') }}), ''),
            nullif(trim({{ json_text(raw_doc, '$.customer.default_address.phone') }}), '')
        ) as phone,
        nullif(trim({{ json_text(raw_doc, '$.customer.last_name') }}), '') as family_name,
        nullif(trim({{ json_text(raw_doc, '$.customer.first_name') }}), '') as given_name,
        nullif(trim({{ json_text(raw_doc, '$.customer.default_address.zip') }}), '') as postal_code,
        {{ json_text(raw_doc, '$.customer.default_address.province_code') }} as province_code,
        {{ json_text(raw_doc, '$.customer.default_address.city') }} as city,
        {{ json_text(raw_doc, '$.customer.default_address.address1') }} as address1,
        {{ json_text(raw_doc, '$.customer.default_address.company') }} as company,
        {{ json_text(raw_doc, '$.customer.email_marketing_consent.state') }} = 'subscribed' as accepts_marketing,
        {{ json_ts(raw_doc, '$.customer.created_at') }} as created_at,
        {{ json_ts(raw_doc, '$.customer.updated_at') }} as updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
    where {{ json_text(raw_doc, '$.customer.id') }} is not null
),

latest_per_customer as (
    select *
    from renamed
    qualify row_number() over (
        partition by channel_customer_id
        order by updated_at desc nulls last, _loaded_at desc, _load_id desc
    ) = 1
)

select * from latest_per_customer
{{
    where_newer_than_built(
        'latest_per_customer', key='channel_customer_id', versions=('updated_at', '_loaded_at', '_load_id')
    )
}}
