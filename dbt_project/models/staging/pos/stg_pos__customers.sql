{#- Store members: every member card the tills recorded (会員番号 on a receipt line) and every
    member in the member master (stg_pos__members), with the master's name, reading, phone,
    e-mail and address. A card seen at a till before the master that names it has landed is
    an identity without details until it does. Registered at the master's 入会日, else at the
    card's first receipt. -#}
with

-- every till row: the sales (stg_pos__order_lines, incremental) and the returns
till_rows as (
    select
        channel_customer_id,
        ordered_at as sold_at,
        _loaded_at
    from {{ ref('stg_pos__order_lines') }}
    union all
    select
        channel_customer_id,
        refunded_at as sold_at,
        _loaded_at
    from {{ ref('stg_pos__refunds') }}
),

members as (
    select * from {{ ref('stg_pos__members') }}
),

renamed as (
    select
        'pos' as channel,
        nullif(trim(channel_customer_id), '') as channel_customer_id,
        sold_at,
        _loaded_at
    from till_rows
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
