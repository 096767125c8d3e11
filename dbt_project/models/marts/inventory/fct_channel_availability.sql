-- Per listing channel, location it sells from, and SKU: what can be promised there, the buffer
-- held back (inventory_channel_buffers, the one place it is set), the quantity the channel
-- should be told, and what it currently shows.
with

inventory as (
    select * from {{ ref('fct_inventory') }}
),

channels as (
    select * from {{ ref('inventory_channel_buffers') }}
),

listings as (
    select * from {{ ref('int_channel_listings') }}
),

offered as (
    select
        channels.channel,
        channels.location_id,
        inventory.sku,
        inventory.on_hand,
        inventory.reserved,
        inventory.available_to_promise,
        channels.safety_buffer_units,
        greatest(inventory.available_to_promise - channels.safety_buffer_units, 0) as quantity_to_tell
    from channels
    inner join inventory on channels.location_id = inventory.location_id
),

final as (
    select
        offered.channel || ':' || offered.location_id || ':' || offered.sku as channel_availability_key,
        offered.channel,
        offered.location_id,
        offered.sku,
        offered.on_hand,
        offered.reserved,
        offered.available_to_promise,
        offered.safety_buffer_units,
        offered.quantity_to_tell,
        listings.listed_quantity,
        listings.as_of as listed_as_of,
        offered.quantity_to_tell - listings.listed_quantity as listing_gap,
        coalesce(listings.listed_quantity > offered.available_to_promise, false) as is_overselling,
        coalesce(listings.listed_quantity = 0 and offered.quantity_to_tell > 0, false) as is_sold_out_with_stock
    from offered
    left join listings
        on
            offered.channel = listings.channel
            and offered.location_id = listings.location_id
            and offered.sku = listings.sku
)

select * from final
