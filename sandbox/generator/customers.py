"""The customer base: persons, and the identities under which channels know them.

A person is one human being (truth); an identity is what one channel knows (world). The same
person shows up on several channels, and the channels disagree about them as real ones do:
e-mail case, gmail dots and +tags, Amazon's and Rakuten's masked relay addresses, phone
numbers typed in half a dozen formats (Amazon shows its buyer's only on orders the seller
ships itself), names in kanji, kana or romaji, another address.

Everything here is a pure function of (seed, preset) plus the person and channel in question,
so live trading finds the same identity for the same person without storing the persons
anywhere the pipeline could read them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.sandbox.generator.names import (
    BUILDINGS,
    EMAIL_DOMAINS,
    FAMILY_NAMES,
    GIVEN_NAMES,
    PLACES,
    WHOLESALE_BUYERS,
)
from ichigen.sandbox.generator.presets import Preset
from ichigen.sandbox.generator.randomness import random_strings, rng_for
from ichigen.sandbox.schema import CHANNELS, IDENTITIES, TRUTH_PERSONS

__all__ = ["Persons", "assign_persons", "build_persons", "identity_ids", "identity_rows"]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SHOPIFY, AMAZON, RAKUTEN, POS, WHOLESALE = range(len(CHANNELS))
# Share of persons who shop on each consumer channel (independent draws: overlaps are the point).
_USES = np.array([0.42, 0.5, 0.33, 0.3])
_POS_MEMBER_SHARE = 0.45  # of POS sales, the rest are walk-ins without a member card
_SECOND_SHOPIFY_ACCOUNT = 0.04  # persons who forgot their login and signed up again
_MOVED = 0.12  # identities that give another address than the person's home
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Persons:
    """Every person as arrays; index = person number. Wholesale contacts come last."""

    family: IntArray  # index into FAMILY_NAMES
    given: IntArray  # index into GIVEN_NAMES
    local: list[str]  # e-mail local part, romaji
    domain: IntArray  # index into EMAIL_DOMAINS
    phone: list[str]  # national mobile number, digits only: "09012345678"
    place: IntArray  # index into PLACES
    street: list[str]  # "1-2-3" or "1-2-3 メゾン青山201"
    activity: npt.NDArray[np.float64]  # how often they buy, relative
    uses: BoolArray  # (person, consumer channel): shopify, amazon, rakuten, pos
    second_shopify: BoolArray
    n_consumers: int  # persons before this index are consumers, the rest wholesale contacts

    @property
    def size(self) -> int:
        return int(self.family.size)

    def email(self, i: int) -> str:
        return f"{self.local[i]}@{EMAIL_DOMAINS[int(self.domain[i])][0]}"


def build_persons(seed: int, plan: Preset) -> Persons:
    rng = rng_for(seed, "persons")
    n_buyers = plan.n_wholesale_buyers
    n = plan.n_persons + n_buyers
    family = rng.integers(len(FAMILY_NAMES), size=n)
    given = rng.integers(len(GIVEN_NAMES), size=n)
    domain_p = np.array([w for _, w in EMAIL_DOMAINS])
    domain = rng.choice(len(EMAIL_DOMAINS), size=n, p=domain_p / domain_p.sum())
    style = rng.integers(4, size=n)
    # a number no two persons share keeps addresses unique without looking like an id
    number = rng.permutation(n) + 10
    local = []
    for i in range(n):
        f, g = FAMILY_NAMES[int(family[i])][2].lower(), GIVEN_NAMES[int(given[i])][2].lower()
        s, k = int(style[i]), int(number[i])
        local.append((f"{g}.{f}{k}", f"{f}{g}{k}", f"{g}_{f}{k}", f"{g[0]}{f}.{k}")[s])
    prefix = rng.choice(["090", "080", "070"], size=n, p=[0.5, 0.38, 0.12])
    # distinct numbers drawn directly: a permutation of all 90 million to take the first n
    # allocated 720 MB and took 5.6 s, most of a small sandbox's generation
    digits = rng.choice(90_000_000, size=n, replace=False) + 10_000_000
    phone = [f"{p}{d:08d}" for p, d in zip(prefix, digits, strict=True)]
    place_p = np.array([p[4] for p in PLACES])
    place = rng.choice(len(PLACES), size=n, p=place_p / place_p.sum())
    chome = rng.integers(1, 6, size=(n, 3))
    building = rng.integers(-len(BUILDINGS) * 2, len(BUILDINGS), size=n)
    room = rng.integers(1, 9, size=n) * 100 + rng.integers(1, 12, size=n)
    street = [
        f"{c[0]}-{c[1] * 3}-{c[2] * 2}" + (f" {BUILDINGS[int(b)]}{r}" if b >= 0 else "")
        for c, b, r in zip(chome, building, room, strict=True)
    ]
    activity = rng.lognormal(0.0, 1.1, size=n)
    uses = rng.random((n, _USES.size)) < _USES
    nobody = ~uses.any(axis=1)
    uses[nobody, rng.integers(_USES.size, size=int(nobody.sum()))] = True
    uses[plan.n_persons :] = False  # wholesale contacts buy for their company only
    for b, buyer in enumerate(WHOLESALE_BUYERS[:n_buyers]):
        i = plan.n_persons + b
        place[i] = buyer[2]
        local[i] = f"order.{FAMILY_NAMES[int(family[i])][2].lower()}"
        street[i] = f"{chome[i][0]}-{chome[i][1]}-{chome[i][2]} {buyer[0]}ビル"
    second = (rng.random(n) < _SECOND_SHOPIFY_ACCOUNT) & uses[:, SHOPIFY]
    return Persons(
        family=family,
        given=given,
        local=local,
        domain=domain,
        phone=phone,
        place=place,
        street=street,
        activity=activity,
        uses=uses,
        second_shopify=second,
        n_consumers=plan.n_persons,
    )


def assign_persons(
    persons: Persons, channel: IntArray, buyer: IntArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Who placed each order: (person, identity variant); person -1 for a POS walk-in.

    Frequent buyers are drawn more often, so repeat customers emerge; a wholesale order's
    person is its buyer's contact.
    """
    n = channel.size
    person = np.full(n, -1, dtype=np.int64)
    variant = np.zeros(n, dtype=np.int64)
    for c in (SHOPIFY, AMAZON, RAKUTEN, POS):
        hit = np.flatnonzero(channel == c)
        if c == POS:
            hit = hit[rng.random(hit.size) < _POS_MEMBER_SHARE]
        members = np.flatnonzero(persons.uses[:, c])
        if hit.size == 0 or members.size == 0:
            continue
        w = persons.activity[members]
        person[hit] = members[rng.choice(members.size, size=hit.size, p=w / w.sum())]
    wholesale = channel == WHOLESALE
    person[wholesale] = persons.n_consumers + buyer[wholesale]
    shopify = (channel == SHOPIFY) & (person >= 0)
    second = shopify & persons.second_shopify[np.maximum(person, 0)]
    variant[second] = (rng.random(int(second.sum())) < 0.5).astype(np.int64)
    return person, variant


