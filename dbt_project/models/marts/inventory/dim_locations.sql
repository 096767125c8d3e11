with

locations as (
    select * from {{ ref('inventory_locations') }}
),

stock as (
    select * from {{ ref('int_stock_levels_unioned') }}
),

stock_per_location as (
    select
        location_id,
        count(*) as skus_reported,
        max(as_of) as stock_as_of
    from stock
    group by location_id
),

final as (
    select
        locations.location_id,
        locations.location_name,
        locations.kind,
        locations.prefecture,
        locations.shopify_location_id,
        locations.replenished_from,
        -- the warehouse whose purchase orders stock this location (itself for a warehouse)
        coalesce(locations.replenished_from, locations.location_id) as supplying_warehouse_id,
        coalesce(stock_per_location.skus_reported, 0) as skus_reported,
        stock_per_location.stock_as_of
    from locations
    left join stock_per_location on locations.location_id = stock_per_location.location_id
)

select * from final
