-- noqa: disable=LT02
-- (sqlfluff lints the macros' bodies as SQL here, their Jinja tags as indented code)
{#- JSON access in one place, so that another engine needs only these macros rewritten
    (DESIGN.md decision 8). Paths are JSONPath strings such as '$.line_items'.

    Each macro reads either a column (its JSON parsed at every call) or a document from
    json_document(), whose fields are parsed once per row: DuckDB parses the whole JSON at every
    json_extract_string call, so twenty-five fields of an ~8 KB Shopify order parsed it
    twenty-five times (2.5 s for 10k orders; one list of paths: 0.08 s). A document's fields
    are read in the select list and its relation named after them, in the `from` clause
    (stg_shopify__orders: `set raw_doc = json_document('_raw')`, `json_text(raw_doc, '$.name')`
    in the select list, then `from json_parsed(raw_doc, 'source')`). Jinja renders in order, so
    `json_parsed` sees every path the select list asked for; a `where` after it may read those
    paths again, but no new one. -#}
{% macro json_document(column, alias=none) -%}
    {%- set fields_column = alias or (column | replace('.', '__')) ~ '__fields' -%}
    {{ return({'column': column, 'alias': fields_column, 'paths': [], 'parsed': false}) }}
{%- endmacro %}

{#- The relation with the document's fields parsed into one list column (`<column>__fields`),
    named `alias` (the relation's own name by default). -#}
{% macro json_parsed(document, relation, alias=none) -%}
    {%- do document.update({'parsed': true}) -%}
    {%- if document.paths | length == 0 -%}
        {{ exceptions.raise_compiler_error("json_parsed(" ~ document.column ~ "): no field was read before it") }}
    {%- endif -%}
    (
        select
            *,
            json_extract_string({{ document.column }}, [
                {%- for path in document.paths %}'{{ path | replace("'", "''") }}'{{ ", " if not loop.last }}{% endfor -%}
            ]) as {{ document.alias }}
        from {{ relation }}
    ) as {{ alias or relation }}
{%- endmacro %}

{#- The text at `path`: of a document, its parsed field; of a column, parsed now. -#}
{% macro _json_string(source, path) -%}
    {%- if source is mapping -%}
        {%- if path not in source.paths -%}
            {%- if source.parsed -%}
                {{ exceptions.raise_compiler_error(
                    "JSON path " ~ path ~ " of " ~ source.column ~ " is first read after json_parsed(); "
                    ~ "read it in the select list, before the from clause, or from the column"
                ) }}
            {%- endif -%}
            {%- do source.paths.append(path) -%}
        {%- endif -%}
        {{ source.alias }}[{{ source.paths.index(path) + 1 }}]
    {%- else -%}
        json_extract_string({{ source }}, '{{ path }}')
    {%- endif -%}
{%- endmacro %}

{% macro json_text(column, path) -%}
    {{ _json_string(column, path) }}
{%- endmacro %}

{% macro json_int(column, path) -%}
    try_cast({{ _json_string(column, path) }} as bigint)
{%- endmacro %}

{% macro json_money(column, path) -%}
    cast(round(try_cast({{ _json_string(column, path) }} as decimal(18, 2))) as bigint)
{%- endmacro %}

{% macro json_ts(column, path) -%}
    try_cast({{ _json_string(column, path) }} as timestamptz)
{%- endmacro %}

{#- One row per element of a JSON array: select {{ json_each('o._raw', '$.line_items') }} as item -#}
{% macro json_each(column, path) -%}
    {%- if column is mapping -%}
        unnest(cast(cast({{ _json_string(column, path) }} as json) as json[]))
    {%- else -%}
        unnest(cast(json_extract({{ column }}, '{{ path }}') as json[]))
    {%- endif -%}
{%- endmacro %}
