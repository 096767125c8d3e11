"""Identity resolution scored against the sandbox's truth: pairwise precision and recall.

Two identities form a true pair when the truth gives them the same person, a predicted pair
when map_customer_identities gives them the same customer. The pipeline never reads the truth;
only this test does, through a bridge from the world's identities to the pipeline's keys:
Amazon and Rakuten show no buyer id, so the pipeline keys their identities by the relay e-mail
that each marketplace gives a buyer (`amazon:<relay e-mail>`), the other channels by their own
customer id.

What the channels give to match on:
- Shopify and Rakuten: e-mail (Rakuten's a masked relay), phone, name and street address.
- POS: the till export carries only the member card number (会員番号); the member master
  (会員マスタ, the `pos_members` drop) gives each card its holder's kanji name and reading,
  phone, optional e-mail and address.
- Amazon: a masked relay e-mail and the buyer's name; the street (AddressLine1) and recipient
  name come with a Restricted Data Token for the shipping address, which the connector asks
  for, and the phone too, but only on merchant-fulfilled (MFN) orders: the retailer ships about
  a third of its Amazon orders itself from WH-TOKYO, the rest go through FBA.

Measured (precision / recall over all true pairs):
- before the member master and the RDT: 1.000 / 0.187 on the 365-day small sandbox, 1.000 /
  0.205 in the test world (60 days, seed 7): no pair with a POS card could be found, and
  Amazon pairs only as name-and-postcode suggestions (~9% of them wrong, so not merged).
- with both: 1.000 / 0.897 in the test world; 1.000 / 0.890 on a fresh 90-day sandbox
  (`oms sandbox generate --days 90`, then `oms demo --no-ui`).
- with MFN orders showing the buyer's phone: 1.000 / 0.932 in the test world (602 of 646 true
  pairs), which is the recall ceiling: every pair that shares an unmasked e-mail, a phone or
  an address, directly or through the person's other identities, is merged.

Why the issue's recall target (0.95) is still out of reach over all pairs: every pair still
missed (44 in the test world: 19 with Shopify, 17 with Rakuten, 8 with a POS member) has an
Amazon identity whose shipping address is not the one the person gives the other channels (the
world moves ~12% of identities: a parcel sent to the office or to family) and whose orders all
went through FBA, so Amazon never showed its phone. Such an identity shares only a name with
the person's others: no e-mail (a relay), no phone, no street. Matching on the name alone would
merge namesakes; the sandbox has some 4,000 name combinations over 25 postcodes. So the test
asserts precision >= 0.99 over everything, recall >= 0.95 over the pairs whose identities share
a phone or a postcode and street and over the pairs the data can link at all (both measured
1.000), and over all pairs a floor under the measured 0.93 that catches a regression (a lost
MFN phone takes it back towards the 0.90 measured without it) without pretending 0.95 is met.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import duckdb
import polars as pl
import pytest

from ichigen.sandbox.simulators.amazon import with_status
from ichigen.sandbox.world import World
from tests.conftest import BuiltWarehouse

# Over all true pairs the rules find ~0.93 (see the module docstring): what is missed are Amazon
# identities shipping elsewhere through FBA, with nothing but a name in common with the others.
ALL_PAIRS_RECALL_FLOOR = 0.91


@dataclass(frozen=True)
class Score:
    true_pairs: int
    predicted_pairs: int
    correct_pairs: int

    @property
    def precision(self) -> float:
        return self.correct_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0


def _connect(built: BuiltWarehouse) -> duckdb.DuckDBPyConnection:
    if not built.path.exists():
        pytest.fail(f"no warehouse was built: {built.build.error}")
    # a failed build can return before its dbt process lets go of the file
    deadline = time.monotonic() + 300
    while True:
        try:
            return duckdb.connect(str(built.path), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def _resolved(built: BuiltWarehouse) -> pl.DataFrame:
    """Every landed identity with its predicted customer, its true person and what it shows.

    ``phone_digits`` and ``street`` are the world's phone (digits, national form) and postcode
    with street address, as the channel shows them (null where it shows none: Amazon shows a
    buyer's phone only on a merchant-fulfilled order that is no longer pending).
    """
    with _connect(built) as con:
        try:
            predicted = con.sql(
                "select identity_key, channel, customer_id, suggested_customer_id"
                " from marts.map_customer_identities"
            ).pl()
        except duckdb.CatalogException:
            pytest.fail(f"map_customer_identities was not built: {built.build.error}")
    world = pl.read_parquet(built.sandbox_dir / "world" / "identities.parquet")
    truth = pl.read_parquet(built.sandbox_dir / "truth" / "identities.parquet")
    amazon = with_status(World.load(built.sandbox_dir / "world").visible_orders("amazon"))
    phone_shown = amazon.filter((pl.col("fulfillment") == "MFN") & (pl.col("status") != "Pending"))[
        "identity_id"
    ]
    bridge = world.select(
        "identity_id",
        pl.concat_str(
            pl.col("channel"),
            pl.lit(":"),
            pl.when(pl.col("channel").is_in(["amazon", "rakuten"]))
            .then(pl.col("email"))
            .otherwise(pl.col("channel_customer_id")),
        ).alias("identity_key"),
    )
    shown = world.select(
        "identity_id",
        pl.when((pl.col("channel") != "amazon") | pl.col("identity_id").is_in(phone_shown))
        .then(pl.col("phone"))
        .str.normalize("NFKC")
        .str.replace_all(r"\D", "")
        .str.replace(r"^81", "0")
        .alias("phone_digits"),
        pl.concat_str(
            pl.col("postal_code").str.replace_all(r"\D", ""), pl.lit(" "), pl.col("address1")
        ).alias("street"),
    )
    people = (
        truth.join(bridge, on="identity_id")
        .join(shown, on="identity_id")
        .select("identity_key", "person_id", "phone_digits", "street")
    )
    return predicted.join(people, on="identity_key", how="left")


def _pairs(frame: pl.DataFrame, group: str) -> pl.DataFrame:
    members = frame.select("identity_key", group).drop_nulls()
    return (
        members.join(members, on=group, suffix="_b")
        .filter(pl.col("identity_key") < pl.col("identity_key_b"))
        .select("identity_key", "identity_key_b")
    )


def _score(resolved: pl.DataFrame, *, customer: str = "customer_id") -> Score:
    true_pairs = _pairs(resolved, "person_id")
    predicted = _pairs(resolved, customer)
    correct = true_pairs.join(predicted, on=["identity_key", "identity_key_b"])
    return Score(true_pairs.height, predicted.height, correct.height)


@pytest.fixture(scope="module")
def resolved(built_warehouse: BuiltWarehouse) -> pl.DataFrame:
    frame = _resolved(built_warehouse)
    unknown = frame.filter(pl.col("person_id").is_null())["identity_key"].to_list()
    assert not unknown, f"identities the truth does not know (bridge broken?): {unknown[:5]}"
    return frame


def test_merged_identities_are_the_same_person_at_least_99_percent_of_the_time(
    resolved: pl.DataFrame,
) -> None:
    score = _score(resolved)
    print(
        f"\nidentity resolution: {score.predicted_pairs} predicted pairs, {score.true_pairs} true,"
        f" {score.correct_pairs} correct: precision {score.precision:.4f},"
        f" recall {score.recall:.4f}"
    )
    assert score.predicted_pairs > 0, "nothing was merged"
    assert score.precision >= 0.99


def test_identities_that_share_a_phone_or_a_street_are_found_at_least_95_percent_of_the_time(
    resolved: pl.DataFrame,
) -> None:
    true_pairs = _pairs(resolved, "person_id")
    shown = resolved.select("identity_key", "phone_digits", "street")
    both = true_pairs.join(shown, on="identity_key").join(
        shown, left_on="identity_key_b", right_on="identity_key", suffix="_b"
    )
    findable = both.filter(
        (pl.col("phone_digits") == pl.col("phone_digits_b"))
        | (pl.col("street") == pl.col("street_b"))
    ).select("identity_key", "identity_key_b")
    found = findable.join(
        _pairs(resolved, "customer_id"), on=["identity_key", "identity_key_b"], how="semi"
    )
    recall = found.height / findable.height if findable.height else 1.0
    channel = dict(zip(resolved["identity_key"], resolved["channel"], strict=True))
    with_pos = sum(1 for a, b in findable.iter_rows() if "pos" in (channel[a], channel[b]))
    with_amazon = sum(1 for a, b in findable.iter_rows() if "amazon" in (channel[a], channel[b]))
    print(
        f"\nfindable pairs: {findable.height} ({with_pos} with a POS member, {with_amazon} with"
        f" an Amazon buyer), recall {recall:.4f}"
    )
    assert with_pos > 0 and with_amazon > 0, "the member master or the RDT's street is missing"
    assert recall >= 0.95


def test_recall_over_all_pairs_stays_above_what_amazon_buyers_shipping_elsewhere_leave(
    resolved: pl.DataFrame,
) -> None:
    score = _score(resolved)
    true_pairs = _pairs(resolved, "person_id")
    missed = true_pairs.join(
        _pairs(resolved, "customer_id"), on=["identity_key", "identity_key_b"], how="anti"
    )
    channel = dict(zip(resolved["identity_key"], resolved["channel"], strict=True))
    with_amazon = sum(1 for a, b in missed.iter_rows() if "amazon" in (channel[a], channel[b]))
    print(
        f"\nall pairs: recall {score.recall:.4f}; {with_amazon}/{missed.height} missed pairs"
        " involve an Amazon buyer"
    )
    assert score.recall >= ALL_PAIRS_RECALL_FLOOR


def _evidence(built: BuiltWarehouse) -> pl.DataFrame:
    """What the warehouse holds to link each identity on: unmasked e-mail, phone, address."""
    with _connect(built) as con:
        return con.sql(
            "select identity_key, channel,"
            " case when not email_is_masked then email_normalised end as email,"
            " phone_e164 as phone, postal_code7 || ' ' || address_key as address"
            " from intermediate.int_identities_normalised"
        ).pl()


def _true_pairs_with_evidence(resolved: pl.DataFrame, evidence: pl.DataFrame) -> pl.DataFrame:
    """True pairs, each side's channel and evidence, what they share and whether they merged.

    ``linkable``: the two are joined by a chain of shared evidence through the person's
    identities (Shopify shares a phone with Rakuten, Rakuten an address with Amazon), which is
    the most any rule over that evidence could merge without a name-only rule.
    """
    pairs = _pairs(resolved, "person_id")
    both = pairs.join(evidence, on="identity_key").join(
        evidence, left_on="identity_key_b", right_on="identity_key", suffix="_b"
    )
    shared = both.with_columns(
        *(
            (pl.col(what) == pl.col(f"{what}_b")).fill_null(False).alias(f"same_{what}")
            for what in ("email", "phone", "address")
        )
    ).with_columns(
        (pl.col("same_email") | pl.col("same_phone") | pl.col("same_address")).alias("shares")
    )
    chained = shared.filter("shares")
    component = _components(
        evidence["identity_key"], chained.select("identity_key", "identity_key_b").iter_rows()
    )
    merged = _pairs(resolved, "customer_id").with_columns(pl.lit(True).alias("merged"))
    return (
        shared.with_columns(
            (
                pl.col("identity_key").replace_strict(component)
                == pl.col("identity_key_b").replace_strict(component)
            ).alias("linkable")
        )
        .join(merged, on=["identity_key", "identity_key_b"], how="left")
        .with_columns(pl.col("merged").fill_null(False))
    )


def _why_missed(row: dict[str, object]) -> str:
    """What keeps a missed pair apart, in words (relay e-mails are never evidence)."""
    if row["linkable"]:
        return "shares evidence, not merged by the rules"
    sides = ((row["channel"], row["phone"], row["address"]),)
    sides += ((row["channel_b"], row["phone_b"], row["address_b"]),)
    reasons = []
    if row["email"] is not None and row["email_b"] is not None:
        reasons.append("e-mails differ")
    if all(address is not None for _, _, address in sides):
        reasons.append("addresses differ")
    reasons += [f"no street on {channel}" for channel, _, address in sides if address is None]
    if all(phone is not None for _, phone, _ in sides):
        reasons.append("phones differ")
    reasons += [f"no phone on {channel}" for channel, phone, _ in sides if phone is None]
    return ", ".join(reasons)


def _components(keys: Iterable[str], edges: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Each key's component, named after its smallest key, once the edges have joined them."""
    parent = {key: key for key in keys}

    def root(key: str) -> str:
        while parent[key] != key:
            key = parent[key]
        return key

    for a, b in edges:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {key: root(key) for key in parent}


def _merge_suggestions(resolved: pl.DataFrame) -> pl.DataFrame:
    """Customers joined along their suggestions, as merging the name-and-postcode links would."""
    edges = resolved.filter(pl.col("suggested_customer_id").is_not_null())
    merged = _components(
        [*resolved["customer_id"], *edges["suggested_customer_id"]],
        edges.select("customer_id", "suggested_customer_id").iter_rows(),
    )
    return resolved.with_columns(
        pl.col("customer_id").replace_strict(merged).alias("with_suggestions")
    )


def test_recall_is_measured_against_the_ceiling_of_what_the_data_can_link(
    built_warehouse: BuiltWarehouse, resolved: pl.DataFrame
) -> None:
    pairs = _true_pairs_with_evidence(resolved, _evidence(built_warehouse))
    linkable = pairs.filter("linkable")
    ceiling = linkable.height / pairs.height
    found = linkable.filter("merged").height / linkable.height
    missed = Counter(
        (" + ".join(sorted((str(row["channel"]), str(row["channel_b"])))), _why_missed(row))
        for row in pairs.filter(~pl.col("merged")).iter_rows(named=True)
    )
    print(
        f"\nrecall ceiling: {linkable.height}/{pairs.height} true pairs ({ceiling:.4f}) share an"
        f" unmasked e-mail, a phone or an address, directly ({pairs['shares'].sum()}) or through"
        f" the person's other identities; the rules merge {found:.4f} of them"
    )
    for (channels, why), n in sorted(missed.items(), key=lambda item: -item[1]):
        print(f"  missed {n:4d}  {channels}: {why}")
    assert found >= 0.95


def test_merging_the_name_and_postcode_suggestions_too_would_keep_precision_above_80_percent(
    resolved: pl.DataFrame,
) -> None:
    # With the RDT's street Amazon buyers are no longer name-and-postcode only, so suggestions
    # arise only where a connector was refused the RDT (and measured ~0.94 precision there).
    score = _score(_merge_suggestions(resolved), customer="with_suggestions")
    print(f"\nwith suggestions merged: precision {score.precision:.4f}, recall {score.recall:.4f}")
    assert score.precision >= 0.8
