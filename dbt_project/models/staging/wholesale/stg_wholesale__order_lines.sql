{#- The lines of the buyers' purchase orders, latest landed version, with what red slips (赤伝,
    stg_wholesale__slip_lines) cancelled of them. A red slip's units of a SKU go to the order's
    lines of that SKU, first line first, never more than a line ordered. When red slips cancel
    every unit of an order, the order is cancelled (is_order_cancelled; stg_wholesale__orders
    gives it cancelled_at) and its lines keep what was ordered, as a cancelled order of any
    channel does; when they cancel only some, the order goes on with less: quantity is what
    is still ordered (ordered_quantity less cancelled_quantity), and the line's amounts with it.

    Incremental: the lines landed since the last build, and the built lines whose cancellation
    changed (a red slip that landed since, or a new line of a cancelled order), are built again;
    every built line is read to see which (a few per order). -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="sheet_row_key",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('wholesale', 'order_lines')) }}
),

cancellations as (
    select * from {{ ref('stg_wholesale__slip_lines') }}
    where slip_kind = 'cancellation'
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'wholesale' as channel,
        _record_key as sheet_row_key,
        -- sheets landed before slips were read are orders
        coalesce({{ json_text(raw_doc, '$.slip_kind') }}, 'order') as slip_kind,
        {{ json_text(raw_doc, '$.po_no') }} as channel_order_id,
        {{ json_text(raw_doc, '$.buyer') }} as channel_customer_id,
        -- a layout without line numbers numbers its lines by position
        coalesce({{ json_text(raw_doc, '$.line_no') }}, {{ json_text(raw_doc, '$.position') }}) as channel_line_id,
        coalesce({{ json_int(raw_doc, '$.line_no') }}, {{ json_int(raw_doc, '$.position') }}) as line_number,
        {{ json_text(raw_doc, '$.sku') }} as sku,
        {{ json_int(raw_doc, '$.quantity') }} as ordered_quantity,
        {{ json_money(raw_doc, '$.unit_price') }} as unit_price_jpy,
        {{ json_money(raw_doc, '$.amount') }} as amount_jpy,
        try_cast({{ json_text(raw_doc, '$.order_date') }} as date) as order_date,
        try_cast({{ json_text(raw_doc, '$.delivery_date') }} as date) as delivery_date,
        {{ json_text(raw_doc, '$._file') }} as source_file,
        {{ json_int(raw_doc, '$._file_version') }} as file_version,
        {{ json_text(raw_doc, '$._mapping') }} as mapping_file,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

landed_lines as (
    select * exclude (slip_kind)
    from renamed
    where slip_kind = 'order'
),

new_lines as (
    select * from landed_lines
    {{ where_newer_than_built('landed_lines', key='sheet_row_key') }}
),

-- every line of every order: the new ones and, in an incremental build, the built ones no newer
-- version replaces, with what was cancelled of them when they were built
sheet_lines as (
    select
        *,
        true as is_new,
        cast(null as integer) as built_cancelled_quantity,
        cast(null as boolean) as built_is_order_cancelled
    from new_lines
    -- noqa: disable=LT02
    -- (sqlfluff lints both branches of the if; the union is built only incrementally)
    {%- if is_incremental() %}
    union all by name
    select
        * exclude (cancelled_quantity, is_order_cancelled, quantity, discount_jpy, line_total_jpy, tax_jpy),
        false as is_new,
        cancelled_quantity as built_cancelled_quantity,
        is_order_cancelled as built_is_order_cancelled
    from {{ this }}
    where sheet_row_key not in (select new_lines.sheet_row_key from new_lines)
    {%- endif %}
    -- noqa: enable=LT02
),

cancelled_units as (
    select
        channel_order_id,
        sku,
        sum(quantity) as units
    from cancellations
    group by channel_order_id, sku
),

allotted as (
    select
        l.*,
        cast(least(
            l.ordered_quantity,
            greatest(
                coalesce(c.units, 0) - coalesce(sum(l.ordered_quantity) over (
                    partition by l.channel_order_id, l.sku
                    order by l.line_number, l.sheet_row_key
                    rows between unbounded preceding and 1 preceding
                ), 0),
                0
            )
        ) as integer) as cancelled_quantity
    from sheet_lines as l
    left join cancelled_units as c on l.channel_order_id = c.channel_order_id and l.sku = c.sku
),

covered as (
    select
        *,
        bool_and(cancelled_quantity >= ordered_quantity) over (partition by channel_order_id)
            as is_order_cancelled
    from allotted
),

final as (
    select
        * exclude (is_new, built_cancelled_quantity, built_is_order_cancelled),
        case
            when is_order_cancelled then ordered_quantity else ordered_quantity - cancelled_quantity
        end as quantity,
        0 as discount_jpy
    from covered
    where
        is_new
        or built_cancelled_quantity is distinct from cancelled_quantity
        or built_is_order_cancelled is distinct from is_order_cancelled
),

priced as (
    select
        *,
        unit_price_jpy * quantity as line_total_jpy,
        unit_price_jpy * quantity * 10 // 110 as tax_jpy
    from final
)

select * from priced  -- noqa: AM04
