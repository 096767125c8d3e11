"""The landing zone: append-only Parquet with load metadata, written atomically.

Layout, per channel and entity:

    landing/<channel>/<entity>/<load_id>-<part>.parquet     accepted records, raw JSON kept
    landing/<channel>/<entity>/_loads/<load_id>.json         written last: the load completed
    quarantine/<channel>/<entity>/<load_id>-<part>.parquet  rejected records, with reasons

With a `BatchValidator`, each part is validated before it is written: records that fail go to
the quarantine with the expectations they failed, the rest land; the manifest counts both, so
accepted + quarantined = received can be checked per load.

A part is flushed when it holds `part_bytes` of JSON or `part_rows` records, whichever comes
first, so memory stays bounded however much a pull returns and however large its records
are; a part waits as JSON text and its validation rows, never as decoded records (see
`LoadWriter.add`), and each load writes only files named after its own id, so parallel loads never
touch the same file. A part's memory is mostly per record (its JSON, key and validation rows,
and their copies while it is written): 5,000 records is what the ingest's peak memory was
measured with, and parts of 8,000-10,000 Amazon and Rakuten orders raised it from 860 to
985 MiB (small tier). The byte bound keeps a pull of unusually large records (a Shopify order
of many lines) from holding more. Each part is also one Great Expectations run of a fixed
~0.35 s, so an entity of small flat records may ask for larger parts (the supplier's do).

A load that crashes leaves its parts (their records are real and staging deduplicates them)
but no manifest, so the next cursor ignores it and the window is pulled again: at-least-once
in, exactly-once after staging (DESIGN.md decision 3).
"""

from __future__ import annotations

import gc
import itertools
import json
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import orjson
import polars as pl

from ichigen.atomic import replacing, write_text_atomically
from ichigen.ingestion.validation import BatchValidator, ExpectationOutcome
from ichigen.paths import DataPaths

__all__ = [
    "LANDING_SCHEMA",
    "PART_BYTES",
    "PART_ROWS",
    "QUARANTINE_SCHEMA",
    "LandingZone",
    "LoadManifest",
    "LoadWriter",
    "new_load_id",
]

UTC_TS = pl.Datetime("us", "UTC")
# A part's bounds (see the module's docstring); 5,000 Shopify orders are ~44 MiB of JSON.
PART_BYTES: Final = 48 * 2**20
PART_ROWS: Final = 5_000

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

QUARANTINE_SCHEMA = pl.Schema({**LANDING_SCHEMA, "_reasons": pl.List(pl.String())})


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
    records: int  # received
    accepted: int
    quarantined: int
    parts: int
    max_record_updated_at: str | None  # over accepted and quarantined: both were received
    checks: list[dict[str, Any]]  # per expectation: checked, unexpected, success


