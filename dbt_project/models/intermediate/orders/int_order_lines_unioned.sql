{#- Every channel's order lines in one shape; line_total_jpy = unit_price * quantity - discount.
    Added beyond the contract: channel_line_id, current_quantity (what the channel still
    shows after returns, where it shows it), is_sku_known and data_flag.

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
        case when is_fully_returned then shop_coupon_jpy else first_shop_coupon_jpy end as coupon_jpy
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
        tax_jpy
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
        tax_jpy
    from amazon_lines
),

rakuten_allocated as (
    -- the shop's own coupons as ordered (int_orders_unioned's discount_jpy; Rakuten's coupons
    -- are paid to the shop and discount nothing of its revenue): spread over the lines by
    -- value, the rounding remainder on the first line, so that the lines add up to the order
    select
        l.*,
        o.coupon_jpy,
        sum(l.goods_jpy) over (partition by l.channel_order_id) as order_goods_jpy,
        o.coupon_jpy * l.goods_jpy // nullif(sum(l.goods_jpy) over (partition by l.channel_order_id), 0)
            as coupon_share_jpy
    from rakuten_lines as l
    inner join rakuten_orders as o on l.channel_order_id = o.channel_order_id
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
        (goods_jpy - discount_jpy) * 10 // 110 as tax_jpy
    from (
        select
            *,
            coalesce(coupon_share_jpy, 0)
            + case
                when line_number = 1
                    then
                        coalesce(coupon_jpy, 0)
                        - coalesce(sum(coupon_share_jpy) over (partition by channel_order_id), 0)
                else 0
            end as discount_jpy
        from rakuten_allocated
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
        tax_jpy
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
        tax_jpy
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
        is_sku_known,
        case when not is_sku_known then 'unknown_sku' end as data_flag
    from known
)

select * from final
