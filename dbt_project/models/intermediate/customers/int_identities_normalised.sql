{#- Each identity with the values the matching rules compare: e-mail normalised (masked relays
    flagged), phone in E.164, postcode as 7 digits, an address key, and name keys in loose
    romaji (from the kana reading the channel gives, the kana or romaji as typed, or else the
    learned reading of the kanji; a kanji without a known reading keys as written).

    Incremental (delete+insert by identity_key): an identity is normalised again when what its
    row is made of changed (`_inputs_hash`: its unioned row and the learned readings of its
    names as written); a post-hook forgets identities that left int_identities_unioned. The
    normalising was most of this model's time, and a build sees a few thousand new or changed
    identities of ~360k at large. -#}
{{
    config(
        materialized="incremental",
        incremental_strategy="delete+insert",
        unique_key="identity_key",
        post_hook="{{ forget_gone_keys('identity_key', ref('int_identities_unioned')) }}",
    )
}}

with

unioned as (
    select * from {{ ref('int_identities_unioned') }}
),

readings as (
    select * from {{ ref('int_name_readings_learned') }}
),

unioned_hashes as (
    select
        *,
        hash(*columns(*)) as row_hash
    from unioned
),

-- each identity with what its row is made of: the learned readings are looked up by the names
-- as the model cleans them below
inputs as (
    select
        unioned_hashes.* exclude (unioned_hashes.row_hash),
        hash(unioned_hashes.row_hash, family_readings.reading, given_readings.reading) as inputs_hash
    from unioned_hashes
    left join readings as family_readings
        on
            family_readings.name_part = 'family'
            and family_readings.written = {{ customers_name_as_written('unioned_hashes.family_name') }}
    left join readings as given_readings
        on
            given_readings.name_part = 'given'
            and given_readings.written = {{ customers_name_as_written('unioned_hashes.given_name') }}
),

-- the rows built before (none in a full build)
built as (
    {{ built_columns({'identity_key': 'varchar', '_inputs_hash': 'ubigint'}) }}
),

-- the identities to normalise: the new and the changed (in a full build, all)
identities as (
    select inputs.*
    from inputs
    left join built on inputs.identity_key = built.identity_key
    where built.identity_key is null or built._inputs_hash != inputs.inputs_hash
),

cleaned as (
    select
        identity_key,
        inputs_hash,
        channel,
        {{ customers_email('email') }} as email_normalised,
        {{ customers_phone_e164('phone') }} as phone_e164,
        {{ customers_postal_code('postal_code') }} as postal_code7,
        nullif(nfc_normalize(trim(city)), '') as city,
        {{ customers_address_key('address1') }} as address_key,
        {{ customers_name_as_written('family_name') }} as family_name,
        {{ customers_name_as_written('given_name') }} as given_name,
        {{ customers_name_as_written('family_name_kana') }} as family_name_kana,
        {{ customers_name_as_written('given_name_kana') }} as given_name_kana
    from identities
),

-- The romaji keys are worked out once per distinct name as written and its kana, not per
-- identity: names repeat (the large tier's 311k identities carry ~200 distinct family names),
-- and the kana-to-romaji chain of ~140 replaces was most of this model's time.
names as (
    select distinct
        'family' as name_part,
        family_name as written,
        family_name_kana as kana
    from cleaned
    union all
    select distinct
        'given' as name_part,
        given_name as written,
        given_name_kana as kana
    from cleaned
),

name_romaji as (
    select
        names.name_part,
        names.written,
        names.kana,
        case
            when {{ customers_is_romaji('names.written') }} then lower(names.written)
            else {{ customers_kana_to_romaji(
                "coalesce(names.kana, case when " ~ customers_is_kana('names.written')
                ~ " then names.written end, readings.reading)"
            ) }}
        end as romaji
    from names
    left join readings on names.name_part = readings.name_part and names.written = readings.written
),

name_keys as (
    select
        name_part,
        written,
        kana,
        coalesce({{ customers_romaji_key('romaji') }}, written) as name_key
    from name_romaji
),

final as (
    select
        c.identity_key,
        c.channel,
        c.email_normalised,
        {{ customers_email_is_masked('c.email_normalised') }} as email_is_masked,
        c.phone_e164,
        c.postal_code7,
        c.city,
        c.address_key,
        c.family_name,
        c.given_name,
        family_names.name_key as family_key,
        given_names.name_key as given_key,
        c.inputs_hash as _inputs_hash
    from cleaned as c
    left join name_keys as family_names
        on
            family_names.name_part = 'family'
            and c.family_name is not distinct from family_names.written
            and c.family_name_kana is not distinct from family_names.kana
    left join name_keys as given_names
        on
            given_names.name_part = 'given'
            and c.given_name is not distinct from given_names.written
            and c.given_name_kana is not distinct from given_names.kana
)

select * from final
