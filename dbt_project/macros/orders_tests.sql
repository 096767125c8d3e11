{#- Generic tests of the orders slice: arithmetic invariants and reconciliations. -#}

{#- Orders whose lines do not add up: sum(unit_price * quantity - discount) + shipping + COD fee
    must be the order's total (and subtotal - discount + shipping + COD fee too), wherever the
    channel shows amounts. -#}
{% test orders_lines_add_up(model, lines) %}
    with line_sums as (
        select
            order_key,
            sum(line_total_jpy) as lines_jpy,
            sum(unit_price_jpy * quantity) as gross_jpy,
            sum(discount_jpy) as discount_jpy
        from {{ lines }}
        group by order_key
    )

    select
        o.order_key,
        o.total_jpy,
        l.lines_jpy,
        o.shipping_jpy
    from {{ model }} as o
    left join line_sums as l on o.order_key = l.order_key
    where
        o.is_amount_known
        and (
            coalesce(l.lines_jpy, 0) + o.shipping_jpy != o.total_jpy
            or o.subtotal_jpy - o.discount_jpy + o.shipping_jpy != o.total_jpy
            or coalesce(l.discount_jpy, 0) != o.discount_jpy
        )
{% endtest %}
