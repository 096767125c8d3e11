-- FBA stock per seller SKU (getInventorySummaries with details): Amazon holds this stock, so
-- Amazon's numbers are the physical truth for the FBA-JP location.
with

source as (
    {{ latest_version(source('amazon', 'inventory_summaries')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as seller_sku,
        {{ json_text(raw_doc, '$.asin') }} as asin,
        {{ json_text(raw_doc, '$.fnSku') }} as fnsku,
        {{ json_text(raw_doc, '$.condition') }} as condition,
        {{ json_int(raw_doc, '$.totalQuantity') }} as total_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.fulfillableQuantity') }} as fulfillable_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.inboundWorkingQuantity') }} as inbound_working_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.inboundShippedQuantity') }} as inbound_shipped_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.inboundReceivingQuantity') }} as inbound_receiving_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.reservedQuantity.totalReservedQuantity') }} as reserved_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.researchingQuantity.totalResearchingQuantity') }}
            as researching_quantity,
        {{ json_int(raw_doc, '$.inventoryDetails.unfulfillableQuantity.totalUnfulfillableQuantity') }}
            as unfulfillable_quantity,
        {{ json_ts(raw_doc, '$.lastUpdatedTime') }} as updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
