"""The snapshot's connection: a new snapshot is picked up without a restart, the old one keeps
answering its readers, and the connection cannot write."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ichigen.app.data import connection
from ichigen.app.snapshot import current_snapshot
from ichigen.atomic import replacing
from ichigen.paths import DataPaths


def _publish(root: Path, rows: int) -> None:
    """Write a snapshot beside current.duckdb and rename it over, as a build does."""
    with replacing(DataPaths(root).snapshot) as tmp, duckdb.connect(str(tmp)) as con:
        con.execute("create table fct_orders as select range as n from range(?)", [rows])


def test_a_new_snapshot_is_read_at_once_while_the_old_one_still_answers(tmp_path: Path) -> None:
    assert current_snapshot(tmp_path) is None
    _publish(tmp_path, 3)
    first = current_snapshot(tmp_path)
    assert first is not None
    assert connection.row_count(first, "fct_orders") == 3
    _publish(tmp_path, 5)
    second = current_snapshot(tmp_path)
    assert second is not None and second != first
    assert connection.row_count(second, "fct_orders") == 5
    # a session still holding the old version reads it whole (the renamed-over file lives on)
    connection.row_count.clear()
    assert connection.row_count(first, "fct_orders") == 3


def test_every_table_is_counted_in_one_go(tmp_path: Path) -> None:
    _publish(tmp_path, 4)
    snap = current_snapshot(tmp_path)
    assert snap is not None
    assert connection.row_counts(snap) == {"fct_orders": 4}
    assert connection.tables(snap) == frozenset({"fct_orders"})


def test_the_snapshot_is_opened_read_only(tmp_path: Path) -> None:
    _publish(tmp_path, 1)
    snap = current_snapshot(tmp_path)
    assert snap is not None
    with pytest.raises(duckdb.Error, match=r"(?i)read.only"):
        connection._frame(snap, "create table x as select 1")
