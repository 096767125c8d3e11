{#- RMS books a return as a change to the order (ChangeReasonModel), without the items or the
    amount: 6 変更完了 with 0 減額 for a partial return, 2 キャンセル完了 after shipping for a full
    one. One row per such change here; int_refunds_unioned spreads them over the returned lines. -#}
with

-- the latest version of each order with its changes as JSON, kept by stg_rakuten__orders
-- (incremental), so that this model parses each order once instead of every landed version
orders as (
    select
        channel_order_id,
        shipped_at,
        change_reasons,
        _loaded_at
    from {{ ref('stg_rakuten__orders') }}
    where change_count > 0
),

changes as (
    select
        channel_order_id,
        shipped_at,
        {{ json_each('change_reasons', '$') }} as change_model,
        _loaded_at
    from orders
),

renamed as (
    {%- set change_model_doc = json_document('change_model') %}
    select
        'rakuten' as channel,
        channel_order_id,
        {{ json_text(change_model_doc, '$.changeId') }} as change_id,
        {{ json_int(change_model_doc, '$.changeType') }} as change_type,
        {{ json_int(change_model_doc, '$.changeTypeDetail') }} as change_type_detail,
        {{ json_int(change_model_doc, '$.changeReason') }} as change_reason,
        {{ json_int(change_model_doc, '$.changeReasonDetail') }} as change_reason_detail,
        {{ json_ts(change_model_doc, '$.changeApplyDatetime') }} as requested_at,
        {{ json_ts(change_model_doc, '$.changeFixDatetime') }} as refunded_at,
        shipped_at,
        _loaded_at
    from {{ json_parsed(change_model_doc, 'changes') }}
),

final as (
    select
        *,
        change_type = 2 as is_full_return,
        case change_reason_detail
            when 2 then '受取後の返品'
            when 15 then '返品(破損・品間違い)'
        end as channel_reason,
        -- RMS's two return reasons do not tell size from changed mind, nor defect from damage
        'other' as reason
    from renamed
    where change_type = 6 or (change_type = 2 and shipped_at is not null)
)

select * from final
