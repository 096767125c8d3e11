{#- Every completed load of every channel and entity: what it received, accepted and
    quarantined (accepted + quarantined = received, DESIGN.md decision 5; the Data health page
    shows a load where they do not add up) and which of its checks failed, in the manifest's
    order. -#}
with

loads as (
    select * from {{ ref('stg_ingestion__loads') }}
),

check_lists as (
    select
        load_key,
        cast(cast(checks as json) as json[]) as outcomes
    from loads
),

outcomes as (
    select
        load_key,
        unnest(outcomes) as outcome,
        generate_subscripts(outcomes, 1) as check_position
    from check_lists
),

checked as (
    select
        load_key,
        check_position,
        {{ json_text('outcome', '$.expectation') }} as expectation,
        -- an outcome that does not say it failed passed (as the manifest's reader always took it)
        not coalesce(try_cast({{ json_text('outcome', '$.success') }} as boolean), true) as failed
    from outcomes
),

per_load as (
    select
        load_key,
        count(*) as checks,
        count(*) filter (where failed) as checks_failed,
        string_agg(expectation, '; ' order by check_position) filter (where failed) as failed_expectations
    from checked
    group by load_key
),

final as (
    select
        loads.load_key,
        loads.channel,
        loads.entity,
        loads.load_id,
        loads.started_at,
        loads.finished_at,
        loads.records,
        loads.accepted,
        loads.quarantined,
        coalesce(per_load.checks, 0) as checks,
        coalesce(per_load.checks_failed, 0) as checks_failed,
        coalesce(per_load.failed_expectations, '') as failed_expectations,
        loads.max_record_updated_at,
        loads.source
    from loads
    left join per_load on loads.load_key = per_load.load_key
)

select * from final
