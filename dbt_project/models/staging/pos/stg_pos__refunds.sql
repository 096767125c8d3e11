{#- A 返品 is its own receipt: 取引番号 is the return's, 元取引番号 the sale's, 明細番号 the sold
    line's; 数量 and 金額 are negative. Tills record no reason.

    Incremental as stg_pos__order_lines is (the same landed rows, the other 取引区分): a build
    reads the parts landed since the last one. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="pos_row_key",
    )
}}

with

source as (
    {{ latest_version(landed_since_built('pos', 'sales')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'pos' as channel,
        _record_key as pos_row_key,
        {{ json_text(raw_doc, '$.取引番号') }} as return_receipt_number,
        {{ json_text(raw_doc, '$.元取引番号') }} as channel_order_id,
        {{ json_text(raw_doc, '$.明細番号') }} as channel_line_id,
        timezone('Asia/Tokyo', try_strptime({{ json_text(raw_doc, '$.取引日時') }}, '%Y/%m/%d %H:%M:%S'))
            as refunded_at,
        {{ json_text(raw_doc, '$.店舗コード') }} as store_code,
        {{ json_text(raw_doc, '$.取引区分') }} as transaction_type,
        {{ json_text(raw_doc, '$.商品コード') }} as sku,
        -{{ json_int(raw_doc, '$.数量') }} as quantity,
        -{{ json_int(raw_doc, '$.金額') }} as refund_jpy,
        nullif({{ json_text(raw_doc, '$.会員番号') }}, '') as channel_customer_id,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        channel,
        return_receipt_number,
        channel_order_id,
        channel_line_id,
        refunded_at,
        store_code,
        sku,
        quantity,
        refund_jpy,
        channel_customer_id,
        'other' as reason,
        pos_row_key,
        _record_updated_at,
        _loaded_at,
        _load_id,
        _landed_through
    from renamed
    where transaction_type = '返品'
)

select * from final
{{ where_newer_than_built('final', key='pos_row_key') }}
