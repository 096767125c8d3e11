{#- Generic tests shared by every area (the project uses no dbt packages). -#}

{#- Fails with the rows (within `where_clause`) where `expression` is not true, so a failure
    shows the offending rows. A null result fails unless `nulls_pass` (for invariants that only
    apply where the channel shows the numbers involved). -#}
{% test expression_is_true(model, expression, where_clause='true', nulls_pass=false, column_name=none) %}
    select *
    from {{ model }}
    where ({{ where_clause }}) and not coalesce(({{ expression }}), {{ 'true' if nulls_pass else 'false' }})
{% endtest %}

{#- Fails with each combination of `columns` that occurs more than once. -#}
{% test unique_combination(model, columns) %}
    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
