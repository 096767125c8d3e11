{#- Rakuten orderers (OrdererModel of getOrder): no member id, but a relay e-mail
    (...@pc.fw.rakuten.ne.jp) stable per member, which keys the identity (as in
    stg_rakuten__orders). Names in kanji with their kana reading, phone and postcode in parts.
    Taken from the member's latest order. -#}
with

source as (
    {{ latest_version(source('rakuten', 'orders')) }}
),

renamed as (
    select
        'rakuten' as channel,
        nullif({{ json_text('_raw', '$.OrdererModel.emailAddress') }}, '') as channel_customer_id,
        nullif({{ json_text('_raw', '$.OrdererModel.emailAddress') }}, '') as email,
        nullif(concat_ws(
            '-',
            nullif({{ json_text('_raw', '$.OrdererModel.phoneNumber1') }}, ''),
            nullif({{ json_text('_raw', '$.OrdererModel.phoneNumber2') }}, ''),
            nullif({{ json_text('_raw', '$.OrdererModel.phoneNumber3') }}, '')
        ), '') as phone,
        nullif(trim({{ json_text('_raw', '$.OrdererModel.familyName') }}), '') as family_name,
        nullif(trim({{ json_text('_raw', '$.OrdererModel.firstName') }}), '') as given_name,
        nullif(trim({{ json_text('_raw', '$.OrdererModel.familyNameKana') }}), '') as family_name_kana,
        nullif(trim({{ json_text('_raw', '$.OrdererModel.firstNameKana') }}), '') as given_name_kana,
        nullif(concat_ws(
            '-',
            nullif({{ json_text('_raw', '$.OrdererModel.zipCode1') }}, ''),
            nullif({{ json_text('_raw', '$.OrdererModel.zipCode2') }}, '')
        ), '') as postal_code,
        nullif({{ json_text('_raw', '$.OrdererModel.prefecture') }}, '') as prefecture,
        nullif({{ json_text('_raw', '$.OrdererModel.city') }}, '') as city,
        nullif({{ json_text('_raw', '$.OrdererModel.subAddress') }}, '') as address1,
        {{ json_ts('_raw', '$.orderDatetime') }} as ordered_at,
        _loaded_at
    from source
),

per_member as (
    select
        * exclude (ordered_at),
        min(ordered_at) over (partition by channel_customer_id) as created_at,
        ordered_at as last_ordered_at
    from renamed
    where channel_customer_id is not null
    qualify row_number() over (
        partition by channel_customer_id order by ordered_at desc, _loaded_at desc
    ) = 1
)

select * from per_member
