-- What each channel currently offers (was last told): Shopify's available per location, FBA's
-- fulfillable, Rakuten's inventory quantity. Shopify names inventory items, not SKUs, and no
-- Shopify product (variant) data is landed yet, so its rows keep the item id and a null SKU.
-- A listing at a location seeds/inventory_locations.csv does not list (or a Shopify location it
-- does not map), or of a SKU the catalogue does not know, is kept and flagged (data_flag
-- 'unknown_location', 'unknown_sku'); the availability mart reads only known locations.
with

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

shopify_levels as (
    select * from {{ ref('stg_shopify__inventory_levels') }}
),

shop_variants as (
    select * from {{ ref('stg_shopify__product_variants') }}
),

locations as (
    select * from {{ ref('inventory_locations') }}
),

fba as (
    select * from {{ ref('stg_amazon__inventory_summaries') }}
),

rakuten as (
    select * from {{ ref('stg_rakuten__inventories') }}
),

channel_locations as (
    select * from {{ ref('inventory_channel_buffers') }}
),

shopify as (
    select
        'shopify' as channel,
        shop_variants.sku,
        cast(shopify_levels.inventory_item_id as varchar) as channel_item_id,
        locations.location_id,
        shopify_levels.available as listed_quantity,
        shopify_levels.updated_at as as_of
    from shopify_levels
    left join locations on shopify_levels.shopify_location_id = locations.shopify_location_id
    left join shop_variants on shopify_levels.inventory_item_id = shop_variants.inventory_item_id
),

amazon as (
    select
        'amazon' as channel,
        seller_sku as sku,
        -- the seller SKU, not the fnSku: several seller SKUs can share one fnSku (Amazon's
        -- documented example lists two SKUs under the fnSku B0020MLK00)
        seller_sku as channel_item_id,
        'FBA-JP' as location_id,
        fulfillable_quantity as listed_quantity,
        updated_at as as_of
    from fba
),

rakuten_listed as (
    select
        'rakuten' as channel,
        -- the shop's variant ids are its SKUs in lower case
        upper(rakuten.variant_id) as sku,
        rakuten.inventory_key as channel_item_id,
        channel_locations.location_id,
        rakuten.quantity as listed_quantity,
        rakuten.updated_at as as_of
    from rakuten
    left join channel_locations on channel_locations.channel = 'rakuten'
),

unioned as (
    select * from shopify
    union all
    select * from amazon
    union all
    select * from rakuten_listed
),

final as (
    select
        channel || ':' || coalesce(location_id, '?') || ':' || channel_item_id as listing_key,
        channel,
        sku,
        channel_item_id,
        location_id,
        listed_quantity,
        as_of,
        nullif(concat_ws(
            ', ',
            case
                when not coalesce(location_id in (select locations.location_id from locations), false)
                    then 'unknown_location'
            end,
            case when sku not in (select catalogue.sku from catalogue) then 'unknown_sku' end
        ), '') as data_flag
    from unioned
)

select * from final
