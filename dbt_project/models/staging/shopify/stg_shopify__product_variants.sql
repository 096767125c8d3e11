-- One row per product variant in the web shop's catalogue: the SKU behind each inventory
-- item, its JAN barcode, list price (tax-inclusive JPY) and the product's type (category).
with

source as (
    {{ latest_version(source('shopify', 'products')) }}
),

variants as (
    select
        _record_key as shopify_product_id,
        {{ json_text('_raw', '$.title') }} as product_title,
        {{ json_text('_raw', '$.product_type') }} as product_type,
        {{ json_text('_raw', '$.vendor') }} as vendor,
        {{ json_text('_raw', '$.status') }} as product_status,
        {{ json_each('_raw', '$.variants') }} as variant,
        _loaded_at
    from source
),

renamed as (
    select
        {{ json_int('variant', '$.id') }} as shopify_variant_id,
        cast(shopify_product_id as bigint) as shopify_product_id,
        nullif({{ json_text('variant', '$.sku') }}, '') as sku,
        nullif({{ json_text('variant', '$.barcode') }}, '') as jan,
        {{ json_int('variant', '$.inventory_item_id') }} as inventory_item_id,
        {{ json_money('variant', '$.price') }} as price_jpy,
        product_title,
        product_type,
        vendor,
        product_status,
        {{ json_ts('variant', '$.updated_at') }} as updated_at,
        _loaded_at
    from variants
)

select * from renamed
