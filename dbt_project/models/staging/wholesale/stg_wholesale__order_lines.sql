{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="sheet_row_key",
        on_schema_change="append_new_columns",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('wholesale', 'order_lines')) }}
),

renamed as (
    select
        'wholesale' as channel,
        _record_key as sheet_row_key,
        {{ json_text('_raw', '$.po_no') }} as channel_order_id,
        {{ json_text('_raw', '$.buyer') }} as channel_customer_id,
        -- a layout without line numbers numbers its lines by position
        coalesce({{ json_text('_raw', '$.line_no') }}, {{ json_text('_raw', '$.position') }}) as channel_line_id,
        coalesce({{ json_int('_raw', '$.line_no') }}, {{ json_int('_raw', '$.position') }}) as line_number,
        {{ json_text('_raw', '$.sku') }} as sku,
        {{ json_int('_raw', '$.quantity') }} as quantity,
        {{ json_money('_raw', '$.unit_price') }} as unit_price_jpy,
        {{ json_money('_raw', '$.amount') }} as amount_jpy,
        try_cast({{ json_text('_raw', '$.order_date') }} as date) as order_date,
        try_cast({{ json_text('_raw', '$.delivery_date') }} as date) as delivery_date,
        {{ json_text('_raw', '$._file') }} as source_file,
        {{ json_int('_raw', '$._file_version') }} as file_version,
        {{ json_text('_raw', '$._mapping') }} as mapping_file,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from source
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
