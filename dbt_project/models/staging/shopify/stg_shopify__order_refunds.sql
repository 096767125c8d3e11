{#- One row per refund of an order's latest version, with or without refund lines: a refund of
    shipping only or a goodwill refund has no lines, only `order_adjustments` and transactions.

    refund_jpy is what the refund gave back in the shop's currency. Shopify's REST transactions
    carry their amount in the buyer's presentment currency (`currency`), so they are summed only
    when that is the shop's own; otherwise the refund is its lines and adjustments in
    `shop_money`: each line's subtotal (plus its tax where prices exclude tax), less each
    adjustment (a shipping refund is a negative adjustment, a refund_discrepancy a positive one
    when less was paid back than the lines are worth). -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'orders')) }}
),

refunds as (
    select
        _record_key as channel_order_id,
        {{ json_text('_raw', '$.currency') }} as shop_currency,
        coalesce(cast({{ json_text('_raw', '$.taxes_included') }} as boolean), false) as taxes_included,
        {{ json_each('_raw', '$.refunds') }} as refund,
        _record_updated_at,
        _loaded_at,
        _load_id
    from source
),

renamed as (
    {%- set refund_doc = json_document('refund') %}
    select
        'shopify' as channel,
        channel_order_id,
        shop_currency,
        taxes_included,
        {{ json_text(refund_doc, '$.id') }} as refund_id,
        {{ json_text(refund_doc, '$.note') }} as note,
        {{ json_ts(refund_doc, '$.created_at') }} as created_at,
        {{ json_ts(refund_doc, '$.processed_at') }} as processed_at,
        refund,
        _record_updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(refund_doc, 'refunds') }}
),

line_items as (
    select
        refund_id,
        taxes_included,
        {{ json_each('refund', '$.refund_line_items') }} as refund_line
    from renamed
),

lines as (
    {%- set line_doc = json_document('refund_line') %}
    select
        refund_id,
        count(*) as refund_lines,
        bool_or({{ json_text(line_doc, '$.restock_type') }} = 'cancel') as is_cancellation,
        sum({{ shopify_money_with_tax(line_doc, 'subtotal', 'total_tax', 'taxes_included') }}) as lines_jpy
    from {{ json_parsed(line_doc, 'line_items') }}
    group by refund_id
),

adjustment_items as (
    select
        refund_id,
        taxes_included,
        {{ json_each('refund', '$.order_adjustments') }} as adjustment
    from renamed
),

adjustments as (
    {%- set adjustment_doc = json_document('adjustment') %}
    select
        refund_id,
        sum(
            case when {{ json_text(adjustment_doc, '$.kind') }} = 'shipping_refund' then 1 else 0 end
        ) as shipping_refunds,
        -sum(
            {{ shopify_money_with_tax(adjustment_doc, 'amount', 'tax_amount', 'taxes_included') }}
        ) as adjustments_jpy
    from {{ json_parsed(adjustment_doc, 'adjustment_items') }}
    group by refund_id
),

transaction_items as (
    select
        refund_id,
        shop_currency,
        {{ json_each('refund', '$.transactions') }} as refund_transaction
    from renamed
),

transactions as (
    {%- set transaction_doc = json_document('refund_transaction') %}
    {%- set is_refund -%}
        {{ json_text(transaction_doc, '$.kind') }} = 'refund' and {{ json_text(transaction_doc, '$.status') }} = 'success'
    {%- endset %}
    {%- set currency = json_text(transaction_doc, '$.currency') %}
    select
        refund_id,
        -- the money that moved, if every refund transaction that succeeded is in the shop's currency
        case
            when bool_and(case when {{ is_refund }} then coalesce({{ currency }}, shop_currency) = shop_currency end)
                then sum(case when {{ is_refund }} then {{ json_money(transaction_doc, '$.amount') }} end)
        end as transactions_jpy
    from {{ json_parsed(transaction_doc, 'transaction_items') }}
    group by refund_id
),

final as (
    select
        r.channel,
        r.channel_order_id,
        r.refund_id,
        r.note,
        r.created_at,
        r.processed_at,
        coalesce(l.refund_lines, 0) as refund_lines,
        coalesce(a.shipping_refunds, 0) > 0 as refunds_shipping,
        coalesce(l.is_cancellation, false) as is_cancellation,
        coalesce(l.lines_jpy, 0) as lines_jpy,
        coalesce(a.adjustments_jpy, 0) as adjustments_jpy,
        t.transactions_jpy,
        coalesce(t.transactions_jpy, coalesce(l.lines_jpy, 0) + coalesce(a.adjustments_jpy, 0)) as refund_jpy,
        r._record_updated_at,
        r._loaded_at,
        r._load_id,
        {{ landed_through() }} as _landed_through
    from renamed as r
    left join lines as l on r.refund_id = l.refund_id
    left join adjustments as a on r.refund_id = a.refund_id
    left join transactions as t on r.refund_id = t.refund_id
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
