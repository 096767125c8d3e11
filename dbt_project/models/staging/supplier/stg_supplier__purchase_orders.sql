with

source as (
    {{ latest_version(source('supplier', 'purchase_orders')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key as po_id,
        {{ json_text(raw_doc, '$.supplier_id') }} as supplier_id,
        {{ json_text(raw_doc, '$.reference') }} as reference,
        {{ json_text(raw_doc, '$.ship_to_location_id') }} as location_id,
        {{ json_text(raw_doc, '$.status') }} as status,
        {{ json_text(raw_doc, '$.currency') }} as currency,
        {{ json_ts(raw_doc, '$.created_at') }} as ordered_at,
        {{ json_ts(raw_doc, '$.confirmed_at') }} as confirmed_at,
        {{ json_ts(raw_doc, '$.shipped_at') }} as shipped_at,
        {{ json_ts(raw_doc, '$.received_at') }} as received_at,
        {{ json_ts(raw_doc, '$.updated_at') }} as updated_at,
        try_cast({{ json_text(raw_doc, '$.expected_ship_date') }} as date) as expected_ship_date,
        try_cast({{ json_text(raw_doc, '$.expected_delivery_date') }} as date) as expected_delivery_date,
        {{ json_int(raw_doc, '$.total_quantity') }} as total_quantity,
        {{ json_money(raw_doc, '$.total_cost_jpy') }} as total_cost_jpy,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
