"""Validation of landed batches with Great Expectations, row by row.

A `Contract` says what the records of one entity must satisfy: an `extract` function
flattens a batch of raw records into a frame (one row per record, or per line of a record,
with `_row` naming the record it came from) and a list of Great Expectations expectations run
against that frame. `BatchValidator.validate` runs them with ``result_format="COMPLETE"`` and
maps every unexpected value back to its record, so a record is either accepted or quarantined
with the expectations it failed: accepted + quarantined = received, always.

A record whose nested line fails (a line with an unknown SKU) is quarantined whole: an order is
one fact, and half an order in the warehouse would be wrong in a quieter way than none.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

__all__ = ["BatchValidator", "Contract", "ExpectationOutcome", "Verdict"]

Extract = Callable[[Sequence[Mapping[str, Any]]], pl.DataFrame]

_counter = itertools.count()


@dataclass(frozen=True)
class Contract:
    name: str  # "shopify.orders"
    extract: Extract
    expectations: Sequence[Any]  # great_expectations.expectations.Expectation instances
    # A column the extract derived to check another one more cheaply -> the column a reason
    # names (see `ingestion.supplier.contracts`): a reader looks for the field they know.
    shown_as: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ExpectationOutcome:
    expectation: str  # e.g. "expect_column_values_to_not_be_null(column=id)"
    success: bool
    checked: int
    unexpected: int


@dataclass
class Verdict:
    received: int
    reasons: dict[int, list[str]] = field(default_factory=dict)  # record index -> failures
    outcomes: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def quarantined(self) -> int:
        return len(self.reasons)

    @property
    def accepted(self) -> int:
        return self.received - self.quarantined

    def is_accepted(self, index: int) -> bool:
        return index not in self.reasons


# Not part of what an expectation asks.
_UNSHOWN = frozenset({"batch_id", "result_format", "row_condition", "condition_parser"})


def _describe(config: Any, shown_as: Mapping[str, str]) -> str:
    """`expect_column_values_to_be_between(column=quantity, min_value=1, ...)`."""
    shown = {k: v for k, v in config.kwargs.items() if k not in _UNSHOWN}
    if "column" in shown:
        shown["column"] = shown_as.get(shown["column"], shown["column"])
    if "value_set" in shown:
        shown["value_set"] = f"<{len(shown['value_set'])} values>"
    return f"{config.type}(" + ", ".join(f"{k}={v}" for k, v in shown.items()) + ")"


def _plain(value: Any) -> Any:
    """numpy scalars and NaN (pandas' null) as the plain values a reader expects."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN is the only value unequal to itself
        return None
    return value


class BatchValidator:
    """Runs one contract's expectations against batches of raw records."""

    def __init__(self, contract: Contract) -> None:
        import great_expectations as gx  # slow to import; only validating processes pay

        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        self.contract = contract
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        # Progress bars belong to notebooks; in a pipeline they only flood the logs.
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = context.data_sources.add_pandas(f"landing_{next(_counter)}")
        batch = source.add_dataframe_asset(contract.name).add_batch_definition_whole_dataframe(
            "batch"
        )
        suite = context.suites.add(
            gx.ExpectationSuite(name=contract.name, expectations=list(contract.expectations))
        )
        self._definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=contract.name, data=batch, suite=suite)
        )

    def rows(self, records: Sequence[Mapping[str, Any]], *, first: int = 0) -> pl.DataFrame:
        """The contract's frame for `records`, its `_row` counting from `first`.

        A caller that receives records in pieces can extract each piece as it comes and
        `check` them together, instead of keeping every record until the batch is full.
        """
        frame = self.contract.extract(records)
        if "_row" not in frame.columns:
            raise ValueError(f"{self.contract.name}: extract must return a _row column")
        return frame.with_columns(pl.col("_row") + first) if first else frame

    def validate(self, records: Sequence[Mapping[str, Any]]) -> Verdict:
        if not records:
            return Verdict(received=0)
        return self.check(self.rows(records), received=len(records))

    def check(self, frame: pl.DataFrame, *, received: int) -> Verdict:
        """Run the expectations on rows from `rows` for `received` records (`_row` < received)."""
        verdict = Verdict(received=received)
        if frame.is_empty():
            return verdict
        result = self._definition.run(
            batch_parameters={"dataframe": frame.to_pandas()},
            result_format={
                "result_format": "COMPLETE",
                "unexpected_index_column_names": ["_row"],
            },
        )
        for item in result.results:
            config = item.expectation_config
            if config is None:  # GE always sets it for suite runs; keep mypy and us honest
                raise RuntimeError(f"{self.contract.name}: a result without its expectation")
            name = _describe(config, self.contract.shown_as)
            unexpected = item.result.get("unexpected_index_list") or []
            column = config.kwargs.get("column")
            for hit in unexpected:
                row = int(hit["_row"])
                value = _plain(hit.get(column)) if column else None
                verdict.reasons.setdefault(row, []).append(f"{name}: got {value!r}")
            verdict.outcomes.append(
                ExpectationOutcome(
                    expectation=name,
                    success=bool(item.success),
                    # every row, also those a cheaper check already settled (they are known to pass)
                    checked=len(frame),
                    unexpected=len({int(hit["_row"]) for hit in unexpected}),
                )
            )
        return verdict
