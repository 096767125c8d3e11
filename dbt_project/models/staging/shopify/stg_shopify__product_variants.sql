-- One row per product variant in the web shop's catalogue: the SKU behind each inventory
-- item, its JAN barcode, list price (tax-inclusive JPY) and the product's type (category).
with

source as (
    {{ latest_version(source('shopify', 'products')) }}
),

variants as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as shopify_product_id,
        {{ json_text(raw_doc, '$.title') }} as product_title,
        {{ json_text(raw_doc, '$.product_type') }} as product_type,
        {{ json_text(raw_doc, '$.vendor') }} as vendor,
        {{ json_text(raw_doc, '$.status') }} as product_status,
        {{ json_each(raw_doc, '$.variants') }} as variant,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

renamed as (
    {%- set variant_doc = json_document('variant') %}
    select
        {{ json_int(variant_doc, '$.id') }} as shopify_variant_id,
        cast(shopify_product_id as bigint) as shopify_product_id,
        nullif({{ json_text(variant_doc, '$.sku') }}, '') as sku,
        nullif({{ json_text(variant_doc, '$.barcode') }}, '') as jan,
        {{ json_int(variant_doc, '$.inventory_item_id') }} as inventory_item_id,
        {{ json_money(variant_doc, '$.price') }} as price_jpy,
        product_title,
        product_type,
        vendor,
        product_status,
        {{ json_ts(variant_doc, '$.updated_at') }} as updated_at,
        _loaded_at
    from {{ json_parsed(variant_doc, 'variants') }}
)

select * from renamed
