"""Building blocks the channels' validation contracts share (see `ingestion.validation`).

Row extraction helpers turn raw JSON values into typed cells without raising (a value that is
not what it should be becomes None, and the contract's expectations say why), and the
expectation helpers build Great Expectations expectations, imported lazily because importing
them takes seconds that processes which never validate should not pay.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

import polars as pl

__all__ = [
    "DECIMAL",
    "ISO_TIMESTAMP",
    "MAX_AMOUNT_JPY",
    "MAX_QUANTITY",
    "MAX_STOCK",
    "between",
    "count",
    "decimal",
    "expectations",
    "frame",
    "in_set",
    "not_null",
    "number",
    "skus",
    "text",
    "timestamps",
]

# Non-capturing groups: pandas warns about capturing ones in the regex check.
ISO_TIMESTAMP: Final = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$"
DECIMAL: Final = r"^-?\d+(?:\.\d+)?$"
# Wide enough for any real order or stock level, narrow enough to catch garbage and overflow.
MAX_AMOUNT_JPY: Final = 100_000_000
MAX_QUANTITY: Final = 10_000
MAX_STOCK: Final = 1_000_000


def expectations() -> Any:
    """Great Expectations' expectation classes, imported when the first contract is built."""
    import great_expectations.expectations as gx_expectations

    return gx_expectations


def text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def number(value: Any) -> float | None:
    """An amount as a number; None when it is not one (the decimal check names it)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def frame(rows: list[dict[str, Any]], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Rows of one batch, each naming the record it came from in ``_row``."""
    return pl.DataFrame(rows, schema={"_row": pl.Int64(), **schema}, orient="row")


def not_null(*columns: str) -> list[Any]:
    return [expectations().ExpectColumnValuesToNotBeNull(column=column) for column in columns]


def in_set(column: str, values: Collection[str]) -> Any:
    return expectations().ExpectColumnValuesToBeInSet(column=column, value_set=sorted(values))


def between(column: str, low: float, high: float) -> Any:
    return expectations().ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high
    )


def timestamps(*columns: str) -> list[Any]:
    return [
        expectations().ExpectColumnValuesToMatchRegex(column=c, regex=ISO_TIMESTAMP)
        for c in columns
    ]


def decimal(column: str) -> Any:
    return expectations().ExpectColumnValuesToMatchRegex(column=column, regex=DECIMAL)


def skus(catalogue: Collection[str] | None) -> list[Any]:
    """A SKU on every row, and one the catalogue knows when there is a catalogue."""
    checks = not_null("sku")
    if catalogue is not None:
        checks.append(in_set("sku", catalogue))
    return checks
