with

source as (
    {{ latest_version(source('amazon', 'refunds')) }}
),

events as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as refund_event_id,
        {{ json_text(raw_doc, '$.AmazonOrderId') }} as channel_order_id,
        {{ json_ts(raw_doc, '$.PostedDate') }} as posted_at,
        {{ json_each(raw_doc, '$.ShipmentItemAdjustmentList') }} as adjustment,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

adjustments as (
    {%- set adjustment_doc = json_document('adjustment') %}
    select
        refund_event_id,
        channel_order_id,
        posted_at,
        {{ json_text(adjustment_doc, '$.OrderAdjustmentItemId') }} as refund_line_id,
        {{ json_text(adjustment_doc, '$.SellerSKU') }} as sku,
        {{ json_int(adjustment_doc, '$.QuantityShipped') }} as quantity,
        {{ json_each(adjustment_doc, '$.ItemChargeAdjustmentList') }} as charge,
        _loaded_at
    from {{ json_parsed(adjustment_doc, 'events') }}
),

charges as (
    {%- set charge_doc = json_document('charge') %}
    select
        refund_event_id,
        channel_order_id,
        posted_at,
        refund_line_id,
        sku,
        quantity,
        {{ json_text(charge_doc, '$.ChargeType') }} as charge_type,
        cast(round(try_cast({{ json_text(charge_doc, '$.ChargeAmount.CurrencyAmount') }} as decimal(18, 2))) as bigint)
            as charge_jpy,
        _loaded_at
    from {{ json_parsed(charge_doc, 'adjustments') }}
),

final as (
    -- a refund is negative in Finances, split into Principal and Tax: their sum, negated
    select
        'amazon' as channel,
        refund_event_id,
        channel_order_id,
        refund_line_id,
        sku,
        quantity,
        posted_at,
        -sum(charge_jpy) as refund_jpy,
        -sum(case when charge_type = 'Tax' then charge_jpy else 0 end) as refund_tax_jpy,
        max(_loaded_at) as _loaded_at
    from charges
    group by refund_event_id, channel_order_id, refund_line_id, sku, quantity, posted_at
)

select * from final
