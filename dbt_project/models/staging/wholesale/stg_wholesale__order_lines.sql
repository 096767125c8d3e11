{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="sheet_row_key",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('wholesale', 'order_lines')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'wholesale' as channel,
        _record_key as sheet_row_key,
        {{ json_text(raw_doc, '$.po_no') }} as channel_order_id,
        {{ json_text(raw_doc, '$.buyer') }} as channel_customer_id,
        -- a layout without line numbers numbers its lines by position
        coalesce({{ json_text(raw_doc, '$.line_no') }}, {{ json_text(raw_doc, '$.position') }}) as channel_line_id,
        coalesce({{ json_int(raw_doc, '$.line_no') }}, {{ json_int(raw_doc, '$.position') }}) as line_number,
        {{ json_text(raw_doc, '$.sku') }} as sku,
        {{ json_int(raw_doc, '$.quantity') }} as quantity,
        {{ json_money(raw_doc, '$.unit_price') }} as unit_price_jpy,
        {{ json_money(raw_doc, '$.amount') }} as amount_jpy,
        try_cast({{ json_text(raw_doc, '$.order_date') }} as date) as order_date,
        try_cast({{ json_text(raw_doc, '$.delivery_date') }} as date) as delivery_date,
        {{ json_text(raw_doc, '$._file') }} as source_file,
        {{ json_int(raw_doc, '$._file_version') }} as file_version,
        {{ json_text(raw_doc, '$._mapping') }} as mapping_file,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        *,
        0 as discount_jpy,
        unit_price_jpy * quantity as line_total_jpy,
        unit_price_jpy * quantity * 10 // 110 as tax_jpy
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='sheet_row_key') }}
