"""The Orders page's queries: an order's lines without the build's bookkeeping."""

from __future__ import annotations

from pathlib import Path

from ichigen.app.data import connection, orders
from ichigen.app.snapshot import current_snapshot


def test_an_orders_lines_show_the_line_not_the_builds_bookkeeping(built_data_dir: Path) -> None:
    snap = current_snapshot(built_data_dir)
    assert snap is not None
    order_key = connection._frame(snap, "select min(order_key) as k from fct_order_lines")["k"][0]
    lines = orders.order_detail(snap, order_key)["lines"]
    assert lines.height >= 1 and {"sku", "quantity", "line_total_jpy"} <= set(lines.columns)
    # fct_order_lines is incremental: `_built_at` says which build wrote a row
    assert "_built_at" in connection._frame(snap, "select * from fct_order_lines limit 1").columns
    assert not [c for c in lines.columns if c.startswith("_")], lines.columns
