{#- A till receipt (取引番号 of the 売上 rows) is an order; receipts are paid at the counter.

    Incremental (delete+insert by receipt): a build makes again the receipts that have a line
    stg_pos__order_lines read since this table's last build (`_landed_through`), from all their
    lines. Lines are only ever added or replaced there, never taken away. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="channel_order_id",
    )
}}

with

lines as (
    select * from {{ ref('stg_pos__order_lines') }}
    {%- if is_incremental() %}
        where channel_order_id in (
            select landed.channel_order_id
            from {{ ref('stg_pos__order_lines') }} as landed
            where {{ built_since_this_model('landed._landed_through', '_landed_through') }}
        )
    {%- endif %}
),

final as (
    select
        'pos' as channel,
        channel_order_id,
        channel_order_id as order_name,
        max(channel_customer_id) as channel_customer_id,
        max(store_code) as location_id,
        max(register_number) as register_number,
        min(ordered_at) as ordered_at,
        sum(unit_price_jpy * quantity) as subtotal_jpy,
        sum(discount_jpy) as discount_jpy,
        sum(line_total_jpy) as total_jpy,
        count(*) as line_count,
        max(_loaded_at) as _loaded_at,
        max(_landed_through) as _landed_through
    from lines
    group by channel_order_id
)

select * from final
