{#- One row per location, SKU and snapshot: every day's snapshot is kept (the stock history), and
    a corrected file for the same day replaces the first version of its rows.

    Incremental (delete+insert by snapshot row): a build reads the parts landed since the last
    one, and a row replaces the built one when its version is newer. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="snapshot_row_key",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('stock', 'snapshots'), key='_record_key, _record_updated_at') }}
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
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
)

select * from renamed
{{ where_newer_than_built('renamed', key='snapshot_row_key') }}
