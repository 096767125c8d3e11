{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('amazon', 'orders')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'amazon' as channel,
        _record_key as channel_order_id,
        {{ json_text(raw_doc, '$.AmazonOrderId') }} as order_name,
        -- the Orders API hides the buyer's id; the relay address is stable per buyer
        nullif({{ json_text(raw_doc, '$.BuyerInfo.BuyerEmail') }}, '') as channel_customer_id,
        {{ json_text(raw_doc, '$.OrderStatus') }} as order_status,
        {{ json_text(raw_doc, '$.FulfillmentChannel') }} as fulfillment_channel,
        -- Amazon fulfils AFN orders from FBA; the seller ships MFN ones itself
        case {{ json_text(raw_doc, '$.FulfillmentChannel') }}
            when 'AFN' then 'FBA-JP'
            when 'MFN' then '{{ var("orders_mfn_location_id", "WH-TOKYO") }}'
        end as location_id,
        {{ json_text(raw_doc, '$.PaymentMethod') }} as amazon_payment_method,
        {{ json_text(raw_doc, '$.PaymentMethodDetails[0]') }} as payment_method_detail,
        {{ json_text(raw_doc, '$.OrderTotal.CurrencyCode') }} as currency,
        {{ json_money(raw_doc, '$.OrderTotal.Amount') }} as total_jpy,
        {{ json_int(raw_doc, '$.NumberOfItemsShipped') }} as items_shipped,
        {{ json_int(raw_doc, '$.NumberOfItemsUnshipped') }} as items_unshipped,
        {{ json_ts(raw_doc, '$.PurchaseDate') }} as ordered_at,
        {{ json_ts(raw_doc, '$.LastUpdateDate') }} as updated_at,
        {{ json_ts(raw_doc, '$.LatestShipDate') }} as latest_ship_at,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        *,
        case payment_method_detail
            when 'CreditCard' then 'credit_card'
            when 'ConvenienceStore' then 'konbini'
            when 'COD' then 'cod'
            else lower(payment_method_detail)
        end as payment_method,
        -- Amazon shows an order's state, not when it changed: LastUpdateDate dates the change
        order_status in ('Unshipped', 'PartiallyShipped', 'Shipped') and payment_method_detail != 'COD'
        or order_status = 'Shipped' as is_paid,
        case when order_status = 'Shipped' then updated_at end as shipped_at,
        case when order_status = 'Canceled' then updated_at end as cancelled_at
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
