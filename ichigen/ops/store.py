"""The ops store: what people and jobs decided to send out, and what became of it.

It is SQLite, not DuckDB, and never the warehouse (DESIGN.md decision 5):

- its writers are many small processes at once (Streamlit sessions, the Dagster daemon's runs,
  the CLI); DuckDB lets one process open a file for writing and refuses every other process
  even a read, while SQLite serialises writers with its own file lock and lets readers go on;
- its work is small transactions of a row or ten (record an action, claim it, record the
  result), which is what SQLite is built for and what DuckDB's columnar storage is not;
- it needs no package beyond the standard library.

One writer at a time: every write runs in ``BEGIN IMMEDIATE``, which takes SQLite's write lock
(a lock on the database file) before reading anything, so a claim ("this action is mine to
send") and the state it was based on cannot interleave with another writer's. Others wait up to
`BUSY_TIMEOUT_S` for the lock. WAL mode lets the pages read while a write is in progress.

The schema is created on first use (``CREATE TABLE IF NOT EXISTS``); `SCHEMA_VERSION` is kept in
``PRAGMA user_version`` so a later change can migrate rather than guess.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from ichigen.paths import DataPaths

__all__ = ["BUSY_TIMEOUT_S", "SCHEMA_VERSION", "Clock", "OpsStore", "now_text"]

SCHEMA_VERSION: Final = 1
BUSY_TIMEOUT_S: Final = 30.0

Clock = Callable[[], datetime]

_SCHEMA: Final = """
create table if not exists actions (
    action_id        text primary key,
    kind             text not null check (kind in ('stock_push', 'purchase_order')),
    idempotency_key  text not null unique,
    user_name        text not null,
    user_role        text not null,
    status           text not null check (status in (
                         'recorded', 'sending', 'accepted', 'rejected', 'failed_retrying',
                         'failed')),
    reason           text,
    attempts         integer not null default 0,
    last_error       text,
    result           text,
    batch_id         text not null,
    created_at       text not null,
    updated_at       text not null,
    next_attempt_at  text,
    claimed_at       text
);
create index if not exists actions_by_status on actions (status, next_attempt_at);

create table if not exists action_status_history (
    action_id  text not null references actions (action_id),
    seq        integer not null,
    status     text not null,
    at         text not null,
    detail     text,
    primary key (action_id, seq)
);

create table if not exists stock_pushes (
    action_id               text primary key references actions (action_id),
    channel                 text not null,
    sku                     text not null,
    location_id             text not null,
    quantity                integer not null check (quantity >= 0),
    listed_quantity         integer,
    available_to_promise    integer,
    safety_buffer_units     integer,
    reason                  text not null
);

create table if not exists purchase_orders (
    po_id                text primary key,
    supplier_id          text not null,
    ship_to_location_id  text not null,
    reference            text not null unique,
    status               text not null check (status in (
                             'draft', 'approved', 'sending', 'sent', 'confirmed', 'shipped',
                             'received', 'rejected', 'cancelled')),
    created_by           text not null,
    created_role         text not null,
    created_at           text not null,
    updated_at           text not null,
    approved_by          text,
    approved_at          text,
    send_action_id       text references actions (action_id),
    supplier_po_id       text,
    supplier_status      text,
    note                 text
);

create table if not exists purchase_order_lines (
    po_id                 text not null references purchase_orders (po_id),
    line_no               integer not null,
    sku                   text not null,
    quantity              integer not null check (quantity > 0),
    suggested_quantity    integer,
    raw_quantity          double,
    reorder_key           text,
    moq                   integer,
    case_pack             integer,
    unit_cost_jpy         double,
    suggestion            text,
    primary key (po_id, line_no),
    unique (po_id, sku)
);

create table if not exists purchase_order_status_history (
    po_id       text not null references purchase_orders (po_id),
    seq         integer not null,
    status      text not null,
    at          text not null,
    user_name   text not null,
    user_role   text not null,
    detail      text,
    primary key (po_id, seq)
);
"""


def now_text(clock: Clock) -> str:
    """The clock's time as the store keeps it: ISO 8601 in UTC, so text order is time order."""
    return clock().astimezone(UTC).isoformat(timespec="microseconds")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class OpsStore:
    """The ops store at `path` (created with its schema on first use).

    Each `read`/`write` opens its own connection, so a store object may be shared between
    threads (Streamlit sessions) and processes never share a connection.
    """

    def __init__(self, path: Path, *, clock: Clock = _utc_now) -> None:
        self.path = path
        self.clock = clock
        self._ready = False

    @classmethod
    def under(cls, data_dir: Path, *, clock: Clock = _utc_now) -> OpsStore:
        """The store at ``<data_dir>/ops/ops.sqlite`` (``$ICHIGEN_DATA_DIR``)."""
        return cls(DataPaths(data_dir).ops_store, clock=clock)

    def __repr__(self) -> str:
        return f"OpsStore({str(self.path)!r})"

    def now(self) -> str:
        return now_text(self.clock)

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # isolation_level=None: transactions are begun explicitly (BEGIN IMMEDIATE for writes).
        con = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        con.row_factory = sqlite3.Row
        con.execute("pragma foreign_keys = on")
        if not self._ready:
            con.execute("pragma journal_mode = wal")
            con.execute("begin immediate")
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    con.execute(statement)
            con.execute(f"pragma user_version = {SCHEMA_VERSION}")
            con.execute("commit")
            self._ready = True
        return con

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``: committed on success, rolled back on error."""
        con = self._connect()
        try:
            con.execute("begin immediate")
            try:
                yield con
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")
        finally:
            con.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        con = self._connect()
        try:
            yield con
        finally:
            con.close()

    def frame(
        self, sql: str, params: Sequence[Any] = (), *, schema: dict[str, pl.DataType]
    ) -> pl.DataFrame:
        """Rows of `sql` as a frame of `schema` (the same columns and types when empty)."""
        with self.read() as con:
            rows = con.execute(sql, params).fetchall()
        frame = pl.DataFrame(
            [tuple(row) for row in rows],
            schema={name: _storage_type(dtype) for name, dtype in schema.items()},
            orient="row",
        )
        return frame.with_columns(
            pl.col(name).str.to_datetime(time_zone="UTC", time_unit="us")
            for name, dtype in schema.items()
            if isinstance(dtype, pl.Datetime)
        )


def _storage_type(dtype: pl.DataType) -> pl.DataType:
    # Times are stored as ISO text and parsed after loading.
    return pl.String() if isinstance(dtype, pl.Datetime) else dtype
