-- One row per location, SKU and snapshot: every day's snapshot is kept (the stock history), and
-- a corrected file for the same day replaces the first version of its rows.
with

source as (
    {{ latest_version(source('stock', 'snapshots'), key='_record_key, _record_updated_at') }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        _record_key || '@' || strftime(_record_updated_at, '%Y-%m-%dT%H:%M:%SZ') as snapshot_row_key,
        {{ json_text(raw_doc, '$.location_id') }} as location_id,
        {{ json_text(raw_doc, '$.sku') }} as sku,
        {{ json_text(raw_doc, '$.jan') }} as jan,
        {{ json_int(raw_doc, '$.on_hand') }} as on_hand,
        {{ json_ts(raw_doc, '$.snapshot_at') }} as snapshot_at,
        {{ json_text(raw_doc, '$._file') }} as file_name,
        {{ json_int(raw_doc, '$._file_version') }} as file_version,
        {{ json_int(raw_doc, '$._row') }} as file_row,
        _loaded_at,
        _load_id
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
