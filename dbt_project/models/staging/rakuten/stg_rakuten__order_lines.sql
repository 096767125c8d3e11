{#- One row per ItemModel of the order's package(s). `ordered_units` is the most units any
    landed version showed: RMS lowers `units` on a partial return (see stg_rakuten__orders).
    Incremental: the lines of an order with versions landed since the last build are worked
    out again from those versions and the order's built lines, which stand for every version
    before them (the latest of those, and the most units any showed); as in
    stg_rakuten__orders, every version landed since is later than the ones built. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

source as (
    select * from {{ landed_since_built('rakuten', 'orders') }}
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
    {%- set package_doc = json_document('package') %}
    select
        channel_order_id,
        {{ json_text(package_doc, '$.basketId') }} as basket_id,
        {{ json_each(package_doc, '$.ItemModelList') }} as item,
        _loaded_at,
        _load_id,
        _record_updated_at
    from {{ json_parsed(package_doc, 'packages') }}
),

renamed as (
    {%- set item_doc = json_document('item') %}
    select
        'rakuten' as channel,
        channel_order_id,
        basket_id,
        {{ json_text(item_doc, '$.itemDetailId') }} as channel_line_id,
        coalesce(
            {{ json_text(item_doc, '$.SkuModelList[0].merchantDefinedSkuId') }},
            {{ json_text(item_doc, '$.itemNumber') }}
        ) as sku,
        {{ json_text(item_doc, '$.manageNumber') }} as manage_number,
        {{ json_int(item_doc, '$.units') }} as units,
        {{ json_int(item_doc, '$.units') }} as most_units,
        {{ json_money(item_doc, '$.priceTaxIncl') }} as unit_price_jpy,
        try_cast({{ json_text(item_doc, '$.taxRate') }} as decimal(5, 4)) as tax_rate,
        _loaded_at,
        _load_id,
        _record_updated_at,
        -- a landed version outranks the built lines, which stand for the versions before it
        1 as _source_rank
    from {{ json_parsed(item_doc, 'items') }}
),

-- a built line as a version: its current units, and the most units any version showed
candidates as (
    {{ with_built_rows('renamed', 'channel_order_id', built_columns=(
        '* exclude (quantity, current_units, goods_jpy, line_number, _landed_through),'
        ~ ' current_units as units, quantity as most_units, 0 as _source_rank'
    )) }}
),

versions as (
    select
        *,
        max(most_units) over (partition by channel_order_id, channel_line_id) as ordered_units,
        row_number() over (
            partition by channel_order_id, channel_line_id
            order by
                _source_rank desc, _record_updated_at desc nulls last, _loaded_at desc, _load_id desc
        ) as _version_rank
    from candidates
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
        tax_rate,
        unit_price_jpy * ordered_units as goods_jpy,
        row_number() over (
            partition by channel_order_id order by cast(channel_line_id as bigint)
        ) as line_number,
        _loaded_at,
        {{ landed_through() }} as _landed_through
    from versions
    where _version_rank = 1
)

select * from final
