{#- One row per completed load, from its manifest (ingestion/landing.py's LoadManifest). A load
    without a manifest did not complete and is not counted. A manifest is renamed into place
    whole; one that is not JSON all the same is left out rather than stopping the build, as
    the app left it out when it read the files itself. The channel and entity are the
    manifest's, else its folder's (landing/<channel>/<entity>/_loads/<load_id>.json). -#}
with

source as (
    select * from {{ source('ingestion', 'load_manifests') }}
    where json_valid(content)
),

renamed as (
    {%- set manifest = json_document('content') %}
    select
        {{ record_or_path(manifest, 'channel', '_loads', 'channel') }} as channel,
        {{ record_or_path(manifest, 'entity', '_loads', 'entity') }} as entity,
        {{ record_or_path(manifest, 'load_id', '_loads', 'id') }} as load_id,
        {{ json_text(manifest, '$.source') }} as source,  -- noqa: RF04
        {{ json_ts(manifest, '$.cursor_start') }} as cursor_start,
        {{ json_ts(manifest, '$.cursor_end') }} as cursor_end,
        {{ json_ts(manifest, '$.started_at') }} as started_at,
        {{ json_ts(manifest, '$.finished_at') }} as finished_at,
        coalesce({{ json_int(manifest, '$.records') }}, 0) as records,
        coalesce({{ json_int(manifest, '$.accepted') }}, 0) as accepted,
        coalesce({{ json_int(manifest, '$.quarantined') }}, 0) as quarantined,
        {{ json_int(manifest, '$.parts') }} as parts,
        {{ json_ts(manifest, '$.max_record_updated_at') }} as max_record_updated_at,
        -- per expectation: checked, unexpected, success (fct_loads counts the failed ones)
        {{ json_text(manifest, '$.checks') }} as checks,
        filename as manifest_path
    from {{ json_parsed(manifest, 'source') }}
),

final as (
    select
        concat_ws(':', channel, entity, load_id) as load_key,
        *
    from renamed
)

select * from final
