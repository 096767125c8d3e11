{#- Where the data directory is: the var `data_dir`, which `oms build` and the tests give on dbt's
    command line (orchestration/project.py), else $ICHIGEN_DATA_DIR, else ../data beside this
    project. The sources' yml, which cannot call macros, spell the same expression. -#}
{% macro data_dir() -%}
    {{ return(var('data_dir', env_var('ICHIGEN_DATA_DIR', '../data'))) }}
{%- endmacro %}

{#- dbt's `source`, except that a landing source reads only the parts of completed loads (those
    whose manifest exists: `completed_landing_parts` in landing.sql), and one that no completed
    load has reached yet (a channel not ingested yet, or one this business does not sell
    through) reads as no rows with the landing columns, so that it never stops a build, and
    nothing has to be written into the landing zone to stand in for it. When every part is a
    completed load's (always, but for the moment a commit moves its parts into place), the
    source's own location is read; a channel held back in this build (held_channels.sql) reads
    only the parts committed by its last good build. Only a source that reads its own landing
    folder is concerned (<data_dir>/landing/<source>/<table>/); in a unit test, whose inputs are
    fixtures, nothing is checked. -#}
{% macro source(source_name, table_name) -%}
    {%- set relation = builtins.source(source_name, table_name) -%}
    {%- set location = relation.external if relation.external is defined else none -%}
    {%- set parts = data_dir() ~ '/landing/' ~ source_name ~ '/' ~ table_name ~ '/*.parquet' -%}
    {%- if execute and location and ('/landing/' ~ source_name ~ '/') in location -%}
        {%- set found = run_query("select count(*) from glob('" ~ parts ~ "')").columns[0].values()[0] -%}
        {%- set completed = completed_landing_parts(source_name, table_name) if found > 0 else [] -%}
        {%- if completed | length == 0 -%}
            {{ return(empty_landing()) }}
        {%- elif completed | length < found or source_name in held_channels() -%}
            {{ return("read_parquet(['" ~ completed | join("', '") ~ "'], union_by_name = true)") }}
        {%- endif -%}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{#- No rows, with the columns of a landed part (LANDING_SCHEMA in ingestion/landing.py). -#}
{% macro empty_landing() -%}
    (
        select
            cast(null as varchar) as _load_id,
            cast(null as timestamptz) as _loaded_at,
            cast(null as varchar) as _source,
            cast(null as timestamptz) as _cursor_start,
            cast(null as timestamptz) as _cursor_end,
            cast(null as varchar) as _record_key,
            cast(null as timestamptz) as _record_updated_at,
            cast(null as varchar) as _raw
        where false
    )
{%- endmacro %}
