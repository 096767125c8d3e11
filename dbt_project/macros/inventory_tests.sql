{#- Generic tests for the inventory slice (no dbt packages in this project). -#}

{#- Fails with the rows where `expression` is not true, so a failure shows the offending rows. -#}
{% test inventory_expression_holds(model, expression, where_clause='true', column_name=none) %}
    select *
    from {{ model }}
    where ({{ where_clause }}) and not coalesce(({{ expression }}), false)
{% endtest %}
