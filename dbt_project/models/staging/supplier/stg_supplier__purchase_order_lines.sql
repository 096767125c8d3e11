-- One row per line of the latest version of each purchase order (the lines are embedded).
with

source as (
    {{ latest_version(source('supplier', 'purchase_orders')) }}
),

unnested as (
    select
        _record_key as po_id,
        {{ json_each('_raw', '$.lines') }} as po_line,
        _loaded_at
    from source
),

renamed as (
    select
        po_id || ':' || {{ json_text('po_line', '$.line_no') }} as po_line_key,
        po_id,
        {{ json_int('po_line', '$.line_no') }} as line_number,
        {{ json_text('po_line', '$.sku') }} as sku,
        {{ json_int('po_line', '$.quantity') }} as quantity,
        {{ json_money('po_line', '$.unit_cost_jpy') }} as unit_cost_jpy,
        {{ json_money('po_line', '$.amount_jpy') }} as amount_jpy,
        _loaded_at
    from unnested
)

select * from renamed
