"""Identity resolution scored against the sandbox's truth: pairwise precision and recall.

Two identities form a true pair when the truth gives them the same person, a predicted pair
when map_customer_identities gives them the same customer. The pipeline never reads the truth;
only this test does, through a bridge from the world's identities to the pipeline's keys:
Amazon and Rakuten show no buyer id, so the pipeline keys their identities by the relay e-mail
that each marketplace gives a buyer (`amazon:<relay e-mail>`), the other channels by their own
customer id.

Why the issue's recall target (0.95) is out of reach over all pairs, and what is asserted:
- POS identities carry nothing but a member card number (the till export has no name, phone
  or e-mail), so no pair with a POS identity can be found: about 37% of the true pairs in the
  365-day small sandbox, about the same share in the test world.
- Amazon identities carry a masked relay e-mail, no phone, no street, and a name with a
  postcode. Name + postcode is unambiguous-but-wrong for about 9% of the Amazon matches (an
  Amazon buyer with no other account meets a namesake in the same postcode: the sandbox has 25
  postcodes and some 4,000 name combinations), which would take precision from 1.000 to
  ~0.94. Those links are therefore kept as suggestions (map_customer_identities.
  suggested_customer_id), not merged (var customers_merge_min_score, default 0.9).
- Measured on the 365-day small sandbox (/work/landing_small): precision 1.000, recall 0.187
  over all true pairs; 1.000 over the pairs whose identities both carry an e-mail, phone or
  street (Shopify, Rakuten); merging the suggestions too gives precision 0.941, recall 0.500.
  In the test world (60 days, seed 7): precision 1.000, recall 0.205, findable recall 1.000;
  with the suggestions merged precision 0.952, recall 0.519.
So the test asserts precision >= 0.99 over everything, recall >= 0.95 over the pairs the
channels make findable, and over all pairs a recall floor well under what the strong rules
find, to catch a regression without pretending the 0.95 is met.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb
import polars as pl
import pytest

from tests.warehouse.conftest import BuiltWarehouse

# Channels whose identities carry an unmasked e-mail, a phone or a street address.
FINDABLE = ("shopify", "rakuten", "wholesale")
# Over all true pairs the strong rules find ~0.19 (see the module docstring); POS and Amazon pairs
# can't be found at a precision of 0.99.
ALL_PAIRS_RECALL_FLOOR = 0.15


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
    """Every landed identity with its predicted customer and its true person."""
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
    people = truth.join(bridge, on="identity_id").select("identity_key", "person_id")
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


def test_identities_with_an_email_phone_or_street_are_found_at_least_95_percent_of_the_time(
    resolved: pl.DataFrame,
) -> None:
    findable = resolved.filter(pl.col("channel").is_in(FINDABLE))
    score = _score(findable)
    print(f"\nfindable pairs: {score.true_pairs}, recall {score.recall:.4f}")
    assert score.true_pairs > 0, "the test world has no cross-channel person to find"
    assert score.recall >= 0.95


def test_recall_over_all_pairs_stays_above_what_pos_and_amazon_leave_findable(
    resolved: pl.DataFrame,
) -> None:
    score = _score(resolved)
    true_pairs = _pairs(resolved, "person_id")
    channel = dict(zip(resolved["identity_key"], resolved["channel"], strict=True))
    with_pos = sum(1 for a, b in true_pairs.iter_rows() if "pos" in (channel[a], channel[b]))
    print(
        f"\nall pairs: recall {score.recall:.4f}; {with_pos}/{score.true_pairs} true pairs"
        " involve a POS member card, which carries nothing to match on"
    )
    assert score.recall >= ALL_PAIRS_RECALL_FLOOR


def _merge_suggestions(resolved: pl.DataFrame) -> pl.DataFrame:
    """Customers joined along their suggestions, as merging the name-and-postcode links would."""
    parent: dict[str, str] = {}

    def root(c: str) -> str:
        while parent.get(c, c) != c:
            c = parent[c]
        return c

    edges = resolved.filter(pl.col("suggested_customer_id").is_not_null())
    for own, suggested in edges.select("customer_id", "suggested_customer_id").iter_rows():
        a, b = root(own), root(suggested)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return resolved.with_columns(
        pl.col("customer_id").map_elements(root, return_dtype=pl.String).alias("with_suggestions")
    )


def test_suggestions_mostly_point_at_the_same_person_but_not_reliably_enough_to_merge(
    resolved: pl.DataFrame,
) -> None:
    score = _score(_merge_suggestions(resolved), customer="with_suggestions")
    print(f"\nwith suggestions merged: precision {score.precision:.4f}, recall {score.recall:.4f}")
    assert score.precision >= 0.8
