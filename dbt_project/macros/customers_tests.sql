{#- Generic tests the customers models use (the project has no dbt packages). -#}

{#- Rows for which `expression` does not hold fail. -#}
{% test customers_expression_is_true(model, expression, column_name=none) -%}
    select *
    from {{ model }}
    where not coalesce({{ expression }}, false)
{%- endtest %}

{#- Combinations of `columns` that occur more than once fail. -#}
{% test customers_unique_combination(model, columns) -%}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{%- endtest %}
