"""The ops store: where it lives, and reads typed when nothing is in it yet."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ichigen.ops import OpsStore
from ichigen.ops.outbox import ACTION_SCHEMA, HISTORY_SCHEMA, list_actions
from ichigen.ops.purchase_orders import (
    PURCHASE_ORDER_SCHEMA,
    list_purchase_orders,
    purchase_order_history,
)
from ichigen.ops.stock_pushes import STOCK_PUSH_SCHEMA, list_stock_pushes


def test_the_store_lives_under_the_data_dir_and_reads_are_typed_when_empty(
    tmp_path: Path,
) -> None:
    store = OpsStore.under(tmp_path)
    assert list_actions(store).schema == pl.Schema(ACTION_SCHEMA)
    assert list_purchase_orders(store).schema == pl.Schema(PURCHASE_ORDER_SCHEMA)
    assert list_stock_pushes(store).schema == pl.Schema(STOCK_PUSH_SCHEMA)
    assert purchase_order_history(store).schema == pl.Schema(HISTORY_SCHEMA)
    assert store.path == tmp_path / "ops" / "ops.sqlite" and store.path.exists()
