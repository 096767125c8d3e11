{#- Candidate pairs of identities, found by blocking on the keys that can only be shared by one
    person (normalised e-mail, E.164 phone, name reading + postcode), each with every rule it
    satisfies and its score:

    | rule              | evidence                                             | score |
    | email_exact       | same normalised e-mail (never a masked relay)        | 1.00  |
    | phone_and_name    | same E.164 phone and same family-name reading        | 0.95  |
    | name_and_address  | same name reading, postcode and street address, and  | 0.90  |
    |                   | no two different phones                              |       |
    | name_and_postcode | same name reading, postcode and city, where one side | 0.70  |
    |                   | has nothing else to match on (a masked relay, no     |       |
    |                   | phone, no street: Amazon without the RDT)            |       |

    name_and_postcode is weak (namesakes live in one postcode): int_identity_links accepts it
    only where it is unambiguous. Its identity_key_a is the side with nothing else to match on;
    the strong rules' pairs are ordered (identity_key_a < identity_key_b). -#}
with

identities as (
    select * from {{ ref('int_identities_normalised') }}
),

keyed as (
    select
        *,
        (email_normalised is null or email_is_masked)
        and phone_e164 is null
        and address_key is null as has_only_name_and_postcode
    from identities
),

email_pairs as (
    select
        a.identity_key as identity_key_a,
        b.identity_key as identity_key_b,
        'email_exact' as rule,  -- noqa: RF04
        1.00 as score
    from keyed as a
    inner join keyed as b
        on
            a.email_normalised = b.email_normalised
            and a.identity_key < b.identity_key
    where not a.email_is_masked
),

phone_pairs as (
    select
        a.identity_key as identity_key_a,
        b.identity_key as identity_key_b,
        'phone_and_name' as rule,  -- noqa: RF04
        0.95 as score
    from keyed as a
    inner join keyed as b
        on
            a.phone_e164 = b.phone_e164
            and a.family_key = b.family_key
            and a.identity_key < b.identity_key
),

address_pairs as (
    select
        a.identity_key as identity_key_a,
        b.identity_key as identity_key_b,
        'name_and_address' as rule,  -- noqa: RF04
        0.90 as score
    from keyed as a
    inner join keyed as b
        on
            a.postal_code7 = b.postal_code7
            and a.address_key = b.address_key
            and a.family_key = b.family_key
            and a.given_key = b.given_key
            and a.identity_key < b.identity_key
            -- two different phones are two people sharing a name and an address (a family)
            and (a.phone_e164 is null or b.phone_e164 is null or a.phone_e164 = b.phone_e164)
),

postcode_pairs as (
    select
        -- a: the side with nothing else to match on; b: its candidate
        a.identity_key as identity_key_a,
        b.identity_key as identity_key_b,
        'name_and_postcode' as rule,  -- noqa: RF04
        0.70 as score
    from keyed as a
    inner join keyed as b
        on
            a.postal_code7 = b.postal_code7
            and a.city = b.city
            and a.family_key = b.family_key
            and a.given_key = b.given_key
            and a.has_only_name_and_postcode
            and not b.has_only_name_and_postcode
),

final as (
    select * from email_pairs
    union all
    select * from phone_pairs
    union all
    select * from address_pairs
    union all
    select * from postcode_pairs
)

select * from final
