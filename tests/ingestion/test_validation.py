"""Row-level validation with Great Expectations: every record accepted or quarantined."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import great_expectations as gx
import polars as pl
import pytest

from ichigen.ingestion.validation import BatchValidator, Contract


def _lines(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows = [
        {"_row": i, "id": r.get("id"), "sku": line.get("sku"), "quantity": line.get("quantity")}
        for i, r in enumerate(records)
        for line in r.get("lines", [])
    ]
    return pl.DataFrame(
        rows, schema={"_row": pl.Int64, "id": pl.String, "sku": pl.String, "quantity": pl.Int64}
    )


@pytest.fixture(scope="module")
def validator() -> BatchValidator:
    return BatchValidator(
        Contract(
            name="test.orders",
            extract=_lines,
            expectations=[
                gx.expectations.ExpectColumnValuesToNotBeNull(column="id"),
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="quantity", min_value=1, max_value=10_000
                ),
                gx.expectations.ExpectColumnValuesToBeInSet(column="sku", value_set=["A", "B"]),
            ],
        )
    )


def test_good_records_are_all_accepted(validator: BatchValidator) -> None:
    verdict = validator.validate([{"id": "1", "lines": [{"sku": "A", "quantity": 2}]}])
    assert verdict.accepted == 1 and verdict.quarantined == 0
    assert all(outcome.success for outcome in verdict.outcomes)


def test_a_bad_line_quarantines_its_whole_record_with_the_reason(validator: BatchValidator) -> None:
    records = [
        {"id": "1", "lines": [{"sku": "A", "quantity": 1}]},
        {"id": "2", "lines": [{"sku": "A", "quantity": 1}, {"sku": "ZZZ", "quantity": 1}]},
        {"id": None, "lines": [{"sku": "B", "quantity": -3}]},
    ]
    verdict = validator.validate(records)
    assert verdict.received == 3 and verdict.accepted == 1 and verdict.quarantined == 2
    assert verdict.is_accepted(0) and not verdict.is_accepted(1)
    assert "expect_column_values_to_be_in_set" in verdict.reasons[1][0]
    assert "'ZZZ'" in verdict.reasons[1][0]
    reasons_2 = " | ".join(verdict.reasons[2])
    assert "expect_column_values_to_not_be_null(column=id)" in reasons_2
    assert "got -3" in reasons_2
    failed = {o.expectation.split("(")[0] for o in verdict.outcomes if not o.success}
    assert failed == {
        "expect_column_values_to_not_be_null",
        "expect_column_values_to_be_between",
        "expect_column_values_to_be_in_set",
    }


def test_an_empty_batch_is_trivially_valid(validator: BatchValidator) -> None:
    verdict = validator.validate([])
    assert verdict.received == verdict.accepted == 0
