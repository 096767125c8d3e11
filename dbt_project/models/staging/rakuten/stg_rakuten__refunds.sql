{#- RMS books a return as a change to the order (ChangeReasonModel), without the items or the
    amount: 6 変更完了 with 0 減額 for a partial return, 2 キャンセル完了 after shipping for a full
    one. One row per such change here; int_refunds_unioned spreads them over the returned lines. -#}
with

source as (
    {{ latest_version(source('rakuten', 'orders')) }}
),

changes as (
    select
        _record_key as channel_order_id,
        {{ json_ts('_raw', '$.shippingCmplRptDatetime') }} as shipped_at,
        {{ json_each('_raw', '$.ChangeReasonModelList') }} as change_model,
        _loaded_at
    from source
),

renamed as (
    select
        'rakuten' as channel,
        channel_order_id,
        {{ json_text('change_model', '$.changeId') }} as change_id,
        {{ json_int('change_model', '$.changeType') }} as change_type,
        {{ json_int('change_model', '$.changeTypeDetail') }} as change_type_detail,
        {{ json_int('change_model', '$.changeReason') }} as change_reason,
        {{ json_int('change_model', '$.changeReasonDetail') }} as change_reason_detail,
        {{ json_ts('change_model', '$.changeApplyDatetime') }} as requested_at,
        {{ json_ts('change_model', '$.changeFixDatetime') }} as refunded_at,
        shipped_at,
        _loaded_at
    from changes
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
