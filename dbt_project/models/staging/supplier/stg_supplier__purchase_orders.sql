with

source as (
    {{ latest_version(source('supplier', 'purchase_orders')) }}
),

renamed as (
    select
        _record_key as po_id,
        {{ json_text('_raw', '$.supplier_id') }} as supplier_id,
        {{ json_text('_raw', '$.reference') }} as reference,
        {{ json_text('_raw', '$.ship_to_location_id') }} as location_id,
        {{ json_text('_raw', '$.status') }} as status,
        {{ json_text('_raw', '$.currency') }} as currency,
        {{ json_ts('_raw', '$.created_at') }} as ordered_at,
        {{ json_ts('_raw', '$.confirmed_at') }} as confirmed_at,
        {{ json_ts('_raw', '$.shipped_at') }} as shipped_at,
        {{ json_ts('_raw', '$.received_at') }} as received_at,
        {{ json_ts('_raw', '$.updated_at') }} as updated_at,
        try_cast({{ json_text('_raw', '$.expected_ship_date') }} as date) as expected_ship_date,
        try_cast({{ json_text('_raw', '$.expected_delivery_date') }} as date) as expected_delivery_date,
        {{ json_int('_raw', '$.total_quantity') }} as total_quantity,
        {{ json_money('_raw', '$.total_cost_jpy') }} as total_cost_jpy,
        _raw,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
