{#- Per channel and entity that has ever completed a load or recorded a failure: how far its
    data goes and whether the last try got everything.

    - `loaded_through`: the channel's own clock, the newest record change time any completed
      load landed (null when the channel gives none, as a POS file's rows do);
    - `is_complete`: its latest completed load finished after its latest pull failure (the
      shared rule of ingestion/failures.py); never, before a load has completed. A file that
      failed whole does not make an entity incomplete (the rest of its folder landed): it is
      counted in `files_failed` and listed in fct_ingest_failures;
    - the last failure's kind, cause and fix, whichever kind it was;
    - what its completed loads received, accepted and quarantined (every receipt, so that
      accepted + quarantined = received), and `quarantined_distinct`, the refused records
      counted once however often received (fct_quarantined_records);
    - `is_held`: its channel's new data could not be built in this build, so the snapshot shows
      the channel's last good state, that of `held_as_of` (the start of the last build that read
      its new data; null if none ever did), held back since `held_since`, for `held_reason` (the
      first error; orchestration/held_channels.py).

    Whether an entity is stale depends on when one looks: the app works it out from
    `last_completed_load_at` (app/data/data_health.py). -#}
with

loads as (
    select * from {{ ref('stg_ingestion__loads') }}
),

failures as (
    select * from {{ ref('fct_ingest_failures') }}
),

quarantined as (
    select * from {{ ref('fct_quarantined_records') }}
),

channel_entities as (
    select
        channel,
        entity
    from loads
    union
    select
        channel,
        entity
    from failures
),

load_totals as (
    select
        channel,
        entity,
        max(max_record_updated_at) as loaded_through,
        max(finished_at) as last_completed_load_at,
        count(*) as loads,
        sum(records) as records_received,
        sum(accepted) as records_accepted,
        sum(quarantined) as records_quarantined
    from loads
    group by channel, entity
),

failure_totals as (
    select
        channel,
        entity,
        max(failed_at) filter (where kind = 'pull') as last_pull_failure_at,
        count(*) filter (where kind = 'pull') as pull_failures,
        count(*) filter (where kind = 'file') as files_failed
    from failures
    group by channel, entity
),

last_failures as (
    select
        channel,
        entity,
        failed_at,
        kind,
        error_class,
        cause,
        fix,
        row_number() over (
            partition by channel, entity
            order by failed_at desc nulls last, ingest_failure_key desc
        ) as failure_rank
    from failures
),

held as (
    {{ held_channels_relation() }}
),

quarantine_totals as (
    select
        channel,
        entity,
        count(*) as quarantined_distinct
    from quarantined
    group by channel, entity
),

final as (
    select
        concat_ws(':', channel_entities.channel, channel_entities.entity) as channel_entity_key,
        channel_entities.channel,
        channel_entities.entity,
        load_totals.loaded_through,
        load_totals.last_completed_load_at,
        failure_totals.last_pull_failure_at,
        coalesce(
            load_totals.last_completed_load_at > failure_totals.last_pull_failure_at,
            load_totals.last_completed_load_at is not null
        ) as is_complete,
        last_failures.failed_at as last_failure_at,
        last_failures.kind as last_failure_kind,
        last_failures.error_class as last_failure_error_class,
        last_failures.cause as last_failure_cause,
        last_failures.fix as last_failure_fix,
        coalesce(load_totals.loads, 0) as loads,
        coalesce(load_totals.records_received, 0) as records_received,
        coalesce(load_totals.records_accepted, 0) as records_accepted,
        coalesce(load_totals.records_quarantined, 0) as records_quarantined,
        coalesce(quarantine_totals.quarantined_distinct, 0) as quarantined_distinct,
        coalesce(failure_totals.pull_failures, 0) as pull_failures,
        coalesce(failure_totals.files_failed, 0) as files_failed,
        held.channel is not null as is_held,
        held.held_as_of,
        held.held_since,
        held.held_reason
    from channel_entities
    left join load_totals
        on channel_entities.channel = load_totals.channel and channel_entities.entity = load_totals.entity
    left join failure_totals
        on channel_entities.channel = failure_totals.channel and channel_entities.entity = failure_totals.entity
    left join last_failures
        on
            channel_entities.channel = last_failures.channel
            and channel_entities.entity = last_failures.entity
            and last_failures.failure_rank = 1
    left join quarantine_totals
        on
            channel_entities.channel = quarantine_totals.channel
            and channel_entities.entity = quarantine_totals.entity
    left join held
        on channel_entities.channel = held.channel
)

select * from final
