{#- Every record the landing zone refused, counted once however often it was received, with the
    expectations it failed as one line of text (`reasons`, separated by "; ") and the record as
    it was received (`raw`).

    Only receipts of completed loads count: a load without a manifest is never read downstream,
    and its window is pulled again. A record is the same record received again when its
    channel, entity and content (`record_sha256`, stg_ingestion__quarantined_records: the raw
    JSON less the file importer's name and version of the file) are the same: the same bad file
    sent again, the same page pulled again by a lookback or a retry, a duplicate in one answer.
    One row per such record, from its latest receipt (load, reasons and raw), with when it was
    first received and how many times. -#}
with

quarantined as (
    select * from {{ ref('stg_ingestion__quarantined_records') }}
),

loads as (
    select * from {{ ref('stg_ingestion__loads') }}
),

received as (
    select
        quarantined.*,
        -- a record without raw JSON has nothing to compare: each receipt stands alone
        coalesce(quarantined.record_sha256, quarantined.quarantined_record_key) as received_content
    from quarantined
    where exists (
        select 1
        from loads
        where
            loads.channel = quarantined.channel
            and loads.entity = quarantined.entity
            and loads.load_id = quarantined.load_id
    )
),

receipts as (
    select
        *,
        row_number() over (
            partition by channel, entity, received_content
            order by loaded_at desc, load_id desc, quarantined_record_key desc
        ) as receipt_rank,
        count(*) over (partition by channel, entity, received_content) as times_received,
        min(loaded_at) over (partition by channel, entity, received_content) as first_loaded_at
    from received
),

final as (
    select
        concat_ws(':', channel, entity, received_content) as quarantined_record_key,
        channel,
        entity,
        record_sha256,
        load_id,
        loaded_at,
        first_loaded_at,
        times_received,
        record_key,
        array_to_string(reasons, '; ') as reasons,
        raw
    from receipts
    where receipt_rank = 1
)

select * from final
