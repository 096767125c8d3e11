"""Fault injection for POS exports: rows corrupted the way real till exports go wrong.

Off by default. With a rate above zero, exactly ``round(rate * rows)`` rows are corrupted, each
with one fault drawn from `FAULT_KINDS`; the choice depends only on the rows (in file order)
and the seed, so a test can regenerate the same faults and check they were quarantined. The
`RECEIPT_FAULTS` leave a row that reads cleanly but breaks a receipt's rules (a quantity of the
wrong sign, a line amount printed without tax): an importer holds back the whole receipt.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import polars as pl

from ichigen.sandbox.drops.summary import FaultKind

__all__ = ["FAULT_KINDS", "RECEIPT_FAULTS", "inject_faults"]

FAULT_KINDS: Final[tuple[FaultKind, ...]] = (
    "unknown_jan",  # an item registered at the till but never in the head-office master
    "empty_quantity",
    "non_numeric_quantity",  # a unit typed into the field, "2個"
    "malformed_datetime",  # the till's clock lost its time after a power cut
    "wrong_sign_quantity",  # a voided line rung up as a negative sale (a refund as positive)
    "tax_exclusive_amount",  # a till set to print line amounts without consumption tax
)
RECEIPT_FAULTS: Final[frozenset[FaultKind]] = frozenset(
    {"wrong_sign_quantity", "tax_exclusive_amount"}
)
_FAULT_COLUMN: Final = {
    "unknown_jan": "JANコード",
    "empty_quantity": "数量",
    "non_numeric_quantity": "数量",
    "malformed_datetime": "取引日時",
    "wrong_sign_quantity": "数量",
    "tax_exclusive_amount": "金額",
}


def inject_faults(
    rows: pl.DataFrame, *, rate: float, seed: int, known_jans: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Corrupt a `rate` fraction of `rows`; return them and the faults made.

    `rows` are POS rows in file order with ``JANコード``, ``数量``, ``単価``, ``値引額``,
    ``金額`` and ``取引日時``; the faults frame holds each corrupted row (as corrupted) plus
    ``fault``, ``column`` and ``value`` (what the file now holds in that column).
    """
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"bad_row_rate must be between 0 and 1, not {rate}")
    rows = rows.with_columns(pl.col("数量").cast(pl.String))
    count = round(rate * rows.height)
    if count == 0:
        none = pl.lit(None, pl.String)
        return rows, rows.clear().with_columns(
            none.alias("fault"), none.alias("column"), none.alias("value")
        )
    rng = np.random.default_rng(seed)
    picked = np.sort(rng.choice(rows.height, size=count, replace=False))
    kinds = rng.integers(0, len(FAULT_KINDS), size=count)
    drawn = pl.DataFrame(
        {
            "_i": pl.Series(picked, dtype=pl.UInt32),
            "fault": pl.Series([FAULT_KINDS[k] for k in kinds], dtype=pl.String),
        }
    )
    # In-store codes start with 2, which no JAN in a GS1 Japan master does; should the
    # master hold one anyway, that row gets a different fault rather than a fake one. So does a
    # row where a fault would change nothing (no units to flip, no amount to take tax from).
    unknown_jan = pl.lit("20") + pl.col("_i").cast(pl.String).str.zfill(11)
    quantity = pl.col("数量").cast(pl.Int64)
    idle = (
        ((pl.col("fault") == "unknown_jan") & unknown_jan.is_in(known_jans.implode()))
        | ((pl.col("fault") == "wrong_sign_quantity") & (quantity == 0))
        | ((pl.col("fault") == "tax_exclusive_amount") & (pl.col("金額") == 0))
    )
    marked = (
        rows.with_row_index("_i")
        .join(drawn, on="_i", how="left")
        .with_columns(
            pl.when(idle)
            .then(pl.lit("malformed_datetime"))
            .otherwise(pl.col("fault"))
            .alias("fault")
        )
    )
    fault = pl.col("fault")
    corrupted = marked.with_columns(
        pl.when(fault == "unknown_jan")
        .then(unknown_jan)
        .otherwise(pl.col("JANコード"))
        .alias("JANコード"),
        pl.when(fault == "empty_quantity")
        .then(pl.lit(""))
        .when(fault == "non_numeric_quantity")
        .then(pl.col("数量") + pl.lit("個"))
        .when(fault == "wrong_sign_quantity")
        .then((-quantity).cast(pl.String))
        .otherwise(pl.col("数量"))
        .alias("数量"),
        # the amount of the flipped line still adds up: only its sign is wrong
        pl.when(fault == "wrong_sign_quantity")
        .then(pl.col("単価") * -quantity - pl.col("値引額"))
        .when(fault == "tax_exclusive_amount")
        .then((pl.col("金額") * 10 / 11).cast(pl.Int64))  # toward zero, as tills truncate
        .otherwise(pl.col("金額"))
        .alias("金額"),
        pl.when(fault == "malformed_datetime")
        .then(pl.col("取引日時").str.slice(0, 10) + pl.lit(" --:--:--"))
        .otherwise(pl.col("取引日時"))
        .alias("取引日時"),
    )
    column = fault.replace_strict(_FAULT_COLUMN, return_dtype=pl.String)
    faults = corrupted.filter(fault.is_not_null()).with_columns(
        column.alias("column"),
        pl.when(column == "JANコード")
        .then(pl.col("JANコード"))
        .when(column == "数量")
        .then(pl.col("数量"))
        .when(column == "金額")
        .then(pl.col("金額").cast(pl.String))
        .otherwise(pl.col("取引日時"))
        .alias("value"),
    )
    return corrupted.drop("_i", "fault"), faults.drop("_i")
