with

source as (
    {{ latest_version(source('amazon', 'refunds')) }}
),

events as (
    select
        _record_key as refund_event_id,
        {{ json_text('_raw', '$.AmazonOrderId') }} as channel_order_id,
        {{ json_ts('_raw', '$.PostedDate') }} as posted_at,
        {{ json_each('_raw', '$.ShipmentItemAdjustmentList') }} as adjustment,
        _loaded_at
    from source
),

adjustments as (
    select
        refund_event_id,
        channel_order_id,
        posted_at,
        {{ json_text('adjustment', '$.OrderAdjustmentItemId') }} as refund_line_id,
        {{ json_text('adjustment', '$.SellerSKU') }} as sku,
        {{ json_int('adjustment', '$.QuantityShipped') }} as quantity,
        {{ json_each('adjustment', '$.ItemChargeAdjustmentList') }} as charge,
        _loaded_at
    from events
),

charges as (
    select
        refund_event_id,
        channel_order_id,
        posted_at,
        refund_line_id,
        sku,
        quantity,
        {{ json_text('charge', '$.ChargeType') }} as charge_type,
        cast(round(try_cast({{ json_text('charge', '$.ChargeAmount.CurrencyAmount') }} as decimal(18, 2))) as bigint)
            as charge_jpy,
        _loaded_at
    from adjustments
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
