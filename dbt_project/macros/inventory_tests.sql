{#- Generic tests for the inventory slice (no dbt packages in this project). -#}

{#- Fails with the rows where `expression` is not true, so a failure shows the offending rows. -#}
{% test inventory_expression_holds(model, expression, where_clause='true', column_name=none) %}
    select *
    from {{ model }}
    where ({{ where_clause }}) and not coalesce(({{ expression }}), false)
{% endtest %}

{#- Fails with each combination of `columns` that occurs more than once. -#}
{% test inventory_unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
