with

catalogue as (
    select * from {{ ref('int_catalogue') }}
),

suppliers as (
    select * from {{ ref('stg_supplier__suppliers') }}
),

purchase_orders as (
    select * from {{ ref('int_purchase_orders') }}
),

observed_lead_times as (
    select
        supplier_id,
        count(lead_time_days_actual) as received_purchase_orders,
        avg(lead_time_days_actual) as lead_time_days_observed,
        stddev_samp(lead_time_days_actual) as lead_time_days_sd_observed
    from purchase_orders
    group by supplier_id
),

final as (
    select
        catalogue.sku,
        catalogue.product_id,
        catalogue.title,
        catalogue.category,
        catalogue.colour,
        catalogue.size,
        catalogue.jan,
        catalogue.price_jpy,
        catalogue.unit_cost_jpy,
        catalogue.available_from,
        catalogue.supplier_id,
        suppliers.supplier_name,
        catalogue.moq,
        catalogue.case_pack,
        catalogue.lead_time_days,
        catalogue.lead_time_days_sd,
        coalesce(observed_lead_times.received_purchase_orders, 0) as supplier_received_purchase_orders,
        observed_lead_times.lead_time_days_observed as supplier_lead_time_days_observed,
        observed_lead_times.lead_time_days_sd_observed as supplier_lead_time_days_sd_observed
    from catalogue
    left join suppliers on catalogue.supplier_id = suppliers.supplier_id
    left join observed_lead_times on catalogue.supplier_id = observed_lead_times.supplier_id
)

select * from final
