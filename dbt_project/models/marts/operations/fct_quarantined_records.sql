{#- Every record the landing zone refused, with the expectations it failed as one line of text
    (`reasons`, separated by "; ") and the record as it was received (`raw`). -#}
with

quarantined as (
    select * from {{ ref('stg_ingestion__quarantined_records') }}
),

final as (
    select
        quarantined_record_key,
        channel,
        entity,
        load_id,
        loaded_at,
        record_key,
        array_to_string(reasons, '; ') as reasons,
        raw
    from quarantined
)

select * from final
