{#- Amazon buyers as the Orders API shows them: no buyer id, but a relay e-mail
    (...@marketplace.amazon.co.jp) that is stable per buyer, which keys the identity (as in
    stg_amazon__orders). BuyerName is "family given" in kanji or romaji as typed. The street
    (AddressLine1/2) and the phone come only to a connector that holds a Restricted Data Token
    for the shipping address; without one the address stops at the city. Name and address are
    taken from the buyer's latest order; the phone from the latest order that shows one, since
    Amazon shows it on merchant-fulfilled (MFN) orders only and a buyer's latest order is often
    an FBA one. -#}
with

source as (
    {{ latest_version(source('amazon', 'orders')) }}
),

renamed as (
    select
        'amazon' as channel,
        nullif({{ json_text('_raw', '$.BuyerInfo.BuyerEmail') }}, '') as channel_customer_id,
        nullif({{ json_text('_raw', '$.BuyerInfo.BuyerEmail') }}, '') as email,
        trim(regexp_replace(
            coalesce({{ json_text('_raw', '$.BuyerInfo.BuyerName') }}, ''), '[\s　]+', ' ', 'g'
        )) as buyer_name,
        nullif({{ json_text('_raw', '$.ShippingAddress.PostalCode') }}, '') as postal_code,
        nullif({{ json_text('_raw', '$.ShippingAddress.StateOrRegion') }}, '') as prefecture,
        nullif({{ json_text('_raw', '$.ShippingAddress.City') }}, '') as city,
        nullif(trim(concat_ws(
            ' ',
            nullif({{ json_text('_raw', '$.ShippingAddress.AddressLine1') }}, ''),
            nullif({{ json_text('_raw', '$.ShippingAddress.AddressLine2') }}, '')
        )), '') as address1,
        nullif(trim({{ json_text('_raw', '$.ShippingAddress.Phone') }}), '') as phone,
        {{ json_ts('_raw', '$.PurchaseDate') }} as ordered_at,
        {{ json_ts('_raw', '$.LastUpdateDate') }} as updated_at,
        _loaded_at
    from source
),

per_buyer as (
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
        last_value(phone ignore nulls) over (
            partition by channel_customer_id
            order by ordered_at, updated_at, _loaded_at
            rows between unbounded preceding and unbounded following
        ) as phone,
        min(ordered_at) over (partition by channel_customer_id) as created_at,
        updated_at,
        _loaded_at
    from renamed
    where channel_customer_id is not null
    qualify row_number() over (
        partition by channel_customer_id
        order by ordered_at desc, updated_at desc, _loaded_at desc
    ) = 1
)

select * from per_buyer
