-- One row per SKU: the supplier's catalogue terms with the supplier's lead time. When two
-- suppliers offer a SKU, the cheaper (then the quicker) one is the SKU's supplier.
with

catalogue as (
    select * from {{ ref('stg_supplier__catalogue') }}
),

suppliers as (
    select * from {{ ref('stg_supplier__suppliers') }}
),

-- one variant per SKU: Shopify lets two variants share a SKU; the one updated last wins
shop_variants as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by sku order by updated_at desc nulls last, shopify_variant_id desc
            ) as variant_rank
        from {{ ref('stg_shopify__product_variants') }}
    ) as ranked_variants
    where variant_rank = 1
),

ranked as (
    select
        catalogue.*,
        suppliers.lead_time_days as supplier_lead_time_days,
        suppliers.lead_time_days_sd as supplier_lead_time_days_sd,
        row_number() over (
            partition by catalogue.sku
            order by catalogue.unit_cost_jpy, catalogue.lead_time_days, catalogue.supplier_id
        ) as supplier_rank,
        count(*) over (partition by catalogue.sku) as supplier_count
    from catalogue
    left join suppliers on catalogue.supplier_id = suppliers.supplier_id
),

final as (
    select
        ranked.sku,
        ranked.product_id,
        ranked.title,
        -- the supplier knows cost and terms; the web shop's catalogue knows category and price
        shop_variants.product_type as category,
        ranked.colour,
        ranked.size,
        coalesce(ranked.jan, shop_variants.jan) as jan,
        shop_variants.price_jpy,
        ranked.unit_cost_jpy,
        ranked.supplier_id,
        ranked.moq,
        ranked.case_pack,
        coalesce(ranked.lead_time_days, ranked.supplier_lead_time_days) as lead_time_days,
        coalesce(ranked.supplier_lead_time_days_sd, 0) as lead_time_days_sd,
        ranked.available_from,
        ranked.supplier_count
    from ranked
    left join shop_variants on ranked.sku = shop_variants.sku
    where ranked.supplier_rank = 1
)

select * from final
