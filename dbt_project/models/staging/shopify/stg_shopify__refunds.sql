{#- One row per refund line item (refunds[].refund_line_items) of an order's latest version;
    restock_type `cancel` marks a cancellation's refund, the rest are returns with the reason in
    the refund's note. refund_line_jpy is the line's refund in the shop's currency
    (`subtotal_set.shop_money`, plus its tax where prices exclude tax). A refund without lines
    (shipping only, goodwill) has no row here: stg_shopify__order_refunds has every refund. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('shopify', 'orders')) }}
),

refunds as (
    select
        _record_key as channel_order_id,
        coalesce(cast({{ json_text('_raw', '$.taxes_included') }} as boolean), false) as taxes_included,
        {{ json_each('_raw', '$.refunds') }} as refund,
        _record_updated_at,
        _loaded_at,
        _load_id
    from source
),

refund_lines as (
    {%- set refund_doc = json_document('refund') %}
    select
        channel_order_id,
        taxes_included,
        {{ json_text(refund_doc, '$.id') }} as refund_id,
        {{ json_text(refund_doc, '$.note') }} as note,
        {{ json_ts(refund_doc, '$.created_at') }} as created_at,
        {{ json_ts(refund_doc, '$.processed_at') }} as processed_at,
        {{ json_each(refund_doc, '$.refund_line_items') }} as refund_line,
        _record_updated_at,
        _loaded_at,
        _load_id
    from {{ json_parsed(refund_doc, 'refunds') }}
),

renamed as (
    {%- set refund_line_doc = json_document('refund_line') %}
    select
        'shopify' as channel,
        channel_order_id,
        refund_id,
        {{ json_text(refund_line_doc, '$.id') }} as refund_line_id,
        {{ json_text(refund_line_doc, '$.line_item_id') }} as channel_line_id,
        nullif(trim({{ json_text(refund_line_doc, '$.line_item.sku') }}), '') as sku,
        {{ json_int(refund_line_doc, '$.quantity') }} as quantity,
        {{ shopify_money_with_tax(refund_line_doc, 'subtotal', 'total_tax', 'taxes_included') }} as refund_line_jpy,
        {{ json_text(refund_line_doc, '$.restock_type') }} as restock_type,
        note,
        created_at,
        processed_at,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(refund_line_doc, 'refund_lines') }}
),

final as (
    select
        *,
        restock_type = 'cancel' as is_cancellation,
        restock_type in ('return', 'cancel', 'legacy_restock') as restocked,
        -- a refund's note is its return reason; one refund grouping several reasons names them all
        case
            when note in (
                'size', 'defect', 'changed_mind', 'wrong_item', 'damaged_in_transit', 'not_as_described'
            ) then note
            else 'other'
        end as reason
    from renamed
)

select * from final
{{ where_newer_than_built('final', key='channel_order_id') }}
