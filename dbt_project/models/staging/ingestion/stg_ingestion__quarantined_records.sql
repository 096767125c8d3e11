{#- One row per record the landing zone refused, with the expectations it failed. Every row is
    kept, not the latest version of a record: each is something received and refused. The
    channel and entity are the folder's (quarantine/<channel>/<entity>/<load_id>-<part>.parquet);
    a row is told apart by its part and its position in it (a record without an id has an
    empty key, and a load may refuse several). Empty, with its columns, until a load has
    quarantined something: read_parquet fails on a pattern that matches no file.

    `record_sha256` is what the record said, to tell the same refused record received again:
    the SHA-256 of its raw JSON less `_file` and `_file_version`, which a file importer adds
    from the file's name and how often that name was imported (ingestion/files/folder.py), and
    which change when the same bytes are sent again; `_file_sha256` and `_row` (the file's
    content and the row in it) stay. -#}
{%- set quarantined = true -%}
{%- if execute and run_query is defined -%}
    {%- set parts = var('data_dir', env_var('ICHIGEN_DATA_DIR', '../data')) ~ '/quarantine/*/*/*.parquet' -%}
    {%- set none_yet = run_query("select count(*) = 0 from glob('" ~ parts ~ "')").columns[0].values()[0] -%}
    {%- set quarantined = not none_yet -%}
{%- endif %}
with

source as (
    {% if quarantined -%}
        select * from {{ source('ingestion', 'quarantine') }}
    {%- else -%}
        select
            cast(null as varchar) as filename,
            cast(null as bigint) as file_row_number,
            cast(null as varchar) as _load_id,
            cast(null as timestamptz) as _loaded_at,
            cast(null as varchar) as _record_key,
            cast(null as varchar) as _raw,
            cast(null as varchar[]) as _reasons
        where false
    {%- endif %}
),

renamed as (
    select
        regexp_extract(filename, '([^/]+)/[^/]+/[^/]+$', 1) as channel,
        regexp_extract(filename, '([^/]+)/[^/]+$', 1) as entity,
        regexp_extract(filename, '([^/]+)[.]parquet$', 1) as part,
        file_row_number as part_row_number,
        _load_id as load_id,
        cast(_loaded_at as timestamptz) as loaded_at,
        _record_key as record_key,
        _reasons as reasons,
        _raw as raw,  -- noqa: RF04
        sha256(
            case
                when not json_valid(_raw) then _raw
                when json_type(_raw) = 'OBJECT'
                    then cast(json_merge_patch(_raw, '{"_file": null, "_file_version": null}') as varchar)
                else _raw
            end
        ) as record_sha256
    from source
),

final as (
    select
        concat_ws(':', channel, entity, part, cast(part_row_number as varchar)) as quarantined_record_key,
        *
    from renamed
)

select * from final

-- sqlfluff:ignore:templating
