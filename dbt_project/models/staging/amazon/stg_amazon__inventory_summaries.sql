-- FBA stock per seller SKU (getInventorySummaries with details): Amazon holds this stock, so
-- Amazon's numbers are the physical truth for the FBA-JP location.
with

source as (
    {{ latest_version(source('amazon', 'inventory_summaries')) }}
),

renamed as (
    select
        _record_key as seller_sku,
        {{ json_text('_raw', '$.asin') }} as asin,
        {{ json_text('_raw', '$.fnSku') }} as fnsku,
        {{ json_text('_raw', '$.condition') }} as condition,
        {{ json_int('_raw', '$.totalQuantity') }} as total_quantity,
        {{ json_int('_raw', '$.inventoryDetails.fulfillableQuantity') }} as fulfillable_quantity,
        {{ json_int('_raw', '$.inventoryDetails.inboundWorkingQuantity') }} as inbound_working_quantity,
        {{ json_int('_raw', '$.inventoryDetails.inboundShippedQuantity') }} as inbound_shipped_quantity,
        {{ json_int('_raw', '$.inventoryDetails.inboundReceivingQuantity') }} as inbound_receiving_quantity,
        {{ json_int('_raw', '$.inventoryDetails.reservedQuantity.totalReservedQuantity') }} as reserved_quantity,
        {{ json_int('_raw', '$.inventoryDetails.researchingQuantity.totalResearchingQuantity') }}
            as researching_quantity,
        {{ json_int('_raw', '$.inventoryDetails.unfulfillableQuantity.totalUnfulfillableQuantity') }}
            as unfulfillable_quantity,
        {{ json_ts('_raw', '$.lastUpdatedTime') }} as updated_at,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
