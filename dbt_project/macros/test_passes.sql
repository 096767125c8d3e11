-- noqa: disable=LT02
{#- Data tests on the incremental models check the rows built since they last passed.

    An incremental build rewrites a few rows of tables of millions (fct_demand_daily: ~0.3M of
    14M), and a row it keeps was checked by the build that wrote it. So a row-level test (not
    null, accepted values, an expression on the row) of such a model sets
    `where: "_built_at > __last_pass__"` (`_landed_through` on staging), and a key test
    (unique_combination's `built_at`) checks the keys of those rows against the whole table.

    `__last_pass__` is the start of the last build in which this test, as defined now, passed:
    every row built up to then was checked and passed, by that build or an earlier one. A test
    that failed keeps its last pass, so the next build checks the failing rows again; a test
    that never passed, or whose arguments changed since, has none and checks every row. The
    passes are kept in `test_passes` (schema main), written by the on-run-end hook.

    Only rows that are written whole may be checked this way: none of these models updates a
    row in place, and a row deleted cannot make a row-level test fail. Tests that read two
    tables (relationships, totals across models) check everything: deleting a parent can
    orphan a child built long ago. -#}

{% macro test_passes_relation() -%}
    {{ return(api.Relation.create(database=target.database, schema=target.schema, identifier='test_passes')) }}
{%- endmacro %}

{#- What a pass vouches for: the test's name, its arguments and its where (`test_node` as a dict,
    as the `model` of a test's context is). -#}
{% macro test_definition(test_node) -%}
    {{ return(local_md5(tojson([test_node.test_metadata, test_node.config.get('where')], sort_keys=true))) }}
{%- endmacro %}

{#- The last pass of the test being compiled, as a SQL timestamp literal; none when it has none. -#}
{% macro last_test_pass() -%}
    {%- if not execute or load_relation(test_passes_relation()) is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set query -%}
        select max(passed_at)
        from {{ test_passes_relation() }}
        where test_id = '{{ model.unique_id }}' and definition = '{{ test_definition(model) }}'
    {%- endset -%}
    {%- set passed_at = run_query(query).columns[0].values()[0] -%}
    {{ return(none if passed_at is none else "timestamptz '" ~ passed_at.isoformat() ~ "'") }}
{%- endmacro %}

{#- dbt's get_where_subquery, for a where that compares a row's build with `__last_pass__`:
    without a last pass, the test checks every row. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__last_pass__' in where -%}
        {%- set last_pass = last_test_pass() -%}
        {%- set where = '' if last_pass is none else where | replace('__last_pass__', last_pass) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return("(select * from " ~ relation ~ " where " ~ where ~ ") dbt_subquery") -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- on-run-end: record the tests that passed, at the start of this build. -#}
{% macro record_test_passes(results) -%}
    {%- if execute -%}
        {%- set passed = [] -%}
        {%- for result in results
            if result.node.resource_type == 'test' and result.status == 'pass'
                and result.node.test_metadata is not none -%}
            {%- do passed.append(result.node.to_dict(omit_none=true)) -%}
        {%- endfor -%}
        {%- set relation = test_passes_relation() -%}
        create table if not exists {{ relation }} (
            test_id varchar primary key,
            definition varchar not null,
            passed_at timestamptz not null
        );
        {%- if passed %}
        insert or replace into {{ relation }} (test_id, definition, passed_at) values
        {%- for node in passed %}
            ('{{ node.unique_id }}', '{{ test_definition(node) }}', {{ build_started_at() }}){{ "," if not loop.last }}
        {%- endfor %};
        {%- endif %}
    {%- endif -%}
{%- endmacro %}
