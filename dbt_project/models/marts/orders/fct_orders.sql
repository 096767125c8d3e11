{#- One row per order, every channel, with the order_status an OMS sorts by. Closed orders are
    cancelled, returned (every unit refunded), delivered or shipped; open ones are sorted by the
    rules in seeds/order_status_rules.csv (priority, on/off, review threshold), each rule's test
    written once in `conditions` below.

    Incremental (delete+insert by order_key): an order's row is built again when what it is
    made of changed (`_inputs_hash`: its unioned row, its lines and its refunds), and while it is
    open, since an open order's status also reads the stock, the catalogue and the rules. A
    post-hook forgets orders that left int_orders_unioned.

    data_flag says what is wrong with an order that is kept all the same (null: nothing): the
    flags of int_orders_unioned ('unknown_location', 'currency_not_jpy') and
    'lines_do_not_add_up' (where the channel shows amounts, its lines plus shipping and COD fee
    are not its total, or its subtotal less discount plus shipping and COD fee is not, or its lines' discounts are not
    its discount; the test order_lines_add_up_to_the_order_total lists them as a warning). -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="order_key",
        post_hook="{{ forget_gone_keys('order_key', ref('int_orders_unioned')) }}",
    )
}}

with

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

refunds as (
    select * from {{ ref('int_refunds_unioned') }}
),

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

stock_levels as (
    select * from {{ ref('int_stock_levels_unioned') }}
),

rules as (
    select * from {{ ref('order_status_rules') }}
    where enabled
),

-- what an order's closed status and amounts are made of: the hash of its unioned row, and the
-- sums of its lines' and refunds' hashes (an order's lines and refunds carry its order_key)
order_hashes as (
    select
        order_key,
        hash(*columns(*)) as row_hash
    from orders
),

line_hashes as (
    select
        order_key,
        sum(hash(*columns(*))) as lines_hash
    from order_lines
    group by order_key
),

refund_hashes as (
    select
        order_key,
        sum(hash(*columns(*))) as refunds_hash
    from refunds
    group by order_key
),

inputs as (
    select
        order_hashes.order_key,
        hash(
            order_hashes.row_hash, coalesce(line_hashes.lines_hash, 0), coalesce(refund_hashes.refunds_hash, 0)
        ) as inputs_hash
    from order_hashes
    left join line_hashes on order_hashes.order_key = line_hashes.order_key
    left join refund_hashes on order_hashes.order_key = refund_hashes.order_key
),

-- the rows built before (none in a full build)
built as (
    {{ built_columns({'order_key': 'varchar', 'is_open': 'boolean', '_inputs_hash': 'ubigint'}) }}
),

-- the orders to build: the new, the changed and the open ones (in a full build, all)
to_build as (
    select inputs.*
    from inputs
    left join built on inputs.order_key = built.order_key
    where built.order_key is null or built.is_open or built._inputs_hash != inputs.inputs_hash
),

orders_to_build as (
    select
        orders.*,
        to_build.inputs_hash
    from orders
    inner join to_build on orders.order_key = to_build.order_key
),

returned_lines as (
    select
        order_line_key,
        sum(quantity) as returned_units
    from refunds
    group by order_line_key
),

line_checks as (
    select
        l.order_key,
        -- units of stock: a custom item, tip or gift card line (is_stock_line false) is neither
        -- returned as goods nor waits for stock
        sum(case when l.is_stock_line is distinct from false then l.quantity else 0 end) as units,
        sum(l.line_total_jpy) as lines_jpy,
        sum(l.discount_jpy) as lines_discount_jpy,
        sum(coalesce(r.returned_units, 0)) as returned_units,
        bool_or(c.available_from > cast(timezone('Asia/Tokyo', o.ordered_at) as date)) as has_unreleased_sku,
        bool_or(l.is_stock_line is distinct from false and l.quantity > coalesce(s.on_hand, 0)) as lacks_stock
    from order_lines as l
    inner join orders_to_build as o on l.order_key = o.order_key
    left join catalogue as c on l.sku = c.sku
    left join stock_levels as s on o.location_id = s.location_id and l.sku = s.sku
    left join returned_lines as r on l.order_line_key = r.order_line_key
    group by l.order_key
),

closed_status as (
    select
        o.*,
        coalesce(lc.units, 0) as units,
        coalesce(lc.returned_units, 0) as returned_units,
        case
            when o.cancelled_at is not null then 'cancelled'
            when o.channel = 'rakuten' and o.channel_status = '900' and o.shipped_at is not null then 'returned'
            when lc.units > 0 and lc.returned_units >= lc.units then 'returned'
            when o.delivered_at is not null then 'delivered'
            when o.shipped_at is not null then 'shipped'
        end as closed_status,
        coalesce(lc.has_unreleased_sku, false) as has_unreleased_sku,
        coalesce(lc.lacks_stock, false) as lacks_stock,
        -- as orders_lines_add_up (macros/orders_tests.sql) tests it
        coalesce(
            o.is_amount_known
            and (
                coalesce(lc.lines_jpy, 0) + o.shipping_jpy != o.total_jpy
                or o.subtotal_jpy - o.discount_jpy + o.shipping_jpy != o.total_jpy
                or coalesce(lc.lines_discount_jpy, 0) != o.discount_jpy
            ),
            false
        ) as lines_do_not_add_up
    from orders_to_build as o
    left join line_checks as lc on o.order_key = lc.order_key
),

conditions as (
    -- what each rule of seeds/order_status_rules.csv tests, for open orders
    select
        o.order_key,
        r.order_status,
        r.priority
    from closed_status as o
    inner join rules as r
        on case r.order_status
            when 'on_hold_for_review' then o.total_jpy >= r.threshold_jpy
            when 'awaiting_payment'
                then not o.is_paid and coalesce(o.payment_method, '') not in ('cod', 'invoice')
            when 'preorder_awaiting_release' then o.has_unreleased_sku
            when 'awaiting_stock' then o.lacks_stock
            when 'ready_to_ship' then true
            else false
        end
    where o.closed_status is null
),

open_status as (
    select
        order_key,
        min_by(order_status, priority) as open_status
    from conditions
    group by order_key
),

final as (
    select
        o.order_key,
        o.channel,
        o.channel_order_id,
        o.order_name,
        o.identity_key,
        o.location_id,
        coalesce(o.closed_status, s.open_status) as order_status,
        o.closed_status is null as is_open,
        o.channel_status,
        o.fulfilment_status,
        o.ordered_at,
        cast(timezone('Asia/Tokyo', o.ordered_at) as date) as business_date,
        o.paid_at,
        o.shipped_at,
        o.delivered_at,
        o.cancelled_at,
        o.cancel_reason,
        o.payment_method,
        o.promo_code,
        o.currency,
        o.subtotal_jpy,
        o.discount_jpy,
        o.shipping_jpy,
        o.tax_jpy,
        o.total_jpy,
        o.points_jpy,
        o.channel_funded_discount_jpy,
        o.cod_fee_jpy,
        o.refunded_jpy,
        o.returned_jpy,
        o.total_jpy - o.refunded_jpy as net_jpy,
        o.units,
        o.returned_units,
        o.is_paid,
        o.is_amount_known,
        o.has_unobserved_returns,
        nullif(concat_ws(
            ', ', o.data_flag, case when o.lines_do_not_add_up then 'lines_do_not_add_up' end
        ), '') as data_flag,
        o.updated_at,
        o._loaded_at,
        o.inputs_hash as _inputs_hash,
        {{ build_started_at() }} as _built_at
    from closed_status as o
    left join open_status as s on o.order_key = s.order_key
)

select * from final
