{#- Amazon buyers as the Orders API shows them: no buyer id, but a relay e-mail
    (...@marketplace.amazon.co.jp) that is stable per buyer, which keys the identity (as in
    stg_amazon__orders). BuyerName is "family given" in kanji or romaji as typed. The street
    (AddressLine1/2) and the phone come only to a connector that holds a Restricted Data Token
    for the shipping address; without one the address stops at the city. Name and address are
    taken from the buyer's latest order; the phone from the latest order that shows one, since
    Amazon shows it on merchant-fulfilled (MFN) orders only and a buyer's latest order is often
    an FBA one.
    Incremental: the buyers of the orders landed since the last build are worked out again from
    those orders and the buyer's built row, which keeps when its latest order and its phone's
    order were placed. One difference from a full build: a phone that a newer version of its
    own order no longer shows stays until a full refresh (the built row does not know which
    version showed it). -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('amazon', 'orders')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'amazon' as channel,
        nullif({{ json_text(raw_doc, '$.BuyerInfo.BuyerEmail') }}, '') as channel_customer_id,
        nullif({{ json_text(raw_doc, '$.BuyerInfo.BuyerEmail') }}, '') as email,
        trim(regexp_replace(
            coalesce({{ json_text(raw_doc, '$.BuyerInfo.BuyerName') }}, ''), '[\s　]+', ' ', 'g'
        )) as buyer_name,
        nullif({{ json_text(raw_doc, '$.ShippingAddress.PostalCode') }}, '') as postal_code,
        nullif({{ json_text(raw_doc, '$.ShippingAddress.StateOrRegion') }}, '') as prefecture,
        nullif({{ json_text(raw_doc, '$.ShippingAddress.City') }}, '') as city,
        nullif(trim(concat_ws(
            ' ',
            nullif({{ json_text(raw_doc, '$.ShippingAddress.AddressLine1') }}, ''),
            nullif({{ json_text(raw_doc, '$.ShippingAddress.AddressLine2') }}, '')
        )), '') as address1,
        nullif(trim({{ json_text(raw_doc, '$.ShippingAddress.Phone') }}), '') as phone,
        {{ json_ts(raw_doc, '$.PurchaseDate') }} as ordered_at,
        {{ json_ts(raw_doc, '$.LastUpdateDate') }} as updated_at,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

orders as (
    select
        channel,
        channel_customer_id,
        email,
        nullif(split_part(buyer_name, ' ', 1), '') as family_name,
        nullif(trim(substr(buyer_name, length(split_part(buyer_name, ' ', 1)) + 1)), '') as given_name,
        postal_code,
        prefecture,
        city,
        address1,
        phone,
        ordered_at as created_at,
        updated_at,
        _loaded_at,
        ordered_at as last_ordered_at,
        case when phone is not null then ordered_at end as phone_ordered_at,
        -- a landed version outranks the built row when both speak for one order
        1 as _source_rank
    from renamed
    where channel_customer_id is not null
),

candidates as (
    {{ with_built_rows(
        'orders', 'channel_customer_id', built_columns='* exclude (_landed_through), 0 as _source_rank'
    ) }}
),

per_buyer as (
    select
        channel,
        channel_customer_id,
        email,
        family_name,
        given_name,
        postal_code,
        prefecture,
        city,
        address1,
        last_value(phone ignore nulls) over phones as phone,
        min(created_at) over (partition by channel_customer_id) as created_at,
        updated_at,
        _loaded_at,
        last_ordered_at,
        last_value(phone_ordered_at ignore nulls) over phones as phone_ordered_at,
        {{ landed_through() }} as _landed_through
    from candidates
    window
        phones as (
            partition by channel_customer_id
            order by phone_ordered_at, _source_rank, updated_at, _loaded_at
            rows between unbounded preceding and unbounded following
        )
    qualify row_number() over (
        partition by channel_customer_id
        order by last_ordered_at desc, updated_at desc, _loaded_at desc
    ) = 1
)

select * from per_buyer
