{#- One row per recorded ingestion failure (ingestion/failures.py's record_failure): a pull that
    did not complete, or a dropped file that failed whole. Like the manifests, a record is
    renamed into place whole; one that is not JSON all the same is left out rather than stopping
    the build. The channel, entity and failure id are the record's, else its folder's and file
    name's (landing/<channel>/<entity>/_failures/<failure_id>.json). -#}
with

source as (
    select * from {{ source('ingestion', 'failures') }}
    where json_valid(content)
),

renamed as (
    {%- set failure = json_document('content') %}
    select
        {{ record_or_path(failure, 'channel', '_failures', 'channel') }} as channel,
        {{ record_or_path(failure, 'entity', '_failures', 'entity') }} as entity,
        {{ record_or_path(failure, 'failure_id', '_failures', 'id') }} as failure_id,
        {{ json_text(failure, '$.kind') }} as kind,
        {{ json_text(failure, '$.source') }} as source,  -- noqa: RF04
        {{ json_text(failure, '$.content_sha256') }} as content_sha256,
        {{ json_ts(failure, '$.failed_at') }} as failed_at,
        {{ json_text(failure, '$.error_class') }} as error_class,
        {{ json_text(failure, '$.cause') }} as cause,
        {{ json_text(failure, '$.fix') }} as fix,
        {{ json_text(failure, '$.load_id') }} as load_id,
        filename as failure_path
    from {{ json_parsed(failure, 'source') }}
),

final as (
    select
        concat_ws(':', channel, entity, failure_id) as failure_key,
        *
    from renamed
)

select * from final