class _FrozenHeap:
    """Keeps the heap that exists when a load opens out of the collector's full passes.

    A pull decodes pages of many small objects; each page that lives long enough brings on a
    full collection, which walks every object in the process: in `oms ingest` that is
    Dagster's and Great Expectations' few hundred thousand, 0.3-1 s a pass on a loaded
    machine, and 6-8 s of a 20 s Shopify orders pull went there. `gc.freeze` moves what
    exists now (mostly modules and their objects, which live as long as the process) out of
    those passes; reference counting still frees anything that dies. The last load to close
    unfreezes, so a long-lived process gets its cycles collected again. Counted, because loads
    may run side by side in threads.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open = 0

    def enter(self) -> None:
        with self._lock:
            self._open += 1
            gc.freeze()

    def exit(self) -> None:
        with self._lock:
            self._open -= 1
            if self._open == 0:
                gc.unfreeze()


_FROZEN_HEAP = _FrozenHeap()


def _write_parquet(frame: pl.DataFrame, path: Path) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    with replacing(path) as tmp:
        frame.write_parquet(tmp, compression="zstd")


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
        quarantine_dir: Path | None = None,
        validator: BatchValidator | None = None,
        load_id: str | None = None,
        part_rows: int = PART_ROWS,
        part_bytes: int = PART_BYTES,
    ) -> None:
        self.directory = directory
        self.quarantine_dir = quarantine_dir or directory / "_quarantine"
        self.validator = validator
        self.channel = channel
        self.entity = entity
        self.source = source
        self.cursor_start = cursor_start
        self.cursor_end = cursor_end
        self.load_id = load_id or new_load_id()
        self.started_at = datetime.now(UTC)
        self._part_rows = part_rows
        self._part_bytes = part_bytes
        # The part being filled, column by column; _rows holds its validation rows.
        self._bytes = 0  # of JSON in _raw, as UTF-8
        self._keys: list[str] = []
        self._changed: list[datetime | None] = []
        self._raw: list[str] = []
        self._rows: list[pl.DataFrame] = []
        self._parts = 0
        self._records = 0
        self._quarantined = 0
        self._checks: dict[str, ExpectationOutcome] = {}
        self._max_updated: datetime | None = None
        self._committed = False

    @property
    def records(self) -> int:
        return self._records + len(self._keys)

    def add(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        key: Callable[[Mapping[str, Any]], str],
        updated_at: Callable[[Mapping[str, Any]], datetime | None] | None = None,
    ) -> None:
        """Buffer records (raw, as received); flush a part whenever the buffer is full.

        Each record is kept as its JSON text, and with a validator the contract's rows are
        extracted as records arrive: the decoded records are let go at once. Held until the
        part is full, a part of large orders as Python objects took several times its JSON
        size, and every full garbage collection walked all of it (most of a Shopify orders
        pull's time went there).
        """
        pending: Iterator[Mapping[str, Any]] = iter(records)
        while chunk := list(itertools.islice(pending, self._part_rows - len(self._keys))):
            first = len(self._keys)
            taken = self._take(chunk, key, updated_at)
            if self.validator is not None:
                self._rows.append(self.validator.rows(chunk[:taken], first=first))
            if taken < len(chunk):  # the part filled up by bytes: the rest starts the next
                pending = itertools.chain(chunk[taken:], pending)
            if len(self._keys) >= self._part_rows or self._bytes >= self._part_bytes:
                self.flush()

    def _take(
        self,
        chunk: list[Mapping[str, Any]],
        key: Callable[[Mapping[str, Any]], str],
        updated_at: Callable[[Mapping[str, Any]], datetime | None] | None,
    ) -> int:
        """Buffer records of `chunk` until the part holds `part_bytes`; how many it took."""
        for taken, record in enumerate(chunk, start=1):
            changed = updated_at(record) if updated_at else None
            if changed is not None and (self._max_updated is None or changed > self._max_updated):
                self._max_updated = changed
            raw = orjson.dumps(record)
            self._keys.append(key(record))
            self._changed.append(changed)
            self._raw.append(raw.decode())
            self._bytes += len(raw)
            if self._bytes >= self._part_bytes:
                return taken
        return len(chunk)

    def flush(self) -> None:
        if not self._keys:
            return
        received = len(self._keys)
        frame = pl.DataFrame(
            {
                "_load_id": self.load_id,
                "_loaded_at": self.started_at,
                "_source": self.source,
                "_cursor_start": self.cursor_start,
                "_cursor_end": self.cursor_end,
                "_record_key": self._keys,
                "_record_updated_at": self._changed,
                "_raw": self._raw,
            },
            schema=LANDING_SCHEMA,
        )
        name = f"{self.load_id}-{self._parts:05d}.parquet"
        if self.validator is not None:
            rows = pl.concat(self._rows, how="vertical_relaxed")
            verdict = self.validator.check(rows, received=received)
            self._record_outcomes(verdict.outcomes)
            reasons = [verdict.reasons.get(i) for i in range(received)]
            rejected = pl.Series("_reasons", reasons, dtype=pl.List(pl.String()))
            bad = rejected.is_not_null()
            if bad.any():
                _write_parquet(frame.with_columns(rejected).filter(bad), self.quarantine_dir / name)
                self._quarantined += int(bad.sum())
            frame = frame.filter(~bad)
        _write_parquet(frame, self.directory / name)
        self._parts += 1
        self._records += received
        self._keys, self._changed, self._raw, self._rows = [], [], [], []
        self._bytes = 0

    def _record_outcomes(self, outcomes: list[ExpectationOutcome]) -> None:
        for outcome in outcomes:
            seen = self._checks.get(outcome.expectation)
            if seen is not None:
                outcome = ExpectationOutcome(
                    expectation=outcome.expectation,
                    success=seen.success and outcome.success,
                    checked=seen.checked + outcome.checked,
                    unexpected=seen.unexpected + outcome.unexpected,
                )
            self._checks[outcome.expectation] = outcome

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
            accepted=self._records - self._quarantined,
            quarantined=self._quarantined,
            parts=self._parts,
            max_record_updated_at=self._max_updated.isoformat() if self._max_updated else None,
            checks=[asdict(outcome) for outcome in self._checks.values()],
        )
        write_text_atomically(
            self.directory / "_loads" / f"{self.load_id}.json",
            json.dumps(asdict(manifest), indent=2),
        )
        self._committed = True
        return manifest

    def __enter__(self) -> LoadWriter:
        _FROZEN_HEAP.enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            # On failure keep what was received (flushed parts are real records), no manifest.
            if exc_type is not None:
                self.flush()
        finally:
            _FROZEN_HEAP.exit()


class LandingZone:
    """The landing zone and its quarantine (normally under $ICHIGEN_DATA_DIR).

    Without a `quarantine_root`, `root` is taken for a data directory's landing folder and the
    quarantine is that data directory's (`DataPaths.quarantine`).
    """

    def __init__(self, root: Path, *, quarantine_root: Path | None = None) -> None:
        self.root = root
        self.quarantine_root = quarantine_root or DataPaths(root.parent).quarantine

    @classmethod
    def under(cls, paths: DataPaths) -> LandingZone:
        """The landing zone and quarantine of a data directory."""
        return cls(paths.landing, quarantine_root=paths.quarantine)

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
        validator: BatchValidator | None = None,
        part_rows: int = PART_ROWS,
        part_bytes: int = PART_BYTES,
    ) -> LoadWriter:
        return LoadWriter(
            self.entity_dir(channel, entity),
            channel=channel,
            entity=entity,
            source=source,
            cursor_start=cursor_start,
            cursor_end=cursor_end,
            quarantine_dir=self.quarantine_root / channel / entity,
            validator=validator,
            part_rows=part_rows,
            part_bytes=part_bytes,
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

    def scan_quarantine(self, channel: str, entity: str) -> pl.LazyFrame:
        pattern = self.quarantine_root / channel / entity / "*.parquet"
        return pl.scan_parquet(pattern, schema=QUARANTINE_SCHEMA)
