{#- Every channel identity and the customer it belongs to: the connected components of the
    merging links of int_identity_links, one customer per component. Each identity carries the
    link by which it joined its customer (its strongest link: rule, score and the identity on
    the other side); an identity linked to nothing is its own customer (rule `singleton`).
    customer_id is a hash of the component's smallest identity key, so it is stable while the
    component keeps it. suggested_customer_id: the customer that an unambiguous link below the
    merge threshold points to (a name and postcode match, see int_identity_links), for a person
    to confirm or reject. orders: the orders placed under the identity (every status), which the
    app shows beside each identity of a customer. -#}
with

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

all_links as (
    select * from {{ ref('int_identity_links') }}
),

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

links as (
    select * from all_links
    where merges_identities
),

components as (
    select * from {{ customers_connected_components('identities', 'links') }}
),

links_both_ways as (
    select
        identity_key_a as identity_key,
        identity_key_b as linked_identity_key,
        rule,
        score,
        merges_identities
    from all_links
    union all
    select
        identity_key_b as identity_key,
        identity_key_a as linked_identity_key,
        rule,
        score,
        merges_identities
    from all_links
),

strongest_link as (
    select *
    from links_both_ways
    where merges_identities
    qualify row_number() over (partition by identity_key order by score desc, linked_identity_key asc) = 1
),

resolved as (
    select
        i.identity_key,
        {{ customers_hash_id('cus_', 'c.component_key') }} as customer_id,
        i.channel,
        i.channel_customer_id,
        coalesce(s.rule, 'singleton') as rule,  -- noqa: RF04
        s.score,
        s.linked_identity_key,
        count(*) over (partition by c.component_key) as identities_in_customer
    from identities as i
    inner join components as c on i.identity_key = c.identity_key
    left join strongest_link as s on i.identity_key = s.identity_key
),

suggested as (
    select
        l.identity_key,
        arg_max(other.customer_id, l.score) as suggested_customer_id,
        arg_max(l.rule, l.score) as suggested_by_rule
    from links_both_ways as l
    inner join resolved as own on l.identity_key = own.identity_key
    inner join resolved as other on l.linked_identity_key = other.identity_key
    where not l.merges_identities and own.customer_id != other.customer_id
    group by l.identity_key
),

orders_per_identity as (
    select
        identity_key,
        count(*) as orders
    from orders
    where identity_key is not null
    group by identity_key
),

final as (
    select
        r.*,
        s.suggested_customer_id,
        s.suggested_by_rule,
        coalesce(o.orders, 0) as orders
    from resolved as r
    left join suggested as s on r.identity_key = s.identity_key
    left join orders_per_identity as o on r.identity_key = o.identity_key
)

select * from final
