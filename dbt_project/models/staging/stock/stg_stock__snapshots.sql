-- One row per location, SKU and snapshot: every day's snapshot is kept (the stock history), and
-- a corrected file for the same day replaces the first version of its rows.
with

source as (
    {{ latest_version(source('stock', 'snapshots'), key='_record_key, _record_updated_at') }}
),

renamed as (
    select
        _record_key || '@' || strftime(_record_updated_at, '%Y-%m-%dT%H:%M:%SZ') as snapshot_row_key,
        {{ json_text('_raw', '$.location_id') }} as location_id,
        {{ json_text('_raw', '$.sku') }} as sku,
        {{ json_text('_raw', '$.jan') }} as jan,
        {{ json_int('_raw', '$.on_hand') }} as on_hand,
        {{ json_ts('_raw', '$.snapshot_at') }} as snapshot_at,
        {{ json_text('_raw', '$._file') }} as file_name,
        {{ json_int('_raw', '$._file_version') }} as file_version,
        {{ json_int('_raw', '$._row') }} as file_row,
        _loaded_at,
        _load_id
    from source
)

select * from renamed