def _channel_customer_id(seed: int, person: int, channel: int, variant: int) -> str:
    rng = rng_for(seed, "identity-id", person, channel, variant)
    if channel == SHOPIFY:
        return str(7_100_000_000_000 + person * 4_000 + variant * 2_000 + int(rng.integers(2_000)))
    if channel == AMAZON:
        return "A" + str(random_strings(rng, 1, 13, "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")[0])
    if channel == RAKUTEN:
        return f"{100_000_000 + person * 7 + int(rng.integers(7))}"
    return f"{(person * 37 + 11) % 99_999_989:010d}"  # POS: a card number, leading zeros


def identity_ids(
    seed: int, persons: Persons, person: IntArray, channel: IntArray, variant: IntArray
) -> list[str | None]:
    """The identity id of each (person, channel, variant); None for walk-ins."""
    cache: dict[tuple[int, int, int], str] = {}
    out: list[str | None] = []
    for p, c, v in zip(person.tolist(), channel.tolist(), variant.tolist(), strict=True):
        if p < 0:
            out.append(None)
            continue
        key = (p, c, v)
        if key not in cache:
            if c == WHOLESALE:
                cid = f"WB{p - persons.n_consumers + 1:03d}"
            else:
                cid = _channel_customer_id(seed, p, c, v)
            cache[key] = f"{CHANNELS[c]}:{cid}"
        out.append(cache[key])
    return out


def _phone_as_typed(national: str, style: int) -> str:
    a, b, c = national[:3], national[3:7], national[7:]
    formats = (
        f"{a}-{b}-{c}",
        national,
        f"+81 {a[1:]} {b} {c}",
        f"+81{national[1:]}",
        f"{a} {b} {c}",
        f"({a}) {b}-{c}",
        f"{a}-{b}-{c}".translate(_FULL_WIDTH),  # typed with the IME still on
    )
    return formats[style]


_FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")
_PHONE_STYLE_P = np.array([0.45, 0.2, 0.1, 0.05, 0.07, 0.05, 0.08])


def _email_as_typed(persons: Persons, i: int, variant: int, rng: np.random.Generator) -> str:
    local, domain = persons.local[i], EMAIL_DOMAINS[int(persons.domain[i])][0]
    gmail = domain == "gmail.com"
    if variant == 1:  # a second account: gmail users add a tag, others use another provider
        if gmail:
            return f"{local}+shop@{domain}"
        other = EMAIL_DOMAINS[(int(persons.domain[i]) + 1) % len(EMAIL_DOMAINS)][0]
        return f"{local}@{other}"
    u = rng.random()
    if u < 0.08:
        return f"{local[0].upper()}{local[1:]}@{domain}"
    if u < 0.12:
        return f"{local}@{domain}".upper()
    if gmail and u < 0.2:  # gmail ignores dots and anything after a +
        if "." in local:
            return f"{local.replace('.', '')}@{domain}"
        return f"{local}+{rng.choice(['shop', 'ec', 'online'])}@{domain}"
    return f"{local}@{domain}"


