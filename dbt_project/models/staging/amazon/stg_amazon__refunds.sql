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
        try_cast({{ json_text(charge_doc, '$.ChargeAmount.CurrencyAmount') }} as decimal(18, 2))
            as charge_amount,
        _loaded_at
    from {{ json_parsed(charge_doc, 'adjustments') }}
),

final as (
    -- What goes back to the buyer is negative in Finances (Principal, Tax, ShippingCharge,
    -- ...); what the buyer pays on a return is positive (a RestockingFee, a PointsFee) and
    -- stays with the seller. The refund is their sum, negated: what the buyer got back. Sums
    -- are taken in the published decimals and rounded once, to the yen.
    select
        'amazon' as channel,
        refund_event_id,
        channel_order_id,
        refund_line_id,
        sku,
        quantity,
        posted_at,
        cast(round(-sum(charge_amount)) as bigint) as refund_jpy,
        cast(round(-sum(case when charge_type like '%Tax' then charge_amount else 0 end)) as bigint)
            as refund_tax_jpy,
        cast(round(sum(case when charge_type = 'RestockingFee' then charge_amount else 0 end)) as bigint)
            as restocking_fee_jpy,
        cast(round(sum(
            case when charge_amount > 0 and charge_type != 'RestockingFee' then charge_amount else 0 end
        )) as bigint) as other_buyer_charges_jpy,
        max(_loaded_at) as _loaded_at
    from charges
    group by refund_event_id, channel_order_id, refund_line_id, sku, quantity, posted_at
)

select * from final
