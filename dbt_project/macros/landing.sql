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
