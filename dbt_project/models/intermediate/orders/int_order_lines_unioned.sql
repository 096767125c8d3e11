{#- Every channel's order lines in one shape; line_total_jpy = unit_price * quantity - discount.
    Added beyond the contract: channel_line_id, current_quantity (what the channel still
    shows after returns, where it shows it), is_stock_line (false for Shopify's custom items,
    tips and gift cards: kept as lines, outside stock and demand), is_sku_known and data_flag.

    A line of a SKU the catalogue (int_catalogue) does not know is kept and flagged
    (data_flag 'unknown_sku'), never a reason to stop a build; demand leaves it out
    (macros/demand_daily.sql) until the catalogue knows the SKU. -#}
with

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

shopify_lines as (
    select * from {{ ref('stg_shopify__order_lines') }}
),

amazon_lines as (
    select * from {{ ref('stg_amazon__order_lines') }}
),

rakuten_lines as (
    select * from {{ ref('stg_rakuten__order_lines') }}
),

rakuten_orders as (
    select
        channel_order_id,
        case when is_fully_returned then shop_coupon_jpy else first_shop_coupon_jpy end as coupon_jpy,
        case when is_fully_returned then coupons else first_coupons end as ordered_coupons
    from {{ ref('stg_rakuten__orders') }}
),

pos_lines as (
    select * from {{ ref('stg_pos__order_lines') }}
),

wholesale_lines as (
    select * from {{ ref('stg_wholesale__order_lines') }}
),

shopify as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        line_number,
        sku,
        quantity,
        current_quantity,
        unit_price_jpy,
        discount_jpy,
        tax_jpy,
        is_stock_line
    from shopify_lines
),

amazon as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        line_number,
        sku,
        quantity,
        quantity as current_quantity,
        unit_price_jpy,
        discount_jpy,
        tax_jpy,
        true as is_stock_line
    from amazon_lines
),

rakuten_coupons as (
    select
        channel_order_id,
        {{ json_each('ordered_coupons', '$') }} as coupon
    from rakuten_orders
    where ordered_coupons is not null
),

rakuten_coupon_fields as (
    {%- set coupon_doc = json_document('coupon') %}
    select
        channel_order_id,
        {{ json_text(coupon_doc, '$.itemDetailId') }} as channel_line_id,
        {{ json_int(coupon_doc, '$.couponCapitalCode') }} as capital_code,
        {{ json_int(coupon_doc, '$.couponTotalPrice') }} as coupon_jpy
    from {{ json_parsed(coupon_doc, 'rakuten_coupons') }}
),

-- the shop's coupons of one item (CouponModel.itemDetailId, 0 for the whole order)
rakuten_item_coupons as (
    select
        channel_order_id,
        channel_line_id,
        sum(coupon_jpy) as item_coupon_jpy
    from rakuten_coupon_fields
    where capital_code = 1 and channel_line_id != '0'
    group by channel_order_id, channel_line_id
),

rakuten_allocated as (
    -- the shop's own coupons as ordered (int_orders_unioned's discount_jpy; Rakuten's coupons
    -- are paid to the shop and discount nothing of its revenue): a coupon of one item goes to
    -- its line, the rest is spread over the lines by value, the rounding remainder on the
    -- first line, so that the lines add up to the order
    select
        l.*,
        coalesce(c.item_coupon_jpy, 0) as item_coupon_jpy,
        o.coupon_jpy - coalesce(sum(c.item_coupon_jpy) over (partition by l.channel_order_id), 0)
            as order_coupon_jpy
    from rakuten_lines as l
    inner join rakuten_orders as o on l.channel_order_id = o.channel_order_id
    left join rakuten_item_coupons as c
        on l.channel_order_id = c.channel_order_id and l.channel_line_id = c.channel_line_id
),

rakuten_shares as (
    select
        *,
        order_coupon_jpy * goods_jpy // nullif(sum(goods_jpy) over (partition by channel_order_id), 0)
            as coupon_share_jpy
    from rakuten_allocated
),

rakuten as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        line_number,
        sku,
        quantity,
        current_units as current_quantity,
        unit_price_jpy,
        discount_jpy,
        -- the item's own rate (10%, or the reduced 8%), to the nearest yen as RMS rounds
        cast(round((goods_jpy - discount_jpy) * coalesce(tax_rate, 0.1) / (1 + coalesce(tax_rate, 0.1))) as bigint)
            as tax_jpy,
        true as is_stock_line
    from (
        select
            *,
            item_coupon_jpy
            + coalesce(coupon_share_jpy, 0)
            + case
                when line_number = 1
                    then
                        coalesce(order_coupon_jpy, 0)
                        - coalesce(sum(coupon_share_jpy) over (partition by channel_order_id), 0)
                else 0
            end as discount_jpy
        from rakuten_shares
    ) as allocated
),

pos as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        line_number,
        sku,
        quantity,
        quantity as current_quantity,
        unit_price_jpy,
        discount_jpy,
        tax_jpy,
        true as is_stock_line
    from pos_lines
),

wholesale as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        line_number,
        sku,
        quantity,
        quantity as current_quantity,
        unit_price_jpy,
        discount_jpy,
        tax_jpy,
        true as is_stock_line
    from wholesale_lines
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
        coalesce(unioned.sku in (select catalogue.sku from catalogue), false) as is_sku_known
    from unioned
),

final as (
    select
        channel || ':' || channel_order_id || ':' || channel_line_id as order_line_key,
        channel || ':' || channel_order_id as order_key,
        channel,
        line_number,
        sku,
        quantity,
        unit_price_jpy,
        discount_jpy,
        tax_jpy,
        unit_price_jpy * quantity - discount_jpy as line_total_jpy,
        channel_line_id,
        current_quantity,
        is_stock_line,
        is_sku_known,
        case when is_stock_line and not is_sku_known then 'unknown_sku' end as data_flag
    from known
)

select * from final
