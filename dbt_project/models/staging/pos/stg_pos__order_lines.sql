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
        {{ json_text(raw_doc, '$.取引番号') }} as receipt_number,
        {{ json_text(raw_doc, '$.明細番号') }} as receipt_line_number,
        nullif({{ json_text(raw_doc, '$.元取引番号') }}, '') as original_receipt_number,
        -- the tills write JST wall-clock time
        timezone('Asia/Tokyo', try_strptime({{ json_text(raw_doc, '$.取引日時') }}, '%Y/%m/%d %H:%M:%S'))
            as transacted_at,
        {{ json_text(raw_doc, '$.店舗コード') }} as store_code,
        {{ json_text(raw_doc, '$.レジ番号') }} as register_number,
        {{ json_text(raw_doc, '$.取引区分') }} as transaction_type,
        {{ json_text(raw_doc, '$.JANコード') }} as jan,
        {{ json_text(raw_doc, '$.商品コード') }} as sku,
        {{ json_int(raw_doc, '$.数量') }} as quantity,
        {{ json_int(raw_doc, '$.単価') }} as unit_price_jpy,
        {{ json_int(raw_doc, '$.値引額') }} as discount_jpy,
        {{ json_int(raw_doc, '$.金額') }} as amount_jpy,
        nullif({{ json_text(raw_doc, '$.会員番号') }}, '') as channel_customer_id,
        {{ json_text(raw_doc, '$._file') }} as source_file,
        _record_updated_at,
        _loaded_at,
        _load_id,
        {{ landed_through() }} as _landed_through
    from {{ json_parsed(raw_doc, 'source') }}
),

final as (
    select
        channel,
        receipt_number as channel_order_id,
        receipt_line_number as channel_line_id,
        cast(receipt_line_number as integer) as line_number,
        store_code,
        register_number,
        transacted_at as ordered_at,
        jan,
        sku,
        quantity,
        unit_price_jpy,
        discount_jpy,
        amount_jpy as line_total_jpy,
        amount_jpy * 10 // 110 as tax_jpy,
        channel_customer_id,
        source_file,
        pos_row_key,
        _record_updated_at,
        _loaded_at,
        _load_id,
        _landed_through
    from renamed
    where transaction_type = '売上'
)

select * from final
{{ where_newer_than_built('final', key='pos_row_key') }}
