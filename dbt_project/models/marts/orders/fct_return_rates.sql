{#- Return rates per SKU, channel and reason, with the SKU's category, over orders old enough
    for their returns to have arrived: delivered (or, where the channel shows no delivery,
    shipped; wholesale, whose sheets show neither, ordered) at least
    var('orders_return_window_days', 30) days before the latest order. Units
    sold count every line of those orders; units returned, their refunded lines. The grain is
    sku x channel x reason, with reason 'all' carrying the units sold and every return. -#}
with

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

returns as (
    select * from {{ ref('fct_returns') }}
),

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

as_of as (
    select max(ordered_at) as latest_order_at from orders
),

mature_orders as (
    select o.order_key
    from orders as o
    cross join as_of as a
    where
        o.cancelled_at is null
        -- wholesale sheets show no shipment: a wholesale order counts from its order day
        and coalesce(o.delivered_at, o.shipped_at, case when o.channel = 'wholesale' then o.ordered_at end)
        <= a.latest_order_at - to_days({{ var('orders_return_window_days', 30) }})
),

sold as (
    select
        l.sku,
        l.channel,
        sum(l.quantity) as units_sold,
        sum(l.line_total_jpy) as sales_jpy
    from order_lines as l
    inner join mature_orders as m on l.order_key = m.order_key
    group by l.sku, l.channel
),

returned as (
    select
        r.sku,
        r.channel,
        r.reason,
        sum(r.quantity) as units_returned,
        sum(r.refund_jpy) as refunded_jpy
    from returns as r
    inner join mature_orders as m on r.order_key = m.order_key
    group by grouping sets ((r.sku, r.channel, r.reason), (r.sku, r.channel))
),

final as (
    select
        s.sku || ':' || s.channel || ':' || coalesce(r.reason, 'all') as return_rate_key,
        s.sku,
        c.category,
        s.channel,
        coalesce(r.reason, 'all') as reason,
        s.units_sold,
        s.sales_jpy,
        coalesce(r.units_returned, 0) as units_returned,
        coalesce(r.refunded_jpy, 0) as refunded_jpy,
        coalesce(r.units_returned, 0) / nullif(s.units_sold, 0) as return_rate,
        {{ var('orders_return_window_days', 30) }} as return_window_days
    from sold as s
    left join returned as r on s.sku = r.sku and s.channel = r.channel
    left join catalogue as c on s.sku = c.sku
)

select * from final
