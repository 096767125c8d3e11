"""Publish the marts as a read-only snapshot for the app (DESIGN.md decision 5).

The snapshot is written beside ``serving/current.duckdb`` and renamed over it
(`ichigen.atomic.replacing`): a reader that has the old file open keeps reading it, a new
reader opens the new one, and nobody ever sees half a snapshot. Publishing only reads the
warehouse, after dbt has closed it.

Besides the marts, a snapshot keeps the answers to the app's slowest views, for every channel
and for each channel alone (`ichigen.customer_views.KEPT_VIEWS`), computed once here from the
marts it holds rather than by every visitor.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from ichigen.atomic import replacing
from ichigen.customer_views import KEPT_VIEWS, NEEDS, kept_selections, selection_key

__all__ = ["publish_snapshot"]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_snapshot(warehouse: Path, snapshot: Path, *, schema: str = "marts") -> Path:
    """Copy every table of `schema` into a new `snapshot` (`DataPaths.snapshot`) and make it the
    current one."""
    with replacing(snapshot) as tmp, duckdb.connect(str(tmp)) as con:
        con.execute("set enable_progress_bar = false")  # a bar per long copy floods logs
        con.execute(f"attach {_literal(str(warehouse))} as wh (read_only)")
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'wh' and table_schema = ? and table_type = 'BASE TABLE' "
            "order by table_name",
            [schema],
        ).fetchall()
        for (table,) in tables:
            con.execute(
                f"create table main.{_quoted(table)} as "
                f"select * from wh.{_quoted(schema)}.{_quoted(table)}"
            )
        con.execute("detach wh")
        if {table for (table,) in tables} >= NEEDS:
            _keep_customer_views(con)
        con.execute("checkpoint")
    return snapshot


def _keep_customer_views(con: duckdb.DuckDBPyConnection) -> None:
    """Each kept view's answers, for every channel and for each channel alone."""
    channels = [c for (c,) in con.execute("select distinct channel from fct_orders").fetchall()]
    for name, sql in KEPT_VIEWS.items():
        con.execute(
            f"create table main.{_quoted(name)} as select '' as selection, * from ({sql}) limit 0",
            {"channels": []},
        )
        for selection in kept_selections(sorted(channels)):
            con.execute(
                f"insert into main.{_quoted(name)} select $key, * from ({sql})",
                {"channels": selection, "key": selection_key(selection)},
            )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
