{#- Channels held back in this build (orchestration/held_channels.py): a channel whose new data
    could not be built keeps its last good state. The var `held_channels` names them:

        {"<channel>": {"as_of": "<ISO time>" | null, "since": "<ISO time>", "reason": "..."}}

    `as_of` is the channel's good-through point, the start of the last build that read its new
    data (every load it had committed by then was read); null when none ever did. For a held
    channel the landing macros (landing.sql, locations.sql) read only the parts committed by
    then, its staging models are built again from them whole (`should_full_refresh`), and their
    rows say they were landed through then (`landed_through`), so its tables are its last good
    state and the first build without the hold reads every part committed since. -#}
{% macro held_channels() -%}
    {{ return(var('held_channels', {})) }}
{%- endmacro %}

{#- The parts a held channel may read: a SQL condition on a part's `last_modified` (when its
    load committed, ingestion/pending.py); none for a channel not held. -#}
{% macro held_parts_condition(channel) -%}
    {%- set hold = held_channels().get(channel) -%}
    {%- if hold is none -%}
        {{ return(none) }}
    {%- elif hold.get('as_of') is none -%}
        {{ return('false') }}
    {%- endif -%}
    {{ return("last_modified <= cast('" ~ hold['as_of'] ~ "' as timestamptz)") }}
{%- endmacro %}

{#- The channel of the staging model being built (its folder under models/staging/), else none. -#}
{% macro staging_channel() -%}
    {%- if model is defined and model is mapping and model.get('resource_type') == 'model' -%}
        {%- set fqn = model.get('fqn', []) -%}
        {%- if fqn | length > 3 and fqn[1] == 'staging' -%}
            {{ return(fqn[2]) }}
        {%- endif -%}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- dbt's own rule (the model's `full_refresh` config, else --full-refresh), and a staging model
    of a held channel always: an incremental build of it would keep whatever an earlier failed
    try of the same build wrote, and its last good state is what its committed parts up to the
    hold give when built whole (staging keeps the latest version of each record, so building
    it whole equals building it incrementally). -#}
{% macro should_full_refresh() -%}
    {%- set channel = staging_channel() -%}
    {%- if channel is not none and channel in held_channels() -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set configured = config.get('full_refresh') -%}
    {{ return(flags.FULL_REFRESH if configured is none else configured) }}
{%- endmacro %}

{#- The held channels as rows (channel, held_as_of, held_since, held_reason): none when no
    channel is held. -#}
-- noqa: disable=LT02
-- (sqlfluff lints this macro's body as SQL, its Jinja loop as indented code)
{% macro held_channels_relation() -%}
    {%- set held = held_channels() -%}
    {%- if held | length == 0 %}
    select
        cast(null as varchar) as channel,
        cast(null as timestamptz) as held_as_of,
        cast(null as timestamptz) as held_since,
        cast(null as varchar) as held_reason
    where false
    {%- else -%}
        {%- for channel, hold in held.items() %}
    select
        '{{ channel }}' as channel,
        cast({{ "'" ~ hold['as_of'] ~ "'" if hold.get('as_of') else 'null' }} as timestamptz) as held_as_of,
        cast('{{ hold["since"] }}' as timestamptz) as held_since,
        '{{ hold["reason"] | replace("'", "''") }}' as held_reason
            {%- if not loop.last %}
    union all
            {%- endif %}
        {%- endfor %}
    {%- endif %}
{%- endmacro %}
-- noqa: enable=LT02
