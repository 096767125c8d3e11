{#- Every channel's orders in one shape (dbt_project/README.md, the intermediate contract).
    Added beyond the contract: is_paid (several channels show that an order is paid, not when),
    is_amount_known (Amazon shows no amounts on pending and cancelled orders),
    has_unobserved_returns (Rakuten rewrote the order before it was first landed, see
    stg_rakuten__orders), channel_status, fulfilment_status (Shopify: 'unfulfilled',
    'partially_fulfilled', 'fulfilled', 'cancelled'; null where the channel does not say) and returned_jpy (refunds of returns only; refunded_jpy
    also counts what a cancellation gave back); is_location_known and data_flag.

    An order the business cannot place is kept and flagged, never a reason to stop a build:
    data_flag says what is wrong with it ('unknown_location': a store or warehouse that
    seeds/inventory_locations.csv does not list, or none; 'currency_not_jpy'), null when
    nothing is. Demand leaves orders of unknown locations out (macros/demand_daily.sql). -#}
with

locations as (
    select * from {{ ref('inventory_locations') }}
),

shopify_orders as (
    select * from {{ ref('stg_shopify__orders') }}
),

shopify_refunds as (
    select * from {{ ref('stg_shopify__order_refunds') }}
),

shopify_locations as (
    select * from {{ ref('stg_shopify__locations') }}
),

amazon_orders as (
    select * from {{ ref('stg_amazon__orders') }}
),

amazon_lines as (
    select * from {{ ref('stg_amazon__order_lines') }}
),

amazon_refunds as (
    select * from {{ ref('stg_amazon__refunds') }}
),

rakuten_orders as (
    select
        *,
        -- What was ordered. RMS books a full return as a cancellation, which shows the order's
        -- own amounts again, even where the first landed version showed an earlier partial
        -- return with reduced ones; otherwise the first landed version has them.
        case
            when is_fully_returned then goods_price_jpy else first_goods_price_jpy
        end as ordered_goods_price_jpy,
        case when is_fully_returned then shop_coupon_jpy else first_shop_coupon_jpy end as ordered_shop_coupon_jpy,
        case when is_fully_returned then shipping_jpy else first_postage_jpy end as ordered_shipping_jpy,
        case when is_fully_returned then tax_jpy else first_tax_jpy end as ordered_tax_jpy,
        case when is_fully_returned then points_jpy else first_points_jpy end as ordered_points_jpy,
        case
            when is_fully_returned then rakuten_coupon_jpy else first_rakuten_coupon_jpy
        end as ordered_rakuten_coupon_jpy,
        case when is_fully_returned then cod_fee_jpy else first_cod_fee_jpy end as ordered_cod_fee_jpy,
        case
            when is_fully_returned then order_value_jpy else first_order_value_jpy
        end as ordered_value_jpy
    from {{ ref('stg_rakuten__orders') }}
),

pos_orders as (
    select * from {{ ref('stg_pos__orders') }}
),

pos_refunds as (
    select * from {{ ref('stg_pos__refunds') }}
),

wholesale_orders as (
    select * from {{ ref('stg_wholesale__orders') }}
),

shopify_refund_totals as (
    -- every refund, with lines or without (shipping only, goodwill), in the shop's currency;
    -- returns are the refunds of returned lines, not of a cancellation
    select
        channel_order_id,
        sum(refund_jpy) as refunded_jpy,
        sum(case when refund_lines > 0 and not is_cancellation then refund_jpy else 0 end) as returned_jpy
    from shopify_refunds
    group by channel_order_id
),

shopify_location_ids as (
    -- a Shopify location number to ichigen's id: the seed's shopify_location_id, else the seed
    -- location named as the landed Shopify location is
    select
        shopify_location_id,
        min_by(location_id, priority) as location_id
    from (
        select
            shopify_location_id,
            location_id,
            1 as priority
        from locations
        where shopify_location_id is not null
        union all
        select
            landed.shopify_location_id,
            locations.location_id,
            2 as priority
        from shopify_locations as landed
        inner join locations on landed.location_name = locations.location_name
    ) as candidates
    group by shopify_location_id
),

shopify as (
    select
        o.channel,
        o.channel_order_id,
        o.order_name,
        o.channel_customer_id,
        -- where the order is taken (POS) or was shipped from; a web order neither names gets the
        -- configured web location (ICHIGEN_SHOPIFY_WEB_LOCATION); a number ichigen cannot map
        -- stays visible as shopify:<number>, flagged unknown_location
        case
            when coalesce(o.shopify_location_id, o.fulfilled_from_location_id) is null
                then '{{ var("shopify_web_location", "WH-TOKYO") }}'
            else
                coalesce(
                    l.location_id,
                    'shopify:' || cast(coalesce(o.shopify_location_id, o.fulfilled_from_location_id) as varchar)
                )
        end as location_id,
        o.ordered_at,
        -- a gateway that captures at checkout is paid when the order is processed; konbini, bank
        -- transfer and cash on delivery are paid later, at a time the order does not show
        case
            when o.is_paid and coalesce(o.payment_method, '') not in ('konbini', 'bank_transfer', 'cod')
                then o.processed_at
        end as paid_at,
        o.shipped_at,
        o.delivered_at,
        o.cancelled_at,
        -- Shopify's cancel reasons in ichigen's words (the Rakuten and world vocabulary); a
        -- reason ichigen has no word for ('staff') is 'other'
        case
            when o.cancel_reason = 'declined' then 'payment_timeout'
            when o.cancel_reason = 'inventory' then 'out_of_stock'
            when o.cancel_reason in ('customer', 'fraud', 'other') then o.cancel_reason
            when o.cancel_reason is not null then 'other'
        end as cancel_reason,
        o.payment_method,
        o.promo_code,
        o.currency,
        o.subtotal_jpy,
        o.discount_jpy,
        o.shipping_jpy,
        o.tax_jpy,
        o.total_jpy,
        0 as points_jpy,
        0 as channel_funded_discount_jpy,
        0 as cod_fee_jpy,
        coalesce(r.refunded_jpy, 0) as refunded_jpy,
        coalesce(r.returned_jpy, 0) as returned_jpy,
        o.is_paid,
        true as is_amount_known,
        false as has_unobserved_returns,
        coalesce(o.financial_status, '') || '/' || coalesce(o.fulfillment_status, 'unfulfilled') as channel_status,
        o.fulfilment_status,
        o.updated_at,
        o._loaded_at
    from shopify_orders as o
    left join shopify_refund_totals as r on o.channel_order_id = r.channel_order_id
    left join shopify_location_ids as l
        on coalesce(o.shopify_location_id, o.fulfilled_from_location_id) = l.shopify_location_id
),

amazon_line_totals as (
    select
        channel_order_id,
        sum(item_price_jpy) as subtotal_jpy,
        sum(discount_jpy) as discount_jpy,
        sum(shipping_jpy) - sum(shipping_discount_jpy) as shipping_jpy,
        sum(item_tax_jpy) - sum(discount_tax_jpy) + sum(shipping_tax_jpy) as tax_jpy,
        -- cash on delivery: the fee Amazon.co.jp charges the buyer, less its discount
        sum(cod_fee_jpy) - sum(cod_fee_discount_jpy) as cod_fee_jpy,
        max(promo_code) as promo_code
    from amazon_lines
    group by channel_order_id
),

amazon_refund_totals as (
    select
        channel_order_id,
        sum(refund_jpy) as refunded_jpy
    from amazon_refunds
    group by channel_order_id
),

amazon as (
    select
        o.channel,
        o.channel_order_id,
        o.order_name,
        o.channel_customer_id,
        o.location_id,
        o.ordered_at,
        cast(null as timestamptz) as paid_at,
        o.shipped_at,
        cast(null as timestamptz) as delivered_at,
        o.cancelled_at,
        case when o.cancelled_at is not null then 'other' end as cancel_reason,
        o.payment_method,
        l.promo_code,
        coalesce(o.currency, 'JPY') as currency,
        l.subtotal_jpy,
        l.discount_jpy,
        l.shipping_jpy,
        l.tax_jpy,
        -- Amazon's OrderTotal includes the COD fee; ichigen keeps fees apart from the order's
        -- value on every channel (cod_fee_jpy)
        o.total_jpy - coalesce(l.cod_fee_jpy, 0) as total_jpy,
        0 as points_jpy,
        0 as channel_funded_discount_jpy,
        l.cod_fee_jpy,
        coalesce(r.refunded_jpy, 0) as refunded_jpy,
        coalesce(r.refunded_jpy, 0) as returned_jpy,
        o.is_paid,
        o.total_jpy is not null as is_amount_known,
        false as has_unobserved_returns,
        o.order_status as channel_status,
        cast(null as varchar) as fulfilment_status,
        o.updated_at,
        o._loaded_at
    from amazon_orders as o
    left join amazon_line_totals as l on o.channel_order_id = l.channel_order_id
    left join amazon_refund_totals as r on o.channel_order_id = r.channel_order_id
),

rakuten as (
    -- total_jpy is what the shop is paid for goods and postage: RMS's goodsPrice + postagePrice
    -- less the shop's own coupons. Points and Rakuten's coupons are part of it (Rakuten pays
    -- them to the shop); the COD fee is not (cod_fee_jpy).
    select
        channel,
        channel_order_id,
        order_name,
        channel_customer_id,
        location_id,
        ordered_at,
        case when is_paid and payment_method = 'credit_card' then ordered_at end as paid_at,
        shipped_at,
        cast(null as timestamptz) as delivered_at,
        cancelled_at,
        cancel_reason,
        payment_method,
        case when coupon_capital_code = 1 then coupon_code end as promo_code,
        currency,
        ordered_goods_price_jpy as subtotal_jpy,
        ordered_shop_coupon_jpy as discount_jpy,
        ordered_shipping_jpy as shipping_jpy,
        ordered_tax_jpy as tax_jpy,
        ordered_value_jpy as total_jpy,
        ordered_points_jpy as points_jpy,
        ordered_rakuten_coupon_jpy as channel_funded_discount_jpy,
        ordered_cod_fee_jpy as cod_fee_jpy,
        -- null while RMS shows an amount as -9999 (not determined yet): nothing refunded then
        coalesce(case
            when is_fully_returned then order_value_jpy - shipping_jpy
            else first_order_value_jpy - order_value_jpy
        end, 0) as refunded_jpy,
        coalesce(case
            when is_fully_returned then order_value_jpy - shipping_jpy
            else first_order_value_jpy - order_value_jpy
        end, 0) as returned_jpy,
        is_paid,
        ordered_value_jpy is not null as is_amount_known,
        has_unobserved_returns,
        cast(order_progress as varchar) as channel_status,
        cast(null as varchar) as fulfilment_status,
        updated_at,
        _loaded_at
    from rakuten_orders
),

pos_refund_totals as (
    select
        channel_order_id,
        sum(refund_jpy) as refunded_jpy,
        max(refunded_at) as last_refunded_at
    from pos_refunds
    group by channel_order_id
),

pos as (
    -- a till sale is paid and handed over at the counter
    select
        o.channel,
        o.channel_order_id,
        o.order_name,
        o.channel_customer_id,
        o.location_id,
        o.ordered_at,
        o.ordered_at as paid_at,
        o.ordered_at as shipped_at,
        o.ordered_at as delivered_at,
        cast(null as timestamptz) as cancelled_at,
        cast(null as varchar) as cancel_reason,
        cast(null as varchar) as payment_method,
        cast(null as varchar) as promo_code,
        'JPY' as currency,
        o.subtotal_jpy,
        o.discount_jpy,
        0 as shipping_jpy,
        o.total_jpy * 10 // 110 as tax_jpy,
        o.total_jpy,
        0 as points_jpy,
        0 as channel_funded_discount_jpy,
        0 as cod_fee_jpy,
        coalesce(r.refunded_jpy, 0) as refunded_jpy,
        coalesce(r.refunded_jpy, 0) as returned_jpy,
        true as is_paid,
        true as is_amount_known,
        false as has_unobserved_returns,
        case when r.refunded_jpy is not null then '返品あり' else '売上' end as channel_status,
        cast(null as varchar) as fulfilment_status,
        greatest(o.ordered_at, r.last_refunded_at) as updated_at,
        o._loaded_at
    from pos_orders as o
    left join pos_refund_totals as r on o.channel_order_id = r.channel_order_id
),

wholesale as (
    select
        channel,
        channel_order_id,
        order_name,
        channel_customer_id,
        location_id,
        ordered_at,
        cast(null as timestamptz) as paid_at,
        cast(null as timestamptz) as shipped_at,
        cast(null as timestamptz) as delivered_at,
        -- the buyer's red slips (赤伝) cancelled every unit; one that cancels some lines leaves
        -- the order open with less ordered (stg_wholesale__order_lines)
        cancelled_at,
        -- a red slip is the buyer withdrawing its order; it gives no reason
        case when cancelled_at is not null then 'customer' end as cancel_reason,
        payment_method,
        cast(null as varchar) as promo_code,
        'JPY' as currency,
        subtotal_jpy,
        discount_jpy,
        0 as shipping_jpy,
        tax_jpy,
        total_jpy,
        0 as points_jpy,
        0 as channel_funded_discount_jpy,
        0 as cod_fee_jpy,
        -- what the buyer's return slips (返品伝票) credit it; an invoice is not paid before
        -- delivery, so a cancellation refunds nothing
        returned_jpy as refunded_jpy,
        returned_jpy,
        false as is_paid,
        true as is_amount_known,
        false as has_unobserved_returns,
        case
            when cancelled_at is not null then '赤伝'
            when returned_units > 0 then '返品あり'
            else 'sheet received'
        end as channel_status,
        cast(null as varchar) as fulfilment_status,
        updated_at,
        _loaded_at
    from wholesale_orders
),

unioned as (
    select * from shopify
    union all
    select * from amazon
    union all
    select * from rakuten
    union all
    select * from pos
    union all
    select * from wholesale
),

known as (
    select
        unioned.*,
        coalesce(unioned.location_id in (select locations.location_id from locations), false)
            as is_location_known
    from unioned
),

final as (
    select
        channel || ':' || channel_order_id as order_key,
        channel,
        channel_order_id,
        order_name,
        case when channel_customer_id is not null then channel || ':' || channel_customer_id end as identity_key,
        location_id,
        ordered_at,
        paid_at,
        shipped_at,
        delivered_at,
        cancelled_at,
        cancel_reason,
        payment_method,
        promo_code,
        currency,
        subtotal_jpy,
        discount_jpy,
        shipping_jpy,
        tax_jpy,
        total_jpy,
        points_jpy,
        channel_funded_discount_jpy,
        cod_fee_jpy,
        refunded_jpy,
        updated_at,
        _loaded_at,
        returned_jpy,
        is_paid,
        is_amount_known,
        has_unobserved_returns,
        channel_status,
        fulfilment_status,
        is_location_known,
        nullif(concat_ws(
            ', ',
            case when not is_location_known then 'unknown_location' end,
            case when currency != 'JPY' then 'currency_not_jpy' end
        ), '') as data_flag
    from known
)

select * from final
