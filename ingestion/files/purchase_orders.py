"""The business rules of a wholesale purchase order, checked over a whole sheet before it lands.

A sheet's line can read cleanly and still be wrong: its 金額 (amount) more than 単価 × 数量
(a discount can lower a line's amount, nothing raises it). The usual cause is a buyer whose
unit prices are tax-exclusive while the amounts include tax; ichigen reads wholesale prices as
tax-inclusive, as every channel's, so every line of such a sheet would be 10% short. Such a
line is quarantined, and because a purchase order is one order, so are the other lines of its
order on the sheet, each carrying the order's reasons (the contract quarantines them through
``_problems``), rather than half an order landing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any, Final

__all__ = ["hold_back_broken_orders", "line_problems"]

_TAX_RATE: Final = Fraction(1, 10)


def line_problems(line: Mapping[str, Any]) -> list[str]:
    """What breaks a purchase-order line's rules (none: [])."""
    quantity, price, amount = (line.get(name) for name in ("quantity", "unit_price", "amount"))
    if not (isinstance(quantity, int) and isinstance(price, int) and isinstance(amount, int)):
        return []  # nothing to check, or a cell the contract quarantines on its own
    gross = price * quantity
    if amount <= gross:
        return []
    problem = f"金額 {amount} is more than 単価 × 数量 = {price} × {quantity} = {gross}"
    if amount in {int(gross * (1 + _TAX_RATE)), round(gross * (1 + _TAX_RATE))}:
        problem += (
            "; it is that with consumption tax: the sheet's unit prices are tax-exclusive, and"
            " ichigen reads wholesale prices as tax-inclusive"
        )
    return [problem]


def hold_back_broken_orders(lines: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """`lines` of one sheet, each line of an order that breaks a rule given the order's
    problems in ``_problems`` beside its own ("purchase order PO1 is held back whole: row 7:
    ...", the row as Excel shows it)."""
    lines = list(lines)
    broken: dict[Any, list[str]] = {}
    for line in lines:
        for problem in line_problems(line):
            broken.setdefault(line.get("po_no"), []).append(f"row {line.get('_row')}: {problem}")
    for line in lines:
        order = line.get("po_no")
        if order in broken:
            held = f"purchase order {order} is held back whole: " + "; ".join(broken[order])
            line["_problems"] = [*(line.get("_problems") or []), held]
    return lines