def _masked_email(seed: int, person: int, channel: int) -> str:
    rng = rng_for(seed, "relay", person, channel)
    token = str(random_strings(rng, 1, 16 if channel == AMAZON else 20, _ALNUM)[0])
    if channel == AMAZON:
        return f"{token}@marketplace.amazon.co.jp"
    return f"{token}@pc.fw.rakuten.ne.jp"


def identity_rows(
    seed: int,
    persons: Persons,
    keys: list[tuple[str, int, int, int]],
    created_at: list[int],
) -> pl.DataFrame:
    """Identity rows for (identity_id, person, channel, variant), created at the given instants."""
    rows: dict[str, list[object]] = {name: [] for name in IDENTITIES.names()}
    for (identity_id, p, c, v), created in zip(keys, created_at, strict=True):
        rng = rng_for(seed, "identity", p, c, v)
        fam, giv = FAMILY_NAMES[int(persons.family[p])], GIVEN_NAMES[int(persons.given[p])]
        place = PLACES[int(persons.place[p])]
        script = rng.random()
        if c == AMAZON:
            script = 0.5 + script * 0.5 if script < 0.5 else 0.0  # half romaji, as typed
        elif c in (RAKUTEN, POS, WHOLESALE):
            script = 0.0  # member forms ask for kanji and furigana
        if script < 0.72:
            family, given = fam[0], giv[0]
        elif script < 0.95:
            romaji = 3 if rng.random() < 0.3 else 2
            family, given = fam[romaji], giv[romaji]
        else:
            family, given = fam[1], giv[1]
        moved = rng.random() < _MOVED and c != WHOLESALE
        if moved:
            place = PLACES[int(rng.integers(len(PLACES)))]
        postal = place[2]
        postal = f"{postal[:3]}-{postal[3:]}" if rng.random() < 0.85 else postal
        street = (
            persons.street[p]
            if not moved
            else f"{rng.integers(1, 9)}-{rng.integers(1, 30)}-{rng.integers(1, 20)}"
        )
        if c == AMAZON:
            # the address form asks for a phone; Amazon shows it only on orders the seller
            # ships itself (MFN), never on FBA ones (sandbox.simulators.amazon.order_json)
            email = _masked_email(seed, p, c)
            style = int(rng.choice(_PHONE_STYLE_P.size, p=_PHONE_STYLE_P))
            phone = _phone_as_typed(persons.phone[p], style)
        elif c == RAKUTEN:
            email = _masked_email(seed, p, c)
            phone = _phone_as_typed(persons.phone[p], 0)
        else:
            email = _email_as_typed(persons, p, v, rng)
            style = int(rng.choice(_PHONE_STYLE_P.size, p=_PHONE_STYLE_P))
            phone = _phone_as_typed(persons.phone[p], style)
            if c == POS and rng.random() < 0.4:
                email = None  # a paper member form: e-mail is optional
        buyer = p - persons.n_consumers if c == WHOLESALE else -1
        rows["identity_id"].append(identity_id)
        rows["channel"].append(CHANNELS[c])
        rows["channel_customer_id"].append(identity_id.split(":", 1)[1])
        rows["email"].append(email)
        rows["phone"].append(phone)
        rows["family_name"].append(family)
        rows["given_name"].append(given)
        kana = c in (RAKUTEN, POS)
        rows["family_name_kana"].append(fam[1] if kana else None)
        rows["given_name_kana"].append(giv[1] if kana else None)
        rows["postal_code"].append(postal)
        rows["prefecture"].append(place[0])
        rows["city"].append(place[1])
        rows["address1"].append(f"{place[3]}{street}")
        rows["company"].append(WHOLESALE_BUYERS[buyer][0] if buyer >= 0 else None)
        rows["accepts_marketing"].append(bool(rng.random() < 0.45))
        rows["created_at"].append(created)
    frame = pl.DataFrame(rows, schema={**IDENTITIES, "created_at": pl.Int64})
    return frame.with_columns(pl.col("created_at").cast(pl.Datetime("us", "UTC")))


def person_rows(persons: Persons, used: IntArray) -> pl.DataFrame:
    """Truth: the persons behind the identities, canonical e-mail and E.164 phone."""
    return pl.DataFrame(
        {
            "person_id": [f"H{p + 1:07d}" for p in used.tolist()],
            "family_name": [FAMILY_NAMES[int(persons.family[p])][0] for p in used],
            "given_name": [GIVEN_NAMES[int(persons.given[p])][0] for p in used],
            "family_name_kana": [FAMILY_NAMES[int(persons.family[p])][1] for p in used],
            "given_name_kana": [GIVEN_NAMES[int(persons.given[p])][1] for p in used],
            "family_name_romaji": [FAMILY_NAMES[int(persons.family[p])][2] for p in used],
            "given_name_romaji": [GIVEN_NAMES[int(persons.given[p])][2] for p in used],
            "email": [persons.email(int(p)) for p in used],
            "phone_e164": [f"+81{persons.phone[int(p)][1:]}" for p in used],
        },
        schema=TRUTH_PERSONS,
    )
