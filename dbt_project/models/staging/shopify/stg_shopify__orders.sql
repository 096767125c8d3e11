{#- One row per Shopify order, its latest landed version. Money is read in the shop's currency
    (`*_set.shop_money`, the legacy top-level strings where a set is missing), never in the
    buyer's presentment currency.

    Location: Shopify names a location only for orders taken at one (`location_id`: POS); a web
    order has `location_id: null` until a fulfillment names where it shipped from. Both numbers
    are kept here; int_orders_unioned maps them to ichigen's ids through the landed locations
    and gives an order with neither the configured web location (ICHIGEN_SHOPIFY_WEB_LOCATION).

    Fulfilment: only fulfillments with `status: success` ship anything (a `failure`, `error` or
    `cancelled` one does not). fulfilment_status compares the units those fulfillments carry
    with the units still to ship of the lines that need shipping; shipped_at is set only once
    every such unit has shipped, so a partial fulfilment keeps the order open. -#}
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

fulfillments as (
    select
        _record_key as channel_order_id,
        {{ json_each('_raw', '$.fulfillments') }} as fulfillment
    from source
),

successful_fulfillments as (
    {%- set fulfillment_doc = json_document('fulfillment') %}
    select
        channel_order_id,
        {{ json_int(fulfillment_doc, '$.location_id') }} as shopify_location_id,
        {{ json_ts(fulfillment_doc, '$.created_at') }} as created_at,
        {{ json_ts(fulfillment_doc, '$.updated_at') }} as updated_at,
        {{ json_text(fulfillment_doc, '$.shipment_status') }} as shipment_status,
        {{ json_text(fulfillment_doc, '$.status') }} as status,
        {{ json_each(fulfillment_doc, '$.line_items') }} as fulfilled_line
    from {{ json_parsed(fulfillment_doc, 'fulfillments') }}
),

fulfilled as (
    {%- set fulfilled_line_doc = json_document('fulfilled_line') %}
    select
        channel_order_id,
        min_by(shopify_location_id, created_at) as fulfilled_from_location_id,
        max(created_at) as last_fulfilled_at,
        max(updated_at) as last_fulfillment_updated_at,
        bool_and(coalesce(shipment_status = 'delivered', false)) as is_delivered,
        sum(
            case
                when coalesce({{ json_text(fulfilled_line_doc, '$.requires_shipping') }}, 'true') = 'true'
                    then {{ json_int(fulfilled_line_doc, '$.quantity') }}
                else 0
            end
        ) as fulfilled_units
    from {{ json_parsed(fulfilled_line_doc, 'successful_fulfillments') }}
    where status = 'success'
    group by channel_order_id
),

items as (
    select
        _record_key as channel_order_id,
        {{ json_each('_raw', '$.line_items') }} as item
    from source
),

to_ship as (
    {%- set item_doc = json_document('item') %}
    -- units of the lines that need shipping, less what left the order before it shipped
    select
        channel_order_id,
        sum(
            case
                when coalesce({{ json_text(item_doc, '$.requires_shipping') }}, 'true') = 'true'
                    then
                        coalesce(
                            {{ json_int(item_doc, '$.current_quantity') }},
                            {{ json_int(item_doc, '$.quantity') }}
                        )
                else 0
            end
        ) as units_to_ship
    from {{ json_parsed(item_doc, 'items') }}
    group by channel_order_id
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'shopify' as channel,
        source._record_key as channel_order_id,
        {{ json_text(raw_doc, '$.name') }} as order_name,
        {{ json_text(raw_doc, '$.customer.id') }} as channel_customer_id,
        {{ json_int(raw_doc, '$.location_id') }} as shopify_location_id,
        {{ json_text(raw_doc, '$.financial_status') }} as financial_status,
        {{ json_text(raw_doc, '$.fulfillment_status') }} as fulfillment_status,
        -- 2024-10 sends the gateways used as a list (`gateway` is gone): the first names the
        -- payment, the legacy field is read where an older version still sends it
        coalesce(
            nullif({{ json_text(raw_doc, '$.payment_gateway_names[0]') }}, ''),
            nullif({{ json_text(raw_doc, '$.gateway') }}, '')
        ) as gateway,
        {{ json_text(raw_doc, '$.cancel_reason') }} as cancel_reason,
        {{ json_text(raw_doc, '$.currency') }} as currency,
        {{ json_text(raw_doc, '$.presentment_currency') }} as presentment_currency,
        coalesce(cast({{ json_text(raw_doc, '$.taxes_included') }} as boolean), false) as taxes_included,
        {{ json_text(raw_doc, '$.note') }} as note,
        {{ json_ts(raw_doc, '$.created_at') }} as ordered_at,
        coalesce(
            {{ json_ts(raw_doc, '$.processed_at') }}, {{ json_ts(raw_doc, '$.created_at') }}
        ) as processed_at,
        {{ json_ts(raw_doc, '$.cancelled_at') }} as cancelled_at,
        {{ json_ts(raw_doc, '$.closed_at') }} as closed_at,
        {{ json_ts(raw_doc, '$.updated_at') }} as updated_at,
        {{ shopify_money(raw_doc, 'total_line_items_price') }} as subtotal_jpy,
        {{ shopify_money(raw_doc, 'total_discounts') }} as discount_jpy,
        coalesce(
            {{ json_money(raw_doc, '$.total_shipping_price_set.shop_money.amount') }}, 0
        ) as shipping_jpy,
        {{ shopify_money(raw_doc, 'total_tax') }} as tax_jpy,
        {{ shopify_money(raw_doc, 'total_price') }} as total_jpy,
        {{ json_money(raw_doc, '$.total_outstanding') }} as outstanding_jpy,
        {{ json_text(raw_doc, '$.discount_codes[0].code') }} as promo_code,
        source._record_updated_at,
        source._loaded_at,
        source._load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        r.*,
        f.fulfilled_from_location_id,
        case
            when r.cancelled_at is not null then 'cancelled'
            -- no fulfillment listed: Shopify's own summary of the lines ('partial', 'fulfilled')
            when f.channel_order_id is null
                then
                    case r.fulfillment_status
                        when 'fulfilled' then 'fulfilled'
                        when 'partial' then 'partially_fulfilled'
                        else 'unfulfilled'
                    end
            when f.fulfilled_units >= coalesce(s.units_to_ship, 0) then 'fulfilled'
            when f.fulfilled_units > 0 then 'partially_fulfilled'
            else 'unfulfilled'
        end as fulfilment_status,
        case
            when r.cancelled_at is null and f.fulfilled_units >= coalesce(s.units_to_ship, 0)
                then f.last_fulfilled_at
        end as shipped_at,
        case
            when
                r.cancelled_at is null
                and f.fulfilled_units >= coalesce(s.units_to_ship, 0)
                and f.is_delivered
                then f.last_fulfillment_updated_at
        end as delivered_at,
        case r.gateway
            when 'shopify_payments' then 'credit_card'
            when 'KOMOJU - Konbini' then 'konbini'
            when 'Cash on Delivery (COD)' then 'cod'
            when 'Bank Deposit' then 'bank_transfer'
            else r.gateway
        end as payment_method,
        r.financial_status in ('authorized', 'paid', 'partially_refunded', 'refunded') as is_paid
    from renamed as r
    left join fulfilled as f on r.channel_order_id = f.channel_order_id
    left join to_ship as s on r.channel_order_id = s.channel_order_id
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
