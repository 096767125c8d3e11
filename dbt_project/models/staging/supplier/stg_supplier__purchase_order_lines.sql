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
    {%- set po_line_doc = json_document('po_line') %}
    select
        po_id || ':' || {{ json_text(po_line_doc, '$.line_no') }} as po_line_key,
        po_id,
        {{ json_int(po_line_doc, '$.line_no') }} as line_number,
        {{ json_text(po_line_doc, '$.sku') }} as sku,
        {{ json_int(po_line_doc, '$.quantity') }} as quantity,
        {{ json_money(po_line_doc, '$.unit_cost_jpy') }} as unit_cost_jpy,
        {{ json_money(po_line_doc, '$.amount_jpy') }} as amount_jpy,
        _loaded_at
    from {{ json_parsed(po_line_doc, 'unnested') }}
)

select * from renamed
