{#- Wholesale buyers as their order sheets name them: the buyer code of the sheet's mapping,
    and the company where the layout prints it (only some do). -#}
with

source as (
    {{ latest_version(source('wholesale', 'order_lines')) }}
),

renamed as (
    {%- set raw_doc = json_document('_raw') %}
    select
        'wholesale' as channel,
        {{ json_text(raw_doc, '$.buyer') }} as channel_customer_id,
        nullif(trim({{ json_text(raw_doc, '$.customer') }}), '') as company,
        try_cast({{ json_text(raw_doc, '$.order_date') }} as date) as order_date,
        _loaded_at
    from {{ json_parsed(raw_doc, 'source') }}
),

per_buyer as (
    select
        channel,
        channel_customer_id,
        max(company) as company,
        timezone('Asia/Tokyo', cast(min(order_date) as timestamp)) as created_at,
        max(_loaded_at) as _loaded_at
    from renamed
    where channel_customer_id is not null
    group by channel, channel_customer_id
)

select * from per_buyer
