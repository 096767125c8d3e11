{#- The lines of the buyers' return slips (返品伝票) and red slips (赤伝), latest landed version,
    read through the buyer's mapping like their orders (ingestion/files/wholesale.py): the kind
    and a positive quantity and amount, whatever sign the slip wrote, and the order the slip
    refers to (元伝票番号). A slip is dated by its date cell: the day the buyer booked it. The
    whole landing is read at every build (a few lines per order at most), so a slip landed
    after its order's lines were built still reaches them (stg_wholesale__order_lines). -#}
with

source as (
    {{ latest_version(source('wholesale', 'order_lines')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'wholesale' as channel,
        _record_key as sheet_row_key,
        {{ json_text(raw_doc, '$.slip_kind') }} as slip_kind,
        {{ json_text(raw_doc, '$.po_no') }} as slip_no,
        coalesce({{ json_text(raw_doc, '$.line_no') }}, {{ json_text(raw_doc, '$.position') }}) as slip_line_id,
        {{ json_text(raw_doc, '$.original_po_no') }} as channel_order_id,
        {{ json_text(raw_doc, '$.buyer') }} as channel_customer_id,
        {{ json_text(raw_doc, '$.sku') }} as sku,
        {{ json_int(raw_doc, '$.quantity') }} as quantity,
        {{ json_money(raw_doc, '$.unit_price') }} as unit_price_jpy,
        {{ json_money(raw_doc, '$.amount') }} as amount_jpy,
        try_cast({{ json_text(raw_doc, '$.order_date') }} as date) as slip_date,
        {{ json_text(raw_doc, '$.return_reason') }} as return_reason,
        {{ json_text(raw_doc, '$.reason') }} as channel_reason,
        {{ json_text(raw_doc, '$._file') }} as source_file,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        channel,
        sheet_row_key,
        slip_kind,
        slip_no,
        slip_line_id,
        channel_order_id,
        channel_customer_id,
        sku,
        quantity,
        unit_price_jpy,
        -- a slip without an amount column is worth its units at its unit price
        coalesce(amount_jpy, unit_price_jpy * quantity) as amount_jpy,
        slip_date,
        -- a slip gives its JST day only
        timezone('Asia/Tokyo', cast(slip_date as timestamp)) as slip_at,
        return_reason,
        channel_reason,
        source_file,
        _loaded_at
    from renamed
    where slip_kind in ('return', 'cancellation')
)

select * from final
