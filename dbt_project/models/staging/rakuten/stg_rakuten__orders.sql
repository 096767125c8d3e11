{#- RMS rewrites an order in place when part of it is returned (the items' units and
    requestPrice drop; no amount of the change is kept), so what was first ordered is only in
    an earlier landed version: the first version's amounts are kept beside the latest ones.
    When the first landed version already shows the return, the original total is unknown
    and `first_*` equal the latest amounts (has_unobserved_returns says so).
    Incremental: every version landed since the last build is later than the ones built, so an
    order built before keeps the first version's amounts its built row holds. -#}
{%- set first_amounts = [
    'first_request_price_jpy', 'first_goods_price_jpy', 'first_coupon_jpy', 'first_order_progress'
] -%}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    select * from {{ landed_since_built('rakuten', 'orders') }}
),

versions as (
    {%- set raw_doc = json_document('_raw', alias='_first_amount_fields') %}
    select
        * exclude (_first_amount_fields),
        first_value({{ json_money(raw_doc, '$.requestPrice') }}) over (
            partition by _record_key order by _loaded_at, _load_id, _record_updated_at
        ) as first_request_price_jpy,
        first_value({{ json_money(raw_doc, '$.goodsPrice') }}) over (
            partition by _record_key order by _loaded_at, _load_id, _record_updated_at
        ) as first_goods_price_jpy,
        first_value({{ json_money(raw_doc, '$.couponAllTotalPrice') }}) over (
            partition by _record_key order by _loaded_at, _load_id, _record_updated_at
        ) as first_coupon_jpy,
        first_value({{ json_int(raw_doc, '$.orderProgress') }}) over (
            partition by _record_key order by _loaded_at, _load_id, _record_updated_at
        ) as first_order_progress
    from {{ json_parsed(raw_doc, 'source') }}
),

latest as (
    {{ latest_version('versions') }}
),

built as (
    -- the first version's amounts of the orders built before: none in a full build
    select
        {{ 'channel_order_id' if is_incremental() else '_record_key' }} as channel_order_id,  -- noqa: AL09
        {{ first_amounts | join(', ') }}
    from {{ this if is_incremental() else 'latest' }}
    where {{ 'true' if is_incremental() else 'false' }}
),

with_first_amounts as (
    -- null is a first amount too: a built order keeps whatever its first version showed
    select
        latest.* exclude ({{ first_amounts | join(', ') }}),
    {%- for column in first_amounts %}
        case
            when built.channel_order_id is null then latest.{{ column }}
            else built.{{ column }}
        end as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from latest
    left join built on latest._record_key = built.channel_order_id
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'rakuten' as channel,
        _record_key as channel_order_id,
        {{ json_text(raw_doc, '$.orderNumber') }} as order_name,
        nullif({{ json_text(raw_doc, '$.OrdererModel.emailAddress') }}, '') as channel_customer_id,
        {{ json_int(raw_doc, '$.orderProgress') }} as order_progress,
        {{ json_int(raw_doc, '$.SettlementModel.settlementMethodCode') }} as settlement_method_code,
        {{ json_text(raw_doc, '$.SettlementModel.settlementMethod') }} as settlement_method,
        {{ json_ts(raw_doc, '$.orderDatetime') }} as ordered_at,
        {{ json_ts(raw_doc, '$.shopOrderCfmDatetime') }} as confirmed_at,
        {{ json_ts(raw_doc, '$.shippingCmplRptDatetime') }} as shipped_at,
        {{ json_int(raw_doc, '$.goodsPrice') }} as goods_price_jpy,
        {{ json_int(raw_doc, '$.postagePrice') }} + coalesce({{ json_int(raw_doc, '$.deliveryPrice') }}, 0)
        + coalesce({{ json_int(raw_doc, '$.paymentCharge') }}, 0) as shipping_jpy,
        {{ json_int(raw_doc, '$.couponAllTotalPrice') }} as coupon_jpy,
        {{ json_int(raw_doc, '$.totalPrice') }} as total_price_jpy,
        {{ json_int(raw_doc, '$.requestPrice') }} as request_price_jpy,
        {{ json_int(raw_doc, '$.TaxSummaryModelList[0].reqPriceTax') }} as request_tax_jpy,
        {{ json_text(raw_doc, '$.CouponModelList[0].couponCode') }} as coupon_code,
        {{ json_int(raw_doc, '$.CouponModelList[0].couponCapitalCode') }} as coupon_capital_code,
        {{ json_text(raw_doc, '$.memo') }} as memo,
        -- RMS books changes (cancellations, returns) here: the first and the latest of them
        coalesce(json_array_length({{ json_text(raw_doc, '$.ChangeReasonModelList') }}), 0) as change_count,
        -- every change, as JSON, for stg_rakuten__refunds
        {{ json_text(raw_doc, '$.ChangeReasonModelList') }} as change_reasons,
        {{ json_int(raw_doc, '$.ChangeReasonModelList[0].changeType') }} as change_type,
        {{ json_int(raw_doc, '$.ChangeReasonModelList[0].changeReason') }} as change_reason,
        {{ json_int(raw_doc, '$.ChangeReasonModelList[0].changeReasonDetail') }} as change_reason_detail,
        {{ json_ts(raw_doc, '$.ChangeReasonModelList[0].changeApplyDatetime') }} as change_applied_at,
        {{ json_ts(raw_doc, '$.ChangeReasonModelList[#-1].changeFixDatetime') }} as change_fixed_at,
        first_request_price_jpy,
        first_goods_price_jpy,
        first_coupon_jpy,
        first_order_progress,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'with_first_amounts') }}
),

final as (
    select
        *,
        'WH-TOKYO' as location_id,
        'JPY' as currency,
        case settlement_method_code
            when 1 then 'credit_card'
            when 2 then 'cod'
            when 9 then 'bank_transfer'
            when 14 then 'konbini'
            else 'other'
        end as payment_method,
        -- 2 キャンセル完了 before shipping is a cancellation; after shipping, a full return
        change_type = 2 and shipped_at is null as is_cancelled,
        change_type = 2 and shipped_at is not null as is_fully_returned,
        change_type = 6 and change_count > 0 as has_partial_returns,
        change_type = 6 and first_request_price_jpy = request_price_jpy as has_unobserved_returns,
        case
            when change_type = 2 and shipped_at is null
                then case change_reason_detail
                    when 1 then 'customer'
                    when 4 then 'payment_timeout'
                    when 8 then 'out_of_stock'
                    when 14 then 'fraud'
                    else 'other'
                end
        end as cancel_reason,
        case when change_type = 2 and shipped_at is null then change_fixed_at end as cancelled_at,
        -- 700 支払手続き済 means delivered and paid; RMS keeps no delivery time
        order_progress = 700 or settlement_method_code = 1 and order_progress between 300 and 800 as is_paid,
        greatest(ordered_at, confirmed_at, shipped_at, change_fixed_at, _record_updated_at) as updated_at
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
