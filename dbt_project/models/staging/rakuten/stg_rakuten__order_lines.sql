{#- One row per ItemModel of the order's package(s). `ordered_units` is the most units any
    landed version showed: RMS lowers `units` on a partial return (see stg_rakuten__orders). -#}
with

source as (
    select * from {{ source('rakuten', 'orders') }}
),

packages as (
    select
        _record_key as channel_order_id,
        {{ json_each('_raw', '$.PackageModelList') }} as package,
        _loaded_at,
        _load_id,
        _record_updated_at
    from source
),

items as (
    select
        channel_order_id,
        {{ json_text('package', '$.basketId') }} as basket_id,
        {{ json_each('package', '$.ItemModelList') }} as item,
        _loaded_at,
        _load_id,
        _record_updated_at
    from packages
),

renamed as (
    select
        'rakuten' as channel,
        channel_order_id,
        basket_id,
        {{ json_text('item', '$.itemDetailId') }} as channel_line_id,
        coalesce(
            {{ json_text('item', '$.SkuModelList[0].merchantDefinedSkuId') }},
            {{ json_text('item', '$.itemNumber') }}
        ) as sku,
        {{ json_text('item', '$.manageNumber') }} as manage_number,
        {{ json_int('item', '$.units') }} as units,
        {{ json_money('item', '$.priceTaxIncl') }} as unit_price_jpy,
        {{ json_int('item', '$.deleteItemFlag') }} as delete_item_flag,
        _loaded_at,
        _load_id,
        _record_updated_at
    from items
),

versions as (
    select
        *,
        max(units) over (partition by channel_order_id, channel_line_id) as ordered_units,
        row_number() over (
            partition by channel_order_id, channel_line_id
            order by _record_updated_at desc nulls last, _loaded_at desc, _load_id desc
        ) as _version_rank
    from renamed
),

final as (
    select
        channel,
        channel_order_id,
        channel_line_id,
        basket_id,
        sku,
        manage_number,
        ordered_units as quantity,
        units as current_units,
        unit_price_jpy,
        unit_price_jpy * ordered_units as goods_jpy,
        row_number() over (
            partition by channel_order_id order by cast(channel_line_id as bigint)
        ) as line_number,
        _loaded_at
    from versions
    where _version_rank = 1
)

select * from final
