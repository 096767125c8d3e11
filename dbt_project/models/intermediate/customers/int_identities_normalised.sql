{{ config(materialized="table") }}

{#- Each identity with the values the matching rules compare: e-mail normalised (masked relays
    flagged), phone in E.164, postcode as 7 digits, an address key, and name keys in loose
    romaji (from the kana reading the channel gives, the kana or romaji as typed, or else the
    learned reading of the kanji; a kanji without a known reading keys as written). -#}
with

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

readings as (
    select * from {{ ref('int_name_readings_learned') }}
),

cleaned as (
    select
        identity_key,
        channel,
        {{ customers_email('email') }} as email_normalised,
        {{ customers_phone_e164('phone') }} as phone_e164,
        {{ customers_postal_code('postal_code') }} as postal_code7,
        nullif(nfc_normalize(trim(city)), '') as city,
        {{ customers_address_key('address1') }} as address_key,
        nullif(regexp_replace(nfc_normalize(family_name), '[\s　]+', '', 'g'), '') as family_name,
        nullif(regexp_replace(nfc_normalize(given_name), '[\s　]+', '', 'g'), '') as given_name,
        nullif(regexp_replace(nfc_normalize(family_name_kana), '[\s　]+', '', 'g'), '') as family_name_kana,
        nullif(regexp_replace(nfc_normalize(given_name_kana), '[\s　]+', '', 'g'), '') as given_name_kana
    from identities
),

with_readings as (
    select
        c.*,
        case
            when {{ customers_is_romaji('c.family_name') }} then lower(c.family_name)
            else {{ customers_kana_to_romaji(
                "coalesce(c.family_name_kana, case when " ~ customers_is_kana('c.family_name')
                ~ " then c.family_name end, rf.reading)"
            ) }}
        end as family_romaji,
        case
            when {{ customers_is_romaji('c.given_name') }} then lower(c.given_name)
            else {{ customers_kana_to_romaji(
                "coalesce(c.given_name_kana, case when " ~ customers_is_kana('c.given_name')
                ~ " then c.given_name end, rg.reading)"
            ) }}
        end as given_romaji
    from cleaned as c
    left join readings as rf on rf.name_part = 'family' and c.family_name = rf.written
    left join readings as rg on rg.name_part = 'given' and c.given_name = rg.written
),

final as (
    select
        identity_key,
        channel,
        email_normalised,
        {{ customers_email_is_masked('email_normalised') }} as email_is_masked,
        phone_e164,
        postal_code7,
        city,
        address_key,
        family_name,
        given_name,
        coalesce({{ customers_romaji_key('family_romaji') }}, family_name) as family_key,
        coalesce({{ customers_romaji_key('given_romaji') }}, given_name) as given_key
    from with_readings
)

select * from final
