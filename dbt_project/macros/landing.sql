{#- The landing parts of a channel's entity that staging may read: those of completed loads.
    A load writes its parts out of sight (landing/<channel>/<entity>/_pending/<load_id>/, which
    the `*.parquet` glob does not descend into) and its commit moves them into place, dated at
    that moment, before it writes its manifest (_loads/<load_id>.json) last; a part counts once
    that manifest exists (ingestion/landing.py, ingestion/pending.py). With `modified_since` (a
    timestamp expression), only the parts modified since then. Of a channel held back in this
    build (held_channels.sql), only the parts committed by its last good build. -#}
{% macro completed_landing_parts(channel, entity, modified_since=none) -%}
    {%- set folder = data_dir() ~ '/landing/' ~ channel ~ '/' ~ entity -%}
    {%- set parts_query -%}
        select filename
        from read_blob('{{ folder }}/*.parquet')
        where regexp_extract(filename, '([^/]+)-[0-9]+[.]parquet$', 1) in (
            select regexp_extract(file, '([^/]+)[.]json$', 1)
            from glob('{{ folder }}/_loads/*.json')
        )
        {%- if modified_since is not none %}
            and last_modified >= {{ modified_since }}
        {%- endif %}
        {%- if held_parts_condition(channel) is not none %}
            and {{ held_parts_condition(channel) }}
        {%- endif %}
        order by filename
    {%- endset -%}
    {{ return(run_query(parts_query).columns[0].values()) }}
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
    landing parts that landed since its last build: every row carries `_landed_through`, the
    start of the build that read it, and the next build reads the completed loads' parts
    modified since the newest of those (less a minute, for a part moved into place just as a
    build began; reading a part twice changes nothing). A part is dated when its load commits,
    not when it was written, so a load written before a build began and committed after it is
    read by the next build; a part whose load had no manifest yet when a build looked is dated
    again when the manifest is written. A full refresh, or the first build, reads every
    completed load's part. -#}
{% macro landed_since_built(channel, entity) -%}
    {%- set relation = source(channel, entity) -%}
    {%- if is_incremental() -%}
        {%- set since -%}
            coalesce(
                (select max(_landed_through) from {{ this }}), timestamptz '-infinity'
            ) - interval 1 minute
        {%- endset -%}
        {%- set parts = completed_landing_parts(channel, entity, modified_since=since) -%}
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

{#- The rows landed since the last build and, when the model was built incrementally, its
    built rows for the same records (`key`), as one relation by column name: what a model
    merges when its rows summarise versions that landed over several builds. `built_columns`
    shapes a built row like a landed one. -#}
{% macro with_built_rows(landed, key, built_columns='* exclude (_landed_through)') -%}
    select * from {{ landed }}
    {%- if is_incremental() %}
        union all by name
        select {{ built_columns }}
        from {{ this }}
        where {{ key }} in (select {{ key }} from {{ landed }})
    {%- endif %}
{%- endmacro %}

{#- What a staging row says it was landed through (`_landed_through`): the start of this build,
    or for a held channel's model its good-through point, so that the first build without the
    hold reads every part committed since (held_channels.sql). -#}
{% macro landed_through() -%}
    {%- set channel = staging_channel() -%}
    {%- set hold = held_channels().get(channel) if channel is not none else none -%}
    {%- if hold is none -%}
        cast('{{ run_started_at.isoformat() }}' as timestamptz)
    {%- else -%}
        cast('{{ hold.get("as_of") or "-infinity" }}' as timestamptz)
    {%- endif -%}
{%- endmacro %}

{#- In an incremental build, keep only the records whose version is newer than the one already
    built (with `unique_key` = `key` and delete+insert, a newer version replaces all the rows of
    its record), so that the table equals a full refresh. `versions` order the versions as
    latest_version does: the first may be null (oldest), the rest are not. -#}
{%- macro where_newer_than_built(
    relation, key='_record_key', versions=('_record_updated_at', '_loaded_at', '_load_id')
) -%}
    {%- if is_incremental() %}
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

{#- The built rows' `columns` (a mapping of name to type) in an incremental build; in a full
    build, no rows, typed alike. -#}
-- noqa: disable=LT02
-- (sqlfluff lints this macro's body as SQL, its Jinja tags as indented code)
{% macro built_columns(columns) -%}
    {%- if is_incremental() %}
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

{#- A field of a JSON record kept beside the landing parts (a load's manifest under `_loads/`, a
    failure under `_failures/`), else what the record's path says: `part` is 'channel' or
    'entity' (landing/<channel>/<entity>/<folder>/<id>.json) or 'id' (the file's name). The
    record's own value wins; the path answers for a record that lacks it. -#}
{% macro record_or_path(document, field, folder, part) -%}
    {%- set patterns = {
        'channel': '([^/]+)/[^/]+/' ~ folder ~ '/[^/]+$',
        'entity': '([^/]+)/' ~ folder ~ '/[^/]+$',
        'id': '([^/]+)[.]json$',
    } -%}
    coalesce(
        {{ json_text(document, '$.' ~ field) }},
        regexp_extract(filename, '{{ patterns[part] }}', 1)
    )
{%- endmacro %}
