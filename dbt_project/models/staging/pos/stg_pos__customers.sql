{#- Store members: every member card the tills recorded (会員番号 on a receipt line) and every
    member in the member master (stg_pos__members), with the master's name, reading, phone,
    e-mail and address. A card seen at a till before the master that names it has landed is
    an identity without details until it does. Registered at the master's 入会日, else at the
    card's first receipt. -#}
with

source as (
    {{ latest_version(source('pos', 'sales')) }}
),

members as (
    select * from {{ ref('stg_pos__members') }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'pos' as channel,
        nullif(trim({{ json_text(raw_doc, '$.会員番号') }}), '') as channel_customer_id,
        -- till clocks are JST
        timezone(
            'Asia/Tokyo', try_strptime({{ json_text(raw_doc, '$.取引日時') }}, '%Y/%m/%d %H:%M:%S')
        ) as sold_at,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

per_card as (
    select
        channel,
        channel_customer_id,
        min(sold_at) as first_sold_at,
        max(_loaded_at) as _loaded_at
    from renamed
    where channel_customer_id is not null
    group by channel, channel_customer_id
),

final as (
    select
        'pos' as channel,
        coalesce(m.channel_customer_id, c.channel_customer_id) as channel_customer_id,
        m.email,
        m.phone,
        m.family_name,
        m.given_name,
        m.family_name_kana,
        m.given_name_kana,
        m.postal_code,
        m.prefecture,
        m.city,
        m.address1,
        m.accepts_marketing,
        coalesce(m.registered_at, c.first_sold_at) as created_at,
        greatest(coalesce(m._loaded_at, c._loaded_at), coalesce(c._loaded_at, m._loaded_at))
            as _loaded_at
    from members as m
    full outer join per_card as c on m.channel_customer_id = c.channel_customer_id
)

select * from final
