{#- Amounts as RMS defines them (getOrder OrderModel, see dbt_project/models/staging/rakuten's
    yml): the shop is paid goods + postage - the shop's own coupons (couponShopPrice); coupons of
    Rakuten or a maker (couponOtherPrice) and points (PointModel.usedPoint) are paid by the
    buyer with Rakuten's money, which Rakuten settles with the shop; the COD fee
    (paymentCharge, deliveryPrice) is charged on top; tax is RMS's own (TaxSummaryModelList,
    one entry per rate). -9999 is RMS's "not determined yet" and is read as null.

    RMS rewrites an order in place when part of it is returned (the items' units and the
    amounts drop; ChangeReasonModelList gets a 減額 change with dates but no amount or items),
    so what was first ordered is only in an earlier landed version: the first version's
    amounts are kept beside the latest ones. When the first landed version already shows a
    return (its first change is a 減額), what was ordered before it cannot be known from RMS:
    has_unobserved_returns says so and first_* equal what that version showed.
    Incremental: every version landed since the last build is later than the ones built, so an
    order built before keeps the first version's amounts its built row holds. -#}
{%- set first_amounts = [
    'first_request_price_jpy', 'first_goods_price_jpy', 'first_coupon_jpy', 'first_order_progress',
    'first_postage_jpy', 'first_shop_coupon_jpy', 'first_rakuten_coupon_jpy', 'first_points_jpy',
    'first_cod_fee_jpy', 'first_tax_jpy', 'first_change_type', 'first_coupons'
] -%}
{%- set amount_of_first = {
    'first_request_price_jpy': 'request_price_jpy',
    'first_goods_price_jpy': 'goods_price_jpy',
    'first_coupon_jpy': 'coupon_jpy',
    'first_order_progress': 'order_progress',
    'first_postage_jpy': 'shipping_jpy',
    'first_shop_coupon_jpy': 'shop_coupon_jpy',
    'first_rakuten_coupon_jpy': 'rakuten_coupon_jpy',
    'first_points_jpy': 'points_jpy',
    'first_cod_fee_jpy': 'cod_fee_jpy',
    'first_tax_jpy': 'tax_jpy',
    'first_change_type': 'change_type',
    'first_coupons': 'coupons',
} -%}
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

-- every landed version's amounts, parsed once
version_fields as (
    {%- set amount_doc = json_document('_raw', alias='_amount_fields') %}
    select
        * exclude (_amount_fields),
        nullif({{ json_int(amount_doc, '$.goodsPrice') }}, -9999) as goods_price_jpy,
        nullif({{ json_int(amount_doc, '$.postagePrice') }}, -9999) as shipping_jpy,
        nullif({{ json_int(amount_doc, '$.couponAllTotalPrice') }}, -9999) as coupon_jpy,
        nullif({{ json_int(amount_doc, '$.couponShopPrice') }}, -9999) as coupon_shop_field_jpy,
        nullif({{ json_int(amount_doc, '$.couponOtherPrice') }}, -9999) as coupon_other_field_jpy,
        coalesce({{ json_int(amount_doc, '$.PointModel.usedPoint') }}, 0) as points_jpy,
        nullif({{ json_int(amount_doc, '$.deliveryPrice') }}, -9999) as delivery_charge_jpy,
        nullif({{ json_int(amount_doc, '$.paymentCharge') }}, -9999) as payment_charge_jpy,
        nullif({{ json_int(amount_doc, '$.requestPrice') }}, -9999) as request_price_jpy,
        {{ json_int(amount_doc, '$.orderProgress') }} as order_progress,
        {{ json_int(amount_doc, '$.ChangeReasonModelList[0].changeType') }} as change_type,
        -- every coupon, as JSON: a coupon of one item (itemDetailId) discounts that line
        {{ json_text(amount_doc, '$.CouponModelList') }} as coupons,
        -- one TaxSummaryModel per rate: RMS has 10 %, the reduced 8 % and 0 %
        {{ json_int(amount_doc, '$.TaxSummaryModelList[0].reqPriceTax') }} as tax_rate_1_jpy,
        {{ json_int(amount_doc, '$.TaxSummaryModelList[1].reqPriceTax') }} as tax_rate_2_jpy,
        {{ json_int(amount_doc, '$.TaxSummaryModelList[2].reqPriceTax') }} as tax_rate_3_jpy
    from {{ json_parsed(amount_doc, 'source') }}
),

