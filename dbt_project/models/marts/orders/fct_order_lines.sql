{#- One row per order line with its order's location, status and what was returned of it.

    Incremental (delete+insert by order_key): the lines of the orders fct_orders built since this
    model's last build (its `_built_at`) replace the lines built before for those orders (an
    order whose lines changed is among them: they are part of its `_inputs_hash`). A post-hook
    forgets every line built before its order was (a line its order no longer has) and the
    lines of orders that left fct_orders.

    data_flag says what is wrong with a line that is kept all the same (null: nothing):
    'unknown_sku' (int_order_lines_unioned), 'returned_more_than_sold' (its returns add up to
    more units than it sold; the test no_line_returns_more_than_it_sold lists them as a
    warning). -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="order_key",
        post_hook="{{ forget_rows_behind(ref('fct_orders'), 'order_key') }}",
    )
}}

with

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

orders as (
    select built_orders.* from {{ ref('fct_orders') }} as built_orders
    {%- if is_incremental() %}
        where {{ built_since_this_model('built_orders._built_at') }}
    {%- endif %}
),

refunds as (
    select * from {{ ref('int_refunds_unioned') }}
),

returned as (
    select
        order_line_key,
        sum(quantity) as returned_quantity,
        sum(refund_jpy) as refunded_jpy
    from refunds
    where order_line_key is not null
    group by order_line_key
),

final as (
    select
        l.order_line_key,
        l.order_key,
        l.channel,
        o.location_id,
        o.identity_key,
        o.ordered_at,
        o.business_date,
        o.order_status,
        l.line_number,
        l.sku,
        l.quantity,
        l.unit_price_jpy,
        l.discount_jpy,
        l.tax_jpy,
        l.line_total_jpy,
        l.is_stock_line,
        coalesce(r.returned_quantity, 0) as returned_quantity,
        coalesce(r.refunded_jpy, 0) as refunded_jpy,
        nullif(concat_ws(
            ', ',
            l.data_flag,
            case when r.returned_quantity > l.quantity and l.quantity > 0 then 'returned_more_than_sold' end
        ), '') as data_flag,
        {{ build_started_at() }} as _built_at
    from order_lines as l
    inner join orders as o on l.order_key = o.order_key
    left join returned as r on l.order_line_key = r.order_line_key
)

select * from final
