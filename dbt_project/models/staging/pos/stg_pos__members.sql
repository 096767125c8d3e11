{#- The stores' member master (会員マスタ): one row per member number, the newest export of it.
    Names in kanji with their katakana reading, the phone as written on the form, e-mail only
    where given (optional on the paper form), the address in parts; registered (入会日) on a JST
    date.

    Incremental like the order-shaped staging models: each export lists every member again, so a
    build reads only the exports landed since the last one. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_customer_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('pos', 'members')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'pos' as channel,
        nullif(trim({{ json_text(raw_doc, '$.会員番号') }}), '') as channel_customer_id,
        nullif(trim({{ json_text(raw_doc, '$.姓') }}), '') as family_name,
        nullif(trim({{ json_text(raw_doc, '$.名') }}), '') as given_name,
        nullif(trim({{ json_text(raw_doc, '$.セイ') }}), '') as family_name_kana,
        nullif(trim({{ json_text(raw_doc, '$.メイ') }}), '') as given_name_kana,
        nullif(trim({{ json_text(raw_doc, '$.電話番号') }}), '') as phone,
        nullif(trim({{ json_text(raw_doc, '$.メールアドレス') }}), '') as email,
        nullif(trim({{ json_text(raw_doc, '$.郵便番号') }}), '') as postal_code,
        nullif(trim({{ json_text(raw_doc, '$.都道府県') }}), '') as prefecture,
        nullif(trim({{ json_text(raw_doc, '$.市区町村') }}), '') as city,
        nullif(trim({{ json_text(raw_doc, '$.住所') }}), '') as address1,
        {{ json_text(raw_doc, '$.DM許可') }} = '1' as accepts_marketing,
        -- the registration day starts at JST midnight
        timezone(
            'Asia/Tokyo', try_strptime({{ json_text(raw_doc, '$.入会日') }}, '%Y/%m/%d')
        ) as registered_at,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select * from renamed
    where channel_customer_id is not null
)

select * from final
{{ where_newer_than_built('final', key='channel_customer_id') }}
