"""The business rules of a till receipt, checked over a whole POS export before any row lands.

A row that reads (its numbers parse, its time is a time) can still be wrong: a sale of -1
units, a refund of +2, a refund that names no sale, or a line whose 金額 is not
単価 × 数量 − 値引額 (a till that prints amounts without consumption tax does that on every
line). Each would pass a row-by-row check and then misstate the receipt in every mart, so the
contract quarantines them; and because a receipt is one sale (its lines are what the customer
paid), the receipt's other lines are held back with it, each carrying the receipt's reasons,
rather than landing half a receipt. A receipt's lines are all in one store-day export, so the
reader, which sees the whole file, is the layer that can know.

Rows the contract quarantines on their own (a field that does not parse, an unknown code) are
not receipt rules: they are left to the contract, one row at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Final

__all__ = ["PROBLEMS", "REFUND", "SALE", "hold_back_broken_receipts", "line_problems"]

PROBLEMS: Final = "_problems"  # the row's key for what is wrong with its receipt
SALE: Final = "売上"
REFUND: Final = "返品"
_INTEGER: Final = re.compile(r"^-?[0-9]+$")
_TAX_RATE: Final = Fraction(1, 10)  # Japan's standard consumption tax; till prices include it


def _integer(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if _INTEGER.match(text) else None


def _tax_exclusive(amount: int, inclusive: int) -> bool:
    """Whether `amount` is `inclusive` with the tax taken out, however the till rounded it."""
    exclusive = Fraction(inclusive) / (1 + _TAX_RATE)
    return inclusive != 0 and amount in {int(exclusive), round(exclusive), -int(-exclusive)}


def line_problems(row: Mapping[str, Any]) -> list[str]:
    """What breaks a receipt line's rules, in words a store manager acts on (none: [])."""
    if row.get("_malformed") is not None:
        return []
    kind = row.get("取引区分")
    quantity, price, discount, amount = (
        _integer(row.get(column)) for column in ("数量", "単価", "値引額", "金額")
    )
    problems: list[str] = []
    if quantity is not None and kind == SALE and quantity < 0:
        problems.append(
            f"a sale (売上) of 数量 {quantity}: a returned item is rung up as 返品, not as a "
            "negative sale"
        )
    if quantity is not None and kind == REFUND and quantity >= 0:
        problems.append(f"a refund (返品) of 数量 {quantity}: refunds carry negative quantities")
    if kind == REFUND and not str(row.get("元取引番号") or "").strip():
        problems.append("a refund (返品) that names no sale in 元取引番号")
    if quantity is not None and price is not None and discount is not None and amount is not None:
        expected = price * quantity - discount
        if amount != expected:
            problem = (
                f"金額 {amount} is not 単価 × 数量 − 値引額 = {price} × {quantity} − {discount} "
                f"= {expected}"
            )
            if _tax_exclusive(amount, expected):
                problem += (
                    "; it is that amount without consumption tax: the till prints tax-exclusive"
                    " amounts, so its exports must be set to include tax"
                )
            problems.append(problem)
    return problems


def hold_back_broken_receipts(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` of one export, each row of a receipt that breaks a rule marked with `PROBLEMS`.

    Every row of such a receipt (取引番号) gets the same list: each broken line's problems,
    named by its 明細番号 ("line 2: a sale (売上) of 数量 -1: ..."), so whichever row a person
    opens says why the receipt is held back.
    """
    rows = list(rows)
    broken: dict[str, list[str]] = {}
    for row in rows:
        problems = line_problems(row)
        if problems:
            broken.setdefault(_receipt_of(row), []).extend(
                f"line {row.get('明細番号')}: {problem}" for problem in problems
            )
    for row in rows:
        if row.get("_malformed") is None and _receipt_of(row) in broken:
            row[PROBLEMS] = broken[_receipt_of(row)]
    return rows


def _receipt_of(row: Mapping[str, Any]) -> str:
    """The receipt a row belongs to; a row without a receipt number is a receipt of its own."""
    return str(row.get("取引番号") or f"#{row.get('_row')}")
