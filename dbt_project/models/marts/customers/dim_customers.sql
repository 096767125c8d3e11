{#- One row per customer (map_customer_identities): the best of what the channels know about
    them, and their orders across every channel. Best values: a name written in kanji before
    kana or romaji, a real e-mail before a marketplace relay, the most recently created
    identity first. Orders count unless cancelled; revenue is what they paid less refunds.
    Recency is measured against the newest order in the warehouse (not the wall clock), so a
    rebuild of the same data gives the same scores. RFM scores run 1 (worst) to 5 (best):
    R and M by quintile over customers with orders, F by number of orders (1, 2, 3, 4-5, 6+). -#}
with

customer_identities as (
    select * from {{ ref('map_customer_identities') }}
),

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

normalised as (
    select * from {{ ref('int_identities_normalised') }}
),

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

identity_details as (
    select
        m.customer_id,
        i.identity_key,
        i.channel,
        i.family_name,
        i.given_name,
        i.family_name_kana,
        i.given_name_kana,
        i.prefecture,
        i.accepts_marketing,
        i.created_at,
        n.email_normalised,
        n.email_is_masked,
        n.phone_e164,
        i.family_name is not null
        and not {{ customers_is_romaji('i.family_name') }}
        and not {{ customers_is_kana('i.family_name') }} as is_written_in_kanji
    from customer_identities as m
    inner join identities as i on m.identity_key = i.identity_key
    inner join normalised as n on m.identity_key = n.identity_key
),

best_values as (
    select
        customer_id,
        arg_max(
            concat_ws(' ', family_name, given_name),
            case when family_name is null then 0 when is_written_in_kanji then 2 else 1 end * 1e12
            + epoch(created_at)
        ) as customer_name,
        arg_max(
            concat_ws(' ', family_name_kana, given_name_kana),
            case when family_name_kana is null then 0 else 1 end * 1e12 + epoch(created_at)
        ) as customer_name_kana,
        arg_max(
            email_normalised,
            case when email_normalised is null then 0 when email_is_masked then 1 else 2 end * 1e12
            + epoch(created_at)
        ) as email,
        arg_max(phone_e164, epoch(created_at)) filter (where phone_e164 is not null) as phone_e164,
        arg_max(prefecture, epoch(created_at)) filter (where prefecture is not null) as prefecture,
        bool_or(accepts_marketing) as accepts_marketing,
        string_agg(distinct channel, ',' order by channel) as channels,
        count(*) as identity_count,
        min(created_at) as first_seen_at
    from identity_details
    group by customer_id
),

customer_orders as (
    select
        m.customer_id,
        o.order_key,
        o.channel,
        o.ordered_at,
        cast(coalesce(o.total_jpy, 0) - coalesce(o.refunded_jpy, 0) as bigint) as net_revenue_jpy
    from orders as o
    inner join customer_identities as m on o.identity_key = m.identity_key
    where o.cancelled_at is null
),

as_of as (
    select max(ordered_at) as as_of_at from orders
),

order_summary as (
    select
        customer_id,
        min(ordered_at) as first_order_at,
        max(ordered_at) as last_order_at,
        count(*) as orders,
        cast(sum(net_revenue_jpy) as bigint) as revenue_jpy,
        {%- for channel in ['shopify', 'amazon', 'rakuten', 'pos', 'wholesale'] %}
            count(*) filter (where channel = '{{ channel }}') as orders_{{ channel }},
            cast(
                coalesce(sum(net_revenue_jpy) filter (where channel = '{{ channel }}'), 0) as bigint
            ) as revenue_{{ channel }}_jpy,
        {%- endfor %}
        count(distinct channel) as order_channels
    from customer_orders
    group by customer_id
),

scored as (
    select
        s.*,
        date_diff('day', s.last_order_at, a.as_of_at) as recency_days,
        -- ties (equal revenue is common) go by customer_id: ntile alone split them between
        -- quintiles in whatever order the rows came, so two builds of one landing disagreed
        ntile(5) over (order by s.last_order_at asc, s.customer_id asc) as recency_score,
        case
            when s.orders >= 6 then 5
            when s.orders >= 4 then 4
            else s.orders
        end as frequency_score,
        ntile(5) over (order by s.revenue_jpy asc, s.customer_id asc) as monetary_score
    from order_summary as s
    cross join as_of as a
),

final as (
    select
        b.customer_id,
        b.customer_name,
        nullif(b.customer_name_kana, '') as customer_name_kana,
        b.email,
        b.phone_e164,
        b.prefecture,
        coalesce(b.accepts_marketing, false) as accepts_marketing,
        b.channels,
        b.identity_count,
        b.first_seen_at,
        s.first_order_at,
        s.last_order_at,
        coalesce(s.orders, 0) as orders,
        coalesce(s.revenue_jpy, 0) as revenue_jpy,
        {%- for channel in ['shopify', 'amazon', 'rakuten', 'pos', 'wholesale'] %}
            coalesce(s.orders_{{ channel }}, 0) as orders_{{ channel }},
            coalesce(s.revenue_{{ channel }}_jpy, 0) as revenue_{{ channel }}_jpy,
        {%- endfor %}
        coalesce(s.order_channels, 0) as order_channels,
        coalesce(s.orders, 0) >= 2 as is_repeat_customer,
        -- the share of their orders that came back after the first
        case when s.orders > 0 then (s.orders - 1) / s.orders end as repeat_order_share,
        s.recency_days,
        s.recency_score,
        s.frequency_score,
        s.monetary_score,
        case
            when s.orders is null then 'no_orders'
            when s.recency_score >= 4 and s.frequency_score >= 4 then 'champions'
            when s.recency_score >= 3 and s.frequency_score >= 3 then 'loyal'
            when s.recency_score >= 4 and s.frequency_score = 1 then 'new'
            when s.recency_score >= 3 then 'promising'
            when s.frequency_score >= 3 then 'at_risk'
            when s.recency_score = 2 then 'hibernating'
            else 'lost'
        end as rfm_segment,
        cast(date_trunc('month', timezone('Asia/Tokyo', s.first_order_at)) as date) as cohort_month
    from best_values as b
    left join scored as s on b.customer_id = s.customer_id
)

select * from final