version_amounts as (
    select
        * exclude (
            coupon_shop_field_jpy, coupon_other_field_jpy, delivery_charge_jpy, payment_charge_jpy,
            tax_rate_1_jpy, tax_rate_2_jpy, tax_rate_3_jpy
        ),
        -- couponShopPrice is the coupons of couponCapitalCode 1; the rest are Rakuten's
        coalesce(coupon_shop_field_jpy, coupon_jpy - coalesce(coupon_other_field_jpy, 0)) as shop_coupon_jpy,
        coalesce(coupon_other_field_jpy, coupon_jpy - coupon_shop_field_jpy, 0) as rakuten_coupon_jpy,
        -- RMS charges a payment fee (決済手数料, formerly 代引料) only for cash on delivery
        coalesce(delivery_charge_jpy, 0) + coalesce(payment_charge_jpy, 0) as cod_fee_jpy,
        case
            when -9999 in (tax_rate_1_jpy, tax_rate_2_jpy, tax_rate_3_jpy) then null
            when tax_rate_1_jpy is not null
                then tax_rate_1_jpy + coalesce(tax_rate_2_jpy, 0) + coalesce(tax_rate_3_jpy, 0)
        end as tax_jpy
    from version_fields
),

versions as (
    select
        *,
    {%- for column in first_amounts %}
        {#- an amount RMS had not determined yet (null) is taken from the first version that shows it #}
        first_value({{ amount_of_first[column] }}{{ ' ignore nulls' if column.endswith('_jpy') }}) over first_landed
            as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from version_amounts
    window first_landed as (partition by _record_key order by _loaded_at, _load_id, _record_updated_at)
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
    -- a built order keeps whatever its first version showed (a status or change type may be
    -- null), and an amount not determined then is taken from the versions landed since
    select
        latest.* exclude ({{ first_amounts | join(', ') }}),
    {%- for column in first_amounts %}
        {%- set built_value = 'built.' ~ column %}
        case
            when built.channel_order_id is null then latest.{{ column }}
            else {{ 'coalesce(' ~ built_value ~ ', latest.' ~ column ~ ')' if 'jpy' in column else built_value }}
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
        order_progress,
        {{ json_int(raw_doc, '$.SettlementModel.settlementMethodCode') }} as settlement_method_code,
        {{ json_text(raw_doc, '$.SettlementModel.settlementMethod') }} as settlement_method,
        {{ json_ts(raw_doc, '$.orderDatetime') }} as ordered_at,
        {{ json_ts(raw_doc, '$.shopOrderCfmDatetime') }} as confirmed_at,
        {{ json_ts(raw_doc, '$.shippingCmplRptDatetime') }} as shipped_at,
        goods_price_jpy,
        shipping_jpy,
        coupon_jpy,
        shop_coupon_jpy,
        rakuten_coupon_jpy,
        points_jpy,
        cod_fee_jpy,
        tax_jpy,
        {{ json_int(raw_doc, '$.totalPrice') }} as total_price_jpy,
        request_price_jpy,
        coalesce(json_array_length({{ json_text(raw_doc, '$.PackageModelList') }}), 0) as package_count,
        coupons,
        {{ json_text(raw_doc, '$.CouponModelList[0].couponCode') }} as coupon_code,
        {{ json_int(raw_doc, '$.CouponModelList[0].couponCapitalCode') }} as coupon_capital_code,
        {{ json_text(raw_doc, '$.memo') }} as memo,
        -- RMS books changes (cancellations, returns) here: the first and the latest of them
        coalesce(json_array_length({{ json_text(raw_doc, '$.ChangeReasonModelList') }}), 0) as change_count,
        -- every change, as JSON, for stg_rakuten__refunds
        {{ json_text(raw_doc, '$.ChangeReasonModelList') }} as change_reasons,
        change_type,
        {{ json_int(raw_doc, '$.ChangeReasonModelList[0].changeReason') }} as change_reason,
        {{ json_int(raw_doc, '$.ChangeReasonModelList[0].changeReasonDetail') }} as change_reason_detail,
        {{ json_ts(raw_doc, '$.ChangeReasonModelList[0].changeApplyDatetime') }} as change_applied_at,
        {{ json_ts(raw_doc, '$.ChangeReasonModelList[#-1].changeFixDatetime') }} as change_fixed_at,
        {{ first_amounts | join(',\n        ') }},
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
        -- what the shop is paid for the order as RMS shows it now (COD fee apart)
        goods_price_jpy - shop_coupon_jpy + shipping_jpy as order_value_jpy,
        first_goods_price_jpy - first_shop_coupon_jpy + first_postage_jpy as first_order_value_jpy,
        -- 2 キャンセル完了 before shipping is a cancellation; after shipping, a full return
        change_type = 2 and shipped_at is null as is_cancelled,
        change_type = 2 and shipped_at is not null as is_fully_returned,
        change_type = 6 and change_count > 0 as has_partial_returns,
        -- the first landed version already showed a 減額: what was ordered before it is unknown
        coalesce(change_type = 6 and first_change_type = 6, false) as has_unobserved_returns,
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
