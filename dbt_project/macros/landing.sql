{#- Where the landing zone's Parquet for a channel's entity lies (see ingestion/landing.py). -#}
{% macro landing_location(channel, entity) -%}
    read_parquet('{{ env_var("ICHIGEN_DATA_DIR", "../data") }}/landing/{{ channel }}/{{ entity }}/*.parquet', union_by_name = true)
{%- endmacro %}

{#- The latest version of each record: landing is at-least-once, staging makes it exactly-once.
    Ties on the channel's change time go to the later load. -#}
{% macro latest_version(relation, key='_record_key') -%}
    select *
    from (
        select
            *,
            row_number() over (
                partition by {{ key }}
                order by _record_updated_at desc nulls last, _loaded_at desc, _load_id desc
            ) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
{%- endmacro %}

{#- Incremental staging. An order-shaped staging model built incrementally reads only the
    landing parts written since its last build: every row carries `_landed_through`, the start
    of the build that read it, and the next build reads the parts modified since the newest of
    those (less a minute, for a part renamed into place just as a build began; reading a part
    twice changes nothing). A full refresh, or the first build, reads every part; so does the
    build of a table built before its model wrote the column `built_with`, which only a new
    version of a record would fill. -#}
{% macro landed_since_built(channel, entity, built_with=none) -%}
    {%- set relation = source(channel, entity) -%}
    {%- if built_incrementally(built_with) -%}
        {%- set parts_query -%}
            select filename
            from read_blob('{{ env_var("ICHIGEN_DATA_DIR", "../data") }}/landing/{{ channel }}/{{ entity }}/*.parquet')
            where last_modified >= coalesce(
                (select max(_landed_through) from {{ this }}), timestamptz '-infinity'
            ) - interval 1 minute
            order by filename
        {%- endset -%}
        {%- set parts = run_query(parts_query).columns[0].values() -%}
        {%- if parts | length > 0 -%}
            read_parquet([
                {%- for part in parts %}'{{ part }}'{{ ", " if not loop.last }}{% endfor -%}
            ], union_by_name = true)
        {%- else -%}
            (select * from {{ relation }} where false)
        {%- endif -%}
    {%- else -%}
        {{ relation }}
    {%- endif -%}
{%- endmacro %}

{#- An incremental build of a table built before its model was incremental (no
    `_landed_through`) reads every part once; on_schema_change adds the columns it lacked. So
    does one of a table built before its model wrote the column `built_with`, when given. -#}
{% macro built_incrementally(built_with=none) -%}
    {{ return(built_with_column('_landed_through') and (built_with is none or built_with_column(built_with))) }}
{%- endmacro %}

{#- The pre-hook of a staging model whose tables built before it was incremental lack its
    `unique_key`: delete+insert would keep their rows beside the new ones, so such a table is
    emptied and built whole once. -#}
{% macro forget_rows_built_before_incremental() -%}
    {%- if is_incremental() and not built_incrementally() -%}
        delete from {{ this }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Whether this is an incremental build of a table that has `column`: a table built before its
    model wrote the column (an older version of the model) must be built whole once. -#}
{% macro built_with_column(column) -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{ return(column in columns) }}
{%- endmacro %}

{#- The rows landed since the last build and, when the model was built incrementally, its
    built rows for the same records (`key`), as one relation by column name: what a model
    merges when its rows summarise versions that landed over several builds. `built_columns`
    shapes a built row like a landed one. -#}
{% macro with_built_rows(landed, key, built_columns='* exclude (_landed_through)') -%}
    select * from {{ landed }}
    {%- if built_incrementally() %}
        union all by name
        select {{ built_columns }}
        from {{ this }}
        where {{ key }} in (select {{ key }} from {{ landed }})
    {%- endif %}
{%- endmacro %}

{% macro landed_through() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamptz)
{%- endmacro %}

{#- In an incremental build, keep only the records whose version is newer than the one already
    built (with `unique_key` = `key` and delete+insert, a newer version replaces all the rows of
    its record), so that the table equals a full refresh. `versions` order the versions as
    latest_version does: the first may be null (oldest), the rest are not. A table built
    before its model wrote the column `built_with` takes every record again (see
    landed_since_built). -#}
{%- macro where_newer_than_built(
    relation, key='_record_key', versions=('_record_updated_at', '_loaded_at', '_load_id'),
    built_with=none
) -%}
    {%- if built_incrementally(built_with) %}
    where not exists (
        select 1
        from {{ this }} as built
        where
            built.{{ key }} = {{ relation }}.{{ key }}
            and {{ _version_at_least('built', relation, versions) }}
    )
    {%- endif -%}
{%- endmacro %}

{#- left's version >= right's, lexicographically over `versions`; the first may be null (oldest) -#}
{% macro _version_at_least(left, right, versions, first=true) -%}
    {%- set l = left ~ "." ~ versions[0] -%}
    {%- set r = right ~ "." ~ versions[0] -%}
    {%- if first -%}
        {%- set l = "coalesce(" ~ l ~ ", cast('-infinity' as timestamptz))" -%}
        {%- set r = "coalesce(" ~ r ~ ", cast('-infinity' as timestamptz))" -%}
    {%- endif -%}
    {%- if versions | length == 1 -%}
        {{ l }} >= {{ r }}
    {%- else -%}
        ({{ l }} > {{ r }} or ({{ l }} = {{ r }} and {{ _version_at_least(left, right, versions[1:], false) }}))
    {%- endif -%}
{%- endmacro %}

{#- A post-hook of an incremental model built by key: forget the rows whose `key` is no longer
    in `relation` (a record that left its source builds no row that would replace them). -#}
{% macro forget_gone_keys(key, relation) -%}
    {%- if is_incremental() %}
        delete from {{ this }} as built
        where not exists (select 1 from {{ relation }} as now where now.{{ key }} = built.{{ key }})
    {%- endif %}
{%- endmacro %}

{#- The post-hook of an incremental model built per row of a parent that says when it was built
    (`_built_at`): forget the rows whose parent row is gone or was built again after them. -#}
{% macro forget_rows_behind(parent, key) -%}
    {%- if is_incremental() %}
        delete from {{ this }} as built
        where not exists (
            select 1
            from {{ parent }} as parent
            where parent.{{ key }} = built.{{ key }} and parent._built_at <= built._built_at
        )
    {%- endif %}
{%- endmacro %}

{#- The built rows' `columns` (a mapping of name to type) in an incremental build of a table that
    has the column `built_with`; otherwise no rows, typed alike (a full build, or a table built
    before its model wrote that column, which is then built whole). -#}
-- noqa: disable=LT02
-- (sqlfluff lints this macro's body as SQL, its Jinja tags as indented code)
{% macro built_columns(columns, built_with) -%}
    {%- if built_with_column(built_with) %}
    select {{ columns.keys() | join(', ') }} from {{ this }}
    {%- else %}
    select
        {%- for name, type in columns.items() %}
        cast(null as {{ type }}) as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}
-- noqa: enable=LT02

{#- When the rows a build writes were built: the start of the build (dbt's run_started_at). -#}
{% macro build_started_at() -%}
    cast('{{ run_started_at.isoformat() }}' as timestamptz)
{%- endmacro %}

{#- Whether an upstream row, by its `built_at` (an upstream model's `_built_at`), was built after
    this model's last build (the latest `this_column` of its rows): the rows an incremental build
    of this model takes again. Staging models say when they were built by `_landed_through`. -#}
{% macro built_since_this_model(built_at, this_column='_built_at') -%}
    {{ built_at }} > coalesce((select max({{ this_column }}) from {{ this }}), timestamptz '-infinity')
{%- endmacro %}
