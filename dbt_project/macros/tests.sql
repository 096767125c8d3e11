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
    the columns, so a collision fails nothing. With `built_at` (the column that says which build
    wrote a row), only the keys of the rows built since the test last passed are looked for in
    the whole table (macros/test_passes.sql): a key that repeats has a row built no earlier than
    the other, and the build that wrote it looked for its key. -#}
{% test unique_combination(model, columns, built_at=none) %}
    {%- set key = columns | join(', ') %}
    {%- set last_pass = last_test_pass() if built_at else none %}
    {%- if last_pass is not none %}
    select {{ key }}, count(*) as occurrences
    from {{ model }}
    semi join (
        select {{ key }} from {{ model }} where {{ built_at }} > {{ last_pass }}
    ) as built using ({{ key }})
    group by {{ key }}
    having count(*) > 1
    {%- else %}
    with repeated_hashes as (
        select hash({{ key }}) as key_hash
        from {{ model }}
        group by key_hash
        having count(*) > 1
    )

    select {{ key }}, count(*) as occurrences
    from {{ model }}
    where hash({{ key }}) in (select key_hash from repeated_hashes)
    group by {{ key }}
    having count(*) > 1
    {%- endif %}
{% endtest %}
