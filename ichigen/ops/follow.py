"""Following purchase orders: the supplier moves an order on, ichigen asks where it is.

Apart from the dispatcher because it sends nothing: it reads the supplier's view of every order
sent and not yet received (hourly in Dagster, or from the reorder page) and records each move
in the order's history, as the system user.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import httpx

from ichigen.ingestion.errors import ChannelError
from ichigen.ingestion.supplier import SupplierClient
from ichigen.ops._shared import append_purchase_order_status
from ichigen.ops.claims import SUPPLIER_STATUS
from ichigen.ops.dispatch import Connectors
from ichigen.ops.roles import Role
from ichigen.ops.store import OpsStore
from ichigen.settings import Settings

__all__ = ["FOLLOW_USER", "FollowReport", "follow_purchase_orders", "follow_with_settings"]

FOLLOW_USER: Final = "system:po-follow"
_PROGRESS: Final = ("sent", "confirmed", "shipped", "received")


@dataclass
class FollowReport:
    """Orders asked about, those that moved on (to which status) and those not read."""

    checked: int = 0
    changed: dict[str, str] = field(default_factory=dict)  # po_id -> new status
    errors: dict[str, str] = field(default_factory=dict)  # po_id -> why it was not read


def follow_purchase_orders(store: OpsStore, connectors: Connectors) -> FollowReport:
    """Ask the supplier about every order sent and not yet received; record what moved.

    Statuses only move forward (sent, confirmed, shipped, received); a read that fails is
    reported and tried again next time.
    """
    report = FollowReport()
    supplier = connectors.supplier
    if supplier is None:
        return report
    with store.read() as con:
        open_orders = con.execute(
            "select po_id, supplier_po_id, status from purchase_orders "
            "where status in ('sent', 'confirmed', 'shipped') and supplier_po_id is not null "
            "order by po_id"
        ).fetchall()
    for po_id, supplier_po_id, status in open_orders:
        report.checked += 1
        try:
            remote = supplier.get_purchase_order(supplier_po_id)
        except (ChannelError, httpx.HTTPError) as exc:
            report.errors[po_id] = str(exc)
            continue
        supplier_status = str(remote.get("status") or "")
        ours = SUPPLIER_STATUS.get(supplier_status)
        moved = ours is not None and _PROGRESS.index(ours) > _PROGRESS.index(status)
        with store.write() as con:
            now = store.now()
            con.execute(
                "update purchase_orders set supplier_status = ?"
                + (", status = ?, updated_at = ?" if moved else "")
                + " where po_id = ? and status = ?",
                (supplier_status, ours, now, po_id, status)
                if moved
                else (supplier_status, po_id, status),
            )
            if moved and ours is not None:
                at = remote.get(f"{supplier_status}_at")
                detail = f"the supplier reports {supplier_status}" + (f" at {at}" if at else "")
                append_purchase_order_status(
                    con, po_id, ours, now, FOLLOW_USER, Role.SYSTEM, detail
                )
                report.changed[po_id] = ours
    return report


def follow_with_settings(settings: Settings) -> FollowReport:
    """`follow_purchase_orders` with the store and supplier of `settings`."""
    store = OpsStore.under(settings.data_dir)
    api_key = settings.supplier.api_key.get_secret_value()
    with SupplierClient(settings.supplier.url, api_key) as supplier:
        return follow_purchase_orders(store, Connectors(supplier=supplier))
