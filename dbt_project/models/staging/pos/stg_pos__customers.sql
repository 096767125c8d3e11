{#- Store members: the till export carries the member card number (会員番号) on each receipt
    line and nothing else about the member, so a POS identity is a card number and the time it
    was first seen. -#}
with

source as (
    {{ latest_version(source('pos', 'sales')) }}
),

renamed as (
    select
        'pos' as channel,
        nullif(trim({{ json_text('_raw', '$.会員番号') }}), '') as channel_customer_id,
        -- till clocks are JST
        timezone(
            'Asia/Tokyo', try_strptime({{ json_text('_raw', '$.取引日時') }}, '%Y/%m/%d %H:%M:%S')
        ) as sold_at,
        _loaded_at
    from source
),

per_member as (
    select
        channel,
        channel_customer_id,
        min(sold_at) as created_at,
        max(_loaded_at) as _loaded_at
    from renamed
    where channel_customer_id is not null
    group by channel, channel_customer_id
)

select * from per_member
