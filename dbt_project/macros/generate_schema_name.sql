{#- Schemas are named after the layer (staging, intermediate, marts), not prefixed with the
    target's: the app reads `marts` whatever the target is called. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
