"""The pages' way to act: the ops store (`ichigen.ops`) and sending what it recorded.

Nothing here writes the warehouse or the snapshot. An action is recorded in the ops store's
outbox by `ichigen.ops.stock_pushes` or `ichigen.ops.purchase_orders` (which check the role
first), then `send_now` asks the dispatcher to send it; if sending is not possible here, the
action stays recorded and is sent by the next dispatcher run (DESIGN.md decision 7). The result
shown is always what the store says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import streamlit as st

from ichigen.app.snapshot import data_dir
from ichigen.ops import OpsStore

__all__ = ["SendOutcome", "follow_now", "ops_store", "send_now"]


@st.cache_resource(show_spinner=False)
def _store(path: str) -> OpsStore:
    from pathlib import Path

    return OpsStore.under(Path(path))


def ops_store() -> OpsStore:
    """The ops store under $ICHIGEN_DATA_DIR (shared by sessions: it opens a connection per use)."""
    return _store(str(data_dir()))


@dataclass(frozen=True)
class SendOutcome:
    sent: bool  # the dispatcher ran for these actions (their statuses say how it went)
    message: str


def send_now(action_ids: Sequence[str]) -> SendOutcome:
    """Dispatch the recorded actions now. If that fails here they stay in the outbox (recorded,
    or failed_retrying with the reason) and the next dispatcher run sends them."""
    from ichigen.ops.dispatch import dispatch_with_settings
    from ichigen.settings import load_settings

    try:
        report = dispatch_with_settings(load_settings(), action_ids=list(action_ids))
    except Exception as exc:  # the page's boundary: the store keeps the truth either way
        return SendOutcome(
            False,
            f"Recorded in the outbox but not sent from here: {exc}. "
            "The scheduled dispatcher sends it.",
        )
    parts = [
        f"{len(ids)} {label}"
        for label, ids in (
            ("accepted", report.accepted),
            ("replayed (the far end had it already)", report.replayed),
            ("rejected", report.rejected),
            ("retrying later", report.retrying),
            ("failed", report.failed),
            ("waiting for a connector", report.waiting),
        )
        if ids
    ]
    ok = not (report.rejected or report.failed or report.retrying or report.waiting)
    return SendOutcome(ok, "Sent: " + (", ".join(parts) or "nothing was due"))


def follow_now() -> SendOutcome:
    """Ask the supplier where the open purchase orders are (confirmed, shipped, received)."""
    from ichigen.ops.follow import follow_with_settings
    from ichigen.settings import load_settings

    try:
        report = follow_with_settings(load_settings())
    except Exception as exc:  # the page's boundary: nothing was changed
        return SendOutcome(False, f"Could not ask the supplier: {exc}")
    changed = ", ".join(f"{po} → {status}" for po, status in report.changed.items())
    errors = "; ".join(f"{po}: {why}" for po, why in report.errors.items())
    return SendOutcome(
        not report.errors,
        f"Checked {report.checked} order(s). {changed or 'No changes.'}"
        + (f" Not read: {errors}" if errors else ""),
    )
