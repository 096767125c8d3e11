{#- Generic tests shared by every area (the project uses no dbt packages). -#}

{#- Fails with the rows (within `where_clause`) where `expression` is not true, so a failure
    shows the offending rows. A null result fails unless `nulls_pass` (for invariants that only
    apply where the channel shows the numbers involved). -#}
{% test expression_is_true(model, expression, where_clause='true', nulls_pass=false, column_name=none) %}
    select *
    from {{ model }}
    where ({{ where_clause }}) and not coalesce(({{ expression }}), {{ 'true' if nulls_pass else 'false' }})
{% endtest %}

{#- Fails with each combination of `columns` that occurs more than once. Grouped first by one
    64-bit hash of the columns, which is faster than by the columns themselves on a wide key
    (fct_demand_daily: four columns, 14M rows); the rows whose hash repeats are then grouped by
    the columns, so a collision fails nothing. -#}
{% test unique_combination(model, columns) %}
    with repeated_hashes as (
        select hash({{ columns | join(', ') }}) as key_hash
        from {{ model }}
        group by key_hash
        having count(*) > 1
    )

    select {{ columns | join(', ') }}, count(*) as occurrences
    from {{ model }}
    where hash({{ columns | join(', ') }}) in (select key_hash from repeated_hashes)
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
