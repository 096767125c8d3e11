"""Publish the marts as a read-only snapshot for the app (DESIGN.md decision 6).

The snapshot is written beside ``serving/current.duckdb`` and renamed over it
(`ichigen.atomic.replacing`): a reader that has the old file open keeps reading it, a new
reader opens the new one, and nobody ever sees half a snapshot. Publishing only reads the
warehouse, after dbt has closed it.

Personal data is masked in the snapshot (`ichigen.ops.personal_data`: every role's session
reads it). Its clear values go to a restricted file of their own, ``serving/restricted/<build
id>.duckdb`` (`DataPaths.restricted_dir`: the folder 0700, the file 0600), which the app opens
only for a role that may see them. Two files cannot be renamed in one step, so each build's
restricted file has a name of its own and is in place before the snapshot that names it
(its ``serving.build`` table: build id and the file's path relative to the snapshot's folder);
both files carry the build id, and a reader checks they agree. A reader of the previous snapshot
still finds its file: a build removes the files of the snapshots before that.

Besides the marts, a snapshot keeps the answers to the app's slowest views, for every channel
and for each channel alone (`ichigen.customer_views.KEPT_VIEWS`), computed once here from the
marts it holds rather than by every visitor.
"""

from __future__ import annotations

import os
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import duckdb

from ichigen.atomic import replacing
from ichigen.customer_views import KEPT_VIEWS, NEEDS, kept_selections, selection_key
from ichigen.ops.personal_data import (
    column_kind,
    masked_sql,
    masking_macros,
    may_change_sql,
    redact_record,
)

__all__ = ["RESTRICTED_KEYS", "publish_snapshot"]

# The column that tells apart the rows of each mart holding personal data: the restricted file
# keeps the clear values by it. A mart with personal columns and no key here is published
# masked with no clear copy.
RESTRICTED_KEYS: Final = {
    "dim_customers": "customer_id",
    "map_customer_identities": "identity_key",
    "fct_orders": "order_key",
    "fct_order_lines": "order_line_key",
    "fct_returns": "refund_key",
    "fct_quarantined_records": "quarantined_record_key",
}
_TOKEN_KEY: Final = "token.key"  # in the restricted folder: the identifiers' HMAC key


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish_snapshot(
    warehouse: Path,
    snapshot: Path,
    *,
    restricted_dir: Path | None = None,
    schema: str = "marts",
) -> Path:
    """Copy every table of `schema` into a new `snapshot` (`DataPaths.snapshot`), personal data
    masked, its clear values into a new file in `restricted_dir` (by default
    `DataPaths.restricted_dir`, the ``restricted`` folder beside the snapshot), and make them
    the current ones."""
    restricted_dir = restricted_dir or snapshot.parent / "restricted"
    key = _token_key(restricted_dir)
    build_id = f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"
    restricted = restricted_dir / f"{build_id}.duckdb"
    previous = _build_of(snapshot)
    # exits in reverse: the restricted file is in place before the snapshot that names it
    with replacing(snapshot) as tmp, replacing(restricted) as restricted_tmp:
        with duckdb.connect(str(tmp)) as con:
            con.execute("set enable_progress_bar = false")  # a bar per long copy floods logs
            con.execute(f"attach {_literal(str(warehouse))} as wh (read_only)")
            con.execute(f"attach {_literal(str(restricted_tmp))} as restricted")
            for macro in masking_macros(key):
                con.execute(macro)
            con.create_function("pii_record", redact_record, ["VARCHAR"], "VARCHAR")
            # the snapshot's catalog goes unnamed (it is named after the temporary file)
            for catalog in ("", "restricted."):
                con.execute(f"create schema {catalog}serving")
            tables = _copy_tables(con, schema)
            con.execute("detach wh")
            relative = os.path.relpath(restricted, snapshot.parent)
            for catalog in ("", "restricted."):
                con.execute(
                    f"create table {catalog}serving.build as "
                    "select $build_id as build_id, $restricted as restricted, "
                    "now() as published_at",
                    {"build_id": build_id, "restricted": relative},
                )
            con.execute("detach restricted")
            if tables >= NEEDS:
                _keep_customer_views(con)
            con.execute("checkpoint")
        restricted_tmp.chmod(0o600)
    _forget_restricted(restricted_dir, keep={build_id, previous})
    return snapshot


def _copy_tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    """Each table of the warehouse's `schema`, personal columns masked, into the snapshot; the
    clear values of the masked rows into the restricted file, by the table's key."""
    columns = con.execute(
        "select c.table_name, c.column_name, c.data_type "
        "from information_schema.columns as c inner join information_schema.tables as t "
        "on c.table_catalog = t.table_catalog and c.table_schema = t.table_schema "
        "and c.table_name = t.table_name "
        "where t.table_catalog = 'wh' and t.table_schema = ? and t.table_type = 'BASE TABLE' "
        "order by c.table_name, c.ordinal_position",
        [schema],
    ).fetchall()
    per_table: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in columns:
        per_table.setdefault(table, []).append((column, data_type))
    keys: list[tuple[str, str]] = []
    for table, table_columns in per_table.items():
        source = f"wh.{_quoted(schema)}.{_quoted(table)}"
        kinds = {
            column: kind
            for column, data_type in table_columns
            if data_type == "VARCHAR" and (kind := column_kind(column)) is not None
        }
        masks = {column: masked_sql(kind, _quoted(column)) for column, kind in kinds.items()}
        replaced = ", ".join(f"{mask} as {_quoted(column)}" for column, mask in masks.items())
        select = f"select * replace ({replaced})" if masks else "select *"
        con.execute(f"create table main.{_quoted(table)} as {select} from {source}")
        key = RESTRICTED_KEYS.get(table)
        if not masks or key not in {column for column, _ in table_columns}:
            continue
        assert key is not None
        clear = ", ".join(_quoted(column) for column in masks)
        changed = " or ".join(
            may_change_sql(kind, _quoted(column)) for column, kind in kinds.items()
        )
        con.execute(
            f"create table restricted.main.{_quoted(table)} as "
            f"select {masks.get(key, _quoted(key))} as _key, {clear} from {source} "
            f"where {changed}"
        )
        keys.append((table, key))
    # the reader learns from the file itself how to put the clear values back
    con.execute("create table restricted.serving.keys (table_name varchar, key_column varchar)")
    if keys:
        con.executemany("insert into restricted.serving.keys values (?, ?)", keys)
    return set(per_table)


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


def _token_key(restricted_dir: Path) -> bytes:
    """The key of the identifiers' tokens, made once per data directory and kept with the clear
    values (0600), so that a token stays the same from build to build."""
    restricted_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    restricted_dir.chmod(0o700)
    path = restricted_dir / _TOKEN_KEY
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as out:
        out.write(key)
    return key


def _build_of(snapshot: Path) -> str | None:
    """The build id of the snapshot now published (None before the first, or before builds
    had ids)."""
    if not snapshot.exists():
        return None
    # attached to a private database: connecting by path could hand back a cached instance
    with duckdb.connect(":memory:") as con:
        try:
            con.execute(f"attach {_literal(str(snapshot))} as current (read_only)")
            row = con.execute("select build_id from current.serving.build").fetchone()
        except duckdb.Error:  # no build id, or no snapshot at all: it is replaced either way
            return None
    return None if row is None else str(row[0])


def _forget_restricted(restricted_dir: Path, *, keep: set[str | None]) -> None:
    """Remove the restricted files of every snapshot but the current and the previous one."""
    for path in restricted_dir.glob("*.duckdb"):
        if path.stem not in keep:
            path.unlink(missing_ok=True)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
