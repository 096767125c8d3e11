"""Purchase orders as files a supplier or a spreadsheet reads (the page's download button)."""

from __future__ import annotations

import csv
import io

import polars as pl

from ichigen.ops.errors import NotFoundError
from ichigen.ops.purchase_orders import list_purchase_orders, purchase_order_lines
from ichigen.ops.store import OpsStore

__all__ = ["purchase_order_csv"]


def purchase_order_csv(store: OpsStore, po_id: str) -> bytes:
    """The order as a CSV a supplier (or a spreadsheet) can read: one row per line, UTF-8 with
    a BOM so Excel opens Japanese text correctly."""
    orders = list_purchase_orders(store).filter(pl.col("po_id") == po_id)
    if orders.is_empty():
        raise NotFoundError(f"no purchase order {po_id!r} in the ops store")
    order = orders.row(0, named=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        [
            "reference",
            "supplier_id",
            "ship_to_location_id",
            "status",
            "line_no",
            "sku",
            "quantity",
            "unit_cost_jpy",
            "line_value_jpy",
        ]
    )
    for line in purchase_order_lines(store, po_id).iter_rows(named=True):
        cost = line["unit_cost_jpy"]
        writer.writerow(
            [
                order["reference"],
                order["supplier_id"],
                order["ship_to_location_id"],
                order["status"],
                line["line_no"],
                line["sku"],
                line["quantity"],
                "" if cost is None else f"{cost:g}",
                "" if cost is None else f"{cost * line['quantity']:g}",
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
