{#- Every ingestion failure (ingestion/failures.py's records): a pull that did not complete, one
    row each, and a dropped file that failed whole, one row per channel, entity and content
    (`content_sha256`), so that the same bad file sent again, or tried again by every import
    run (a failed file is not marked imported), counts once, with how many times it failed and
    the latest time's cause and fix. A file failure without a content hash (its bytes could not
    be read) stands alone.

    `resolved_at`: for a pull, when the first completed load of its channel and entity after it
    finished (null: none yet). A file that failed whole stays unresolved: a corrected file is
    another file, with its own load. -#}
with

failures as (
    select * from {{ ref('stg_ingestion__failures') }}
),

loads as (
    select * from {{ ref('stg_ingestion__loads') }}
),

identified as (
    select
        *,
        case
            when kind = 'file' and content_sha256 is not null
                then concat_ws(':', channel, entity, 'file', content_sha256)
            else failure_key
        end as ingest_failure_key
    from failures
),

occurrences as (
    select
        *,
        row_number() over (
            partition by ingest_failure_key
            order by failed_at desc nulls last, failure_id desc
        ) as occurrence_rank,
        count(*) over (partition by ingest_failure_key) as times_failed,
        min(failed_at) over (partition by ingest_failure_key) as first_failed_at
    from identified
),

latest as (
    select * from occurrences
    where occurrence_rank = 1
),

resolutions as (
    select
        latest.ingest_failure_key,
        min(loads.finished_at) as resolved_at
    from latest
    inner join loads
        on
            latest.channel = loads.channel
            and latest.entity = loads.entity
            and latest.failed_at < loads.finished_at
    where latest.kind = 'pull'
    group by latest.ingest_failure_key
),

final as (
    select
        latest.ingest_failure_key,
        latest.channel,
        latest.entity,
        latest.kind,
        latest.failure_id,
        latest.source,
        latest.content_sha256,
        latest.first_failed_at,
        latest.failed_at,
        latest.times_failed,
        latest.error_class,
        latest.cause,
        latest.fix,
        latest.load_id,
        resolutions.resolved_at
    from latest
    left join resolutions on latest.ingest_failure_key = resolutions.ingest_failure_key
)

select * from final
