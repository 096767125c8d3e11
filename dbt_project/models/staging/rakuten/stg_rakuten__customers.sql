{#- Rakuten orderers (OrdererModel of getOrder): no member id, but a relay e-mail
    (...@pc.fw.rakuten.ne.jp) stable per member, which keys the identity (as in
    stg_rakuten__orders). Names in kanji with their kana reading, phone and postcode in parts.
    Taken from the member's latest order; created_at is the member's first order.
    Incremental: the members of the orders landed since the last build are worked out again
    from those orders and the member's built row (its latest order so far and its first order
    date), so a late-landed older order can still move created_at back. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('rakuten', 'orders')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'rakuten' as channel,
        nullif({{ json_text(raw_doc, '$.OrdererModel.emailAddress') }}, '') as channel_customer_id,
        nullif({{ json_text(raw_doc, '$.OrdererModel.emailAddress') }}, '') as email,
        nullif(concat_ws(
            '-',
            nullif({{ json_text(raw_doc, '$.OrdererModel.phoneNumber1') }}, ''),
            nullif({{ json_text(raw_doc, '$.OrdererModel.phoneNumber2') }}, ''),
            nullif({{ json_text(raw_doc, '$.OrdererModel.phoneNumber3') }}, '')
        ), '') as phone,
        nullif(trim({{ json_text(raw_doc, '$.OrdererModel.familyName') }}), '') as family_name,
        nullif(trim({{ json_text(raw_doc, '$.OrdererModel.firstName') }}), '') as given_name,
        nullif(trim({{ json_text(raw_doc, '$.OrdererModel.familyNameKana') }}), '') as family_name_kana,
        nullif(trim({{ json_text(raw_doc, '$.OrdererModel.firstNameKana') }}), '') as given_name_kana,
        nullif(concat_ws(
            '-',
            nullif({{ json_text(raw_doc, '$.OrdererModel.zipCode1') }}, ''),
            nullif({{ json_text(raw_doc, '$.OrdererModel.zipCode2') }}, '')
        ), '') as postal_code,
        nullif({{ json_text(raw_doc, '$.OrdererModel.prefecture') }}, '') as prefecture,
        nullif({{ json_text(raw_doc, '$.OrdererModel.city') }}, '') as city,
        nullif({{ json_text(raw_doc, '$.OrdererModel.subAddress') }}, '') as address1,
        {{ json_ts(raw_doc, '$.orderDatetime') }} as created_at,
        {{ json_ts(raw_doc, '$.orderDatetime') }} as last_ordered_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
),

-- the members' rows as built: their latest order so far and their first order's date
candidates as (
    {{ with_built_rows('renamed', 'channel_customer_id') }}
),

per_member as (
    select
        * exclude (created_at),
        min(created_at) over (partition by channel_customer_id) as created_at,
        {{ landed_through() }} as _landed_through
    from candidates
    where channel_customer_id is not null
    qualify row_number() over (
        partition by channel_customer_id order by last_ordered_at desc, _loaded_at desc, _load_id desc
    ) = 1
)

-- the built rows join the new ones by name: the same columns
select * from per_member  -- noqa: AM04
