"""The landing zone: append-only Parquet with load metadata, written atomically.

Layout, per channel and entity:

    landing/<channel>/<entity>/<load_id>-<part>.parquet   records, raw JSON kept
    landing/<channel>/<entity>/_loads/<load_id>.json       written last: the load completed

Parts are flushed every `part_rows` records, so memory stays bounded however much a pull
returns, and each load writes only files named after its own id, so parallel loads never
touch the same file. A load that crashes leaves its parts (their records are real and staging
deduplicates them) but no manifest, so the next cursor ignores it and the window is pulled
again: at-least-once in, exactly-once after staging (DESIGN.md decision 3).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import orjson
import polars as pl

__all__ = ["LANDING_SCHEMA", "LandingZone", "LoadManifest", "LoadWriter", "new_load_id"]

UTC_TS = pl.Datetime("us", "UTC")

LANDING_SCHEMA = pl.Schema(
    {
        "_load_id": pl.String(),
        "_loaded_at": UTC_TS,
        "_source": pl.String(),  # channel endpoint or file, never with credentials
        "_cursor_start": UTC_TS,  # the window this load asked for (null: no lower bound)
        "_cursor_end": UTC_TS,
        "_record_key": pl.String(),  # the channel's id for the record
        "_record_updated_at": UTC_TS,  # the channel's last-changed time, when it has one
        "_raw": pl.String(),  # the record exactly as received, as JSON
    }
)


def new_load_id(now: datetime | None = None) -> str:
    """Sortable by time, unique across processes: 20261122T031500Z-1a2b3c4d."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class LoadManifest:
    load_id: str
    channel: str
    entity: str
    source: str
    cursor_start: str | None
    cursor_end: str | None
    started_at: str
    finished_at: str
    records: int
    parts: int
    max_record_updated_at: str | None


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:6]}")
    tmp.write_bytes(payload)
    tmp.replace(path)


class LoadWriter:
    """Writes one load of one entity; use as a context manager, call `commit` at the end."""

    def __init__(
        self,
        directory: Path,
        *,
        channel: str,
        entity: str,
        source: str,
        cursor_start: datetime | None,
        cursor_end: datetime | None,
        load_id: str | None = None,
        part_rows: int = 5000,
    ) -> None:
        self.directory = directory
        self.channel = channel
        self.entity = entity
        self.source = source
        self.cursor_start = cursor_start
        self.cursor_end = cursor_end
        self.load_id = load_id or new_load_id()
        self.started_at = datetime.now(UTC)
        self._part_rows = part_rows
        self._buffer: list[tuple[str, datetime | None, str]] = []
        self._parts = 0
        self._records = 0
        self._max_updated: datetime | None = None
        self._committed = False

    @property
    def records(self) -> int:
        return self._records + len(self._buffer)

    def add(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        key: Callable[[Mapping[str, Any]], str],
        updated_at: Callable[[Mapping[str, Any]], datetime | None] | None = None,
    ) -> None:
        """Buffer records (raw, as received); flush a part whenever the buffer is full."""
        for record in records:
            changed = updated_at(record) if updated_at else None
            if changed is not None and (self._max_updated is None or changed > self._max_updated):
                self._max_updated = changed
            self._buffer.append((key(record), changed, orjson.dumps(record).decode()))
            if len(self._buffer) >= self._part_rows:
                self.flush()

    def flush(self) -> None:
        if not self._buffer:
            return
        keys, changed, raw = zip(*self._buffer, strict=True)
        count = len(keys)
        frame = pl.DataFrame(
            {
                "_load_id": [self.load_id] * count,
                "_loaded_at": [self.started_at] * count,
                "_source": [self.source] * count,
                "_cursor_start": [self.cursor_start] * count,
                "_cursor_end": [self.cursor_end] * count,
                "_record_key": list(keys),
                "_record_updated_at": list(changed),
                "_raw": list(raw),
            },
            schema=LANDING_SCHEMA,
        )
        path = self.directory / f"{self.load_id}-{self._parts:05d}.parquet"
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        frame.write_parquet(tmp, compression="zstd")
        tmp.replace(path)
        self._parts += 1
        self._records += count
        self._buffer.clear()

    def commit(self) -> LoadManifest:
        """Flush and write the manifest: from now on the load counts for the next cursor."""
        self.flush()
        manifest = LoadManifest(
            load_id=self.load_id,
            channel=self.channel,
            entity=self.entity,
            source=self.source,
            cursor_start=self.cursor_start.isoformat() if self.cursor_start else None,
            cursor_end=self.cursor_end.isoformat() if self.cursor_end else None,
            started_at=self.started_at.isoformat(),
            finished_at=datetime.now(UTC).isoformat(),
            records=self._records,
            parts=self._parts,
            max_record_updated_at=self._max_updated.isoformat() if self._max_updated else None,
        )
        _atomic_write_bytes(
            self.directory / "_loads" / f"{self.load_id}.json",
            json.dumps(asdict(manifest), indent=2).encode(),
        )
        self._committed = True
        return manifest

    def __enter__(self) -> LoadWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On failure keep what was received (flushed parts are real records) but no manifest.
        if exc_type is not None:
            self.flush()


class LandingZone:
    """The landing zone under one root (normally $ICHIGEN_DATA_DIR/landing)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def entity_dir(self, channel: str, entity: str) -> Path:
        return self.root / channel / entity

    def open_load(
        self,
        channel: str,
        entity: str,
        *,
        source: str,
        cursor_start: datetime | None = None,
        cursor_end: datetime | None = None,
        part_rows: int = 5000,
    ) -> LoadWriter:
        return LoadWriter(
            self.entity_dir(channel, entity),
            channel=channel,
            entity=entity,
            source=source,
            cursor_start=cursor_start,
            cursor_end=cursor_end,
            part_rows=part_rows,
        )

    def completed_loads(self, channel: str, entity: str) -> list[LoadManifest]:
        loads_dir = self.entity_dir(channel, entity) / "_loads"
        if not loads_dir.exists():
            return []
        return [
            LoadManifest(**json.loads(path.read_text("utf-8")))
            for path in sorted(loads_dir.glob("*.json"))
        ]

    def next_cursor(self, channel: str, entity: str, *, lookback: timedelta) -> datetime | None:
        """The latest change that completed loads landed, minus the lookback window.

        None means nothing has landed yet: pull everything.
        """
        latest = [
            datetime.fromisoformat(load.max_record_updated_at)
            for load in self.completed_loads(channel, entity)
            if load.max_record_updated_at
        ]
        return max(latest) - lookback if latest else None

    def scan(self, channel: str, entity: str) -> pl.LazyFrame:
        """Everything landed for an entity (tests and checks; dbt reads the files itself)."""
        pattern = self.entity_dir(channel, entity) / "*.parquet"
        return pl.scan_parquet(pattern, schema=LANDING_SCHEMA)
