{#- Kana readings of names written in kanji, learned from the channels that collect both
    (Rakuten's and member forms' フリガナ): for each written name, its most frequent reading.
    This lets a kanji name on one channel meet a romaji or kana name on another. -#}
with

identities as (
    select * from {{ ref('int_identities_unioned') }}
),

written_with_reading as (
    select
        'family' as name_part,
        family_name as written,
        family_name_kana as reading
    from identities
    where family_name is not null and family_name_kana is not null
    union all
    select
        'given' as name_part,
        given_name as written,
        given_name_kana as reading
    from identities
    where given_name is not null and given_name_kana is not null
),

counted as (
    select
        name_part,
        nfc_normalize(trim(written)) as written,
        nfc_normalize(trim(reading)) as reading,
        count(*) as seen
    from written_with_reading
    group by all
),

final as (
    select
        name_part,
        written,
        reading,
        seen
    from counted
    qualify row_number() over (partition by name_part, written order by seen desc, reading asc) = 1
)

select * from final
