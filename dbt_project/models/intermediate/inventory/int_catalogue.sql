-- One row per SKU: the supplier's catalogue terms with the supplier's lead time. When two
-- suppliers offer a SKU, the cheaper (then the quicker) one is the SKU's supplier.
with

catalogue as (
    select * from {{ ref('stg_supplier__catalogue') }}
),

suppliers as (
    select * from {{ ref('stg_supplier__suppliers') }}
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
        sku,
        product_id,
        title,
        -- No landed source carries the category or the list price yet (Shopify products are not
        -- ingested); the columns stay so that the contract's shape holds.
        cast(null as varchar) as category,
        colour,
        size,
        jan,
        cast(null as bigint) as price_jpy,
        unit_cost_jpy,
        supplier_id,
        moq,
        case_pack,
        coalesce(lead_time_days, supplier_lead_time_days) as lead_time_days,
        coalesce(supplier_lead_time_days_sd, 0) as lead_time_days_sd,
        available_from,
        supplier_count
    from ranked
    where supplier_rank = 1
)

select * from final
