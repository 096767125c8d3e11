{#- Every channel identity in one shape (the intermediate contract, dbt_project/README.md).
    identity_key is `<channel>:<channel customer id>` as int_orders_unioned keys orders' buyers.
    Shopify customers come from customers.json; a customer seen only inside an order (the
    customers endpoint lagging behind) comes from the order's embedded customer object. -#}
with

shopify_customers as (
    select * from {{ ref('stg_shopify__customers') }}
),

shopify_order_customers as (
    select * from {{ ref('stg_shopify__order_customers') }}
),

amazon_customers as (
    select * from {{ ref('stg_amazon__customers') }}
),

rakuten_customers as (
    select * from {{ ref('stg_rakuten__customers') }}
),

pos_customers as (
    select * from {{ ref('stg_pos__customers') }}
),

wholesale_customers as (
    select * from {{ ref('stg_wholesale__customers') }}
),

prefectures as (
    select * from {{ ref('customers_prefectures') }}
),

shopify_all as (
    select * from shopify_customers
    union all
    select * from shopify_order_customers
    where channel_customer_id not in (select c.channel_customer_id from shopify_customers as c)
),

shopify as (
    select
        s.channel,
        s.channel_customer_id,
        s.email,
        s.phone,
        s.family_name,
        s.given_name,
        cast(null as varchar) as family_name_kana,
        cast(null as varchar) as given_name_kana,
        s.postal_code,
        p.prefecture,
        s.city,
        s.address1,
        s.company,
        s.accepts_marketing,
        s.created_at
    from shopify_all as s
    left join prefectures as p on s.province_code = p.province_code
),

amazon as (
    select
        channel,
        channel_customer_id,
        email,
        phone,
        family_name,
        given_name,
        cast(null as varchar) as family_name_kana,
        cast(null as varchar) as given_name_kana,
        postal_code,
        prefecture,
        city,
        address1,
        cast(null as varchar) as company,
        cast(null as boolean) as accepts_marketing,
        created_at
    from amazon_customers
),

rakuten as (
    select
        channel,
        channel_customer_id,
        email,
        phone,
        family_name,
        given_name,
        family_name_kana,
        given_name_kana,
        postal_code,
        prefecture,
        city,
        address1,
        cast(null as varchar) as company,
        cast(null as boolean) as accepts_marketing,
        created_at
    from rakuten_customers
),

pos as (
    select
        channel,
        channel_customer_id,
        email,
        phone,
        family_name,
        given_name,
        family_name_kana,
        given_name_kana,
        postal_code,
        prefecture,
        city,
        address1,
        cast(null as varchar) as company,
        accepts_marketing,
        created_at
    from pos_customers
),

wholesale as (
    select
        channel,
        channel_customer_id,
        cast(null as varchar) as email,
        cast(null as varchar) as phone,
        cast(null as varchar) as family_name,
        cast(null as varchar) as given_name,
        cast(null as varchar) as family_name_kana,
        cast(null as varchar) as given_name_kana,
        cast(null as varchar) as postal_code,
        cast(null as varchar) as prefecture,
        cast(null as varchar) as city,
        cast(null as varchar) as address1,
        company,
        cast(null as boolean) as accepts_marketing,
        created_at
    from wholesale_customers
),

unioned as (
    select * from shopify
    union all
    select * from amazon
    union all
    select * from rakuten
    union all
    select * from pos
    union all
    select * from wholesale
),

final as (
    select
        channel || ':' || channel_customer_id as identity_key,
        *
    from unioned
)

select * from final
