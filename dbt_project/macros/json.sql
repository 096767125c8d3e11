{#- JSON access in one place, so that another engine needs only these macros rewritten
    (DESIGN.md decision 8). Paths are JSONPath strings such as '$.line_items'. -#}
{% macro json_text(column, path) -%}
    json_extract_string({{ column }}, '{{ path }}')
{%- endmacro %}

{% macro json_int(column, path) -%}
    try_cast(json_extract_string({{ column }}, '{{ path }}') as bigint)
{%- endmacro %}

{% macro json_money(column, path) -%}
    cast(round(try_cast(json_extract_string({{ column }}, '{{ path }}') as decimal(18, 2))) as bigint)
{%- endmacro %}

{% macro json_ts(column, path) -%}
    try_cast(json_extract_string({{ column }}, '{{ path }}') as timestamptz)
{%- endmacro %}

{#- One row per element of a JSON array: select {{ json_each('o._raw', '$.line_items') }} as item -#}
{% macro json_each(column, path) -%}
    unnest(cast(json_extract({{ column }}, '{{ path }}') as json[]))
{%- endmacro %}
