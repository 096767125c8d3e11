-- The latest physical stock of each SKU at each location: the warehouse and store systems'
-- latest snapshot per location (a SKU missing from it is no longer held there), and Amazon's
-- figures for FBA (fulfillable plus what Amazon has reserved for orders still in the building).
-- Stock of a SKU the catalogue does not know, or at a location seeds/inventory_locations.csv does
-- not list, is kept and flagged (data_flag 'unknown_sku', 'unknown_location'); the inventory
-- positions leave it out.
with

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

locations as (
    select * from {{ ref('inventory_locations') }}
),

snapshots as (
    select * from {{ ref('stg_stock__snapshots') }}
),

fba as (
    select * from {{ ref('stg_amazon__inventory_summaries') }}
),

latest_snapshot_per_location as (
    select
        location_id,
        max(snapshot_at) as snapshot_at
    from snapshots
    group by location_id
),

stock_files as (
    select
        snapshots.location_id,
        snapshots.sku,
        snapshots.on_hand,
        0 as unsellable,
        0 as inbound,
        snapshots.snapshot_at as as_of,
        'stock_file' as stock_source
    from snapshots
    inner join latest_snapshot_per_location as latest
        on
            snapshots.location_id = latest.location_id
            and snapshots.snapshot_at = latest.snapshot_at
),

amazon_fba as (
    select
        'FBA-JP' as location_id,
        seller_sku as sku,
        fulfillable_quantity + coalesce(reserved_quantity, 0) as on_hand,
        coalesce(unfulfillable_quantity, 0) + coalesce(researching_quantity, 0) as unsellable,
        coalesce(inbound_working_quantity, 0)
        + coalesce(inbound_shipped_quantity, 0)
        + coalesce(inbound_receiving_quantity, 0) as inbound,
        updated_at as as_of,
        'amazon_fba' as stock_source
    from fba
),

unioned as (
    select * from stock_files
    union all
    select * from amazon_fba
),

final as (
    select
        location_id || ':' || sku as stock_level_key,
        location_id,
        sku,
        on_hand,
        unsellable,
        inbound,
        as_of,
        stock_source as source,  -- noqa: RF04
        nullif(concat_ws(
            ', ',
            case when location_id not in (select locations.location_id from locations) then 'unknown_location' end,
            case when sku not in (select catalogue.sku from catalogue) then 'unknown_sku' end
        ), '') as data_flag
    from unioned
)

select * from final
