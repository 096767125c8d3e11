{#- Connected components of an undirected graph, as a subquery of (identity_key, component_key):
    every node reaches the nodes linked to it, transitively (a recursive CTE whose UNION drops
    the pairs already found, so it ends when nothing new is reached); a component is named by
    the smallest key in it. `nodes` has identity_key; `edges` has identity_key_a/_b. -#}
{% macro customers_connected_components(nodes, edges) -%}
    (
        with recursive
        both_ways as (
            select identity_key_a as from_key, identity_key_b as to_key from {{ edges }}
            union all
            select identity_key_b as from_key, identity_key_a as to_key from {{ edges }}
        ),

        reach (identity_key, reachable_key) as (
            select identity_key, identity_key from {{ nodes }}
            union
            select reach.identity_key, both_ways.to_key
            from reach
            inner join both_ways on reach.reachable_key = both_ways.from_key
        )

        select identity_key, min(reachable_key) as component_key
        from reach
        group by identity_key
    )
{%- endmacro %}

{#- A short stable id from a key, through dbt's cross-database hash. -#}
{% macro customers_hash_id(prefix, column) -%}
    '{{ prefix }}' || left({{ dbt.hash(column) }}, 16)
{%- endmacro %}
