{#- A 返品 is its own receipt: 取引番号 is the return's, 元取引番号 the sale's, 明細番号 the sold
    line's; 数量 and 金額 are negative. Tills record no reason. -#}
with

source as (
    {{ latest_version(source('pos', 'sales')) }}
),

renamed as (
    select
        'pos' as channel,
        {{ json_text('_raw', '$.取引番号') }} as return_receipt_number,
        {{ json_text('_raw', '$.元取引番号') }} as channel_order_id,
        {{ json_text('_raw', '$.明細番号') }} as channel_line_id,
        timezone('Asia/Tokyo', try_strptime({{ json_text('_raw', '$.取引日時') }}, '%Y/%m/%d %H:%M:%S'))
            as refunded_at,
        {{ json_text('_raw', '$.店舗コード') }} as store_code,
        {{ json_text('_raw', '$.取引区分') }} as transaction_type,
        {{ json_text('_raw', '$.商品コード') }} as sku,
        -{{ json_int('_raw', '$.数量') }} as quantity,
        -{{ json_int('_raw', '$.金額') }} as refund_jpy,
        nullif({{ json_text('_raw', '$.会員番号') }}, '') as channel_customer_id,
        _loaded_at
    from source
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
        _loaded_at
    from renamed
    where transaction_type = '返品'
)

select * from final
