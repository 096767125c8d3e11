"""The landing zone: append-only Parquet with load metadata, written atomically.

Layout, per channel and entity:

    landing/<channel>/<entity>/<load_id>-<part>.parquet     accepted records, raw JSON kept
    landing/<channel>/<entity>/_loads/<load_id>.json         written last: the load completed
    landing/<channel>/<entity>/_pending/<load_id>/           a load not completed (yet)
    quarantine/<channel>/<entity>/<load_id>-<part>.parquet  rejected records, with reasons

A load writes its parts under ``_pending/<load_id>/``, where no reader looks, and its commit
moves them into place, dated at that moment, before it writes the manifest (`ingestion.pending`
says how, and why that order). So parts of a load that never completed (a crash, a channel
that went down, a build started while the ingest runs) are never read, and the cursor
(`LandingZone.next_cursor`), which reads only manifests, never moves past them.

A load that failed keeps its parts pending, with a small state saved after each part: its
window, its counts and a *checkpoint*, whatever its pull needs to go on from the page after
the last part written (a page token, a next URL). The next pull of the entity from the same
source opens it again (`LandingZone.open_load` with ``resumable``) and goes on from there, so
a pull that fails part-way resumes instead of starting again from the first record; its one
manifest then counts every try. Records a resumed pull reads twice are deduplicated by
staging, as any overlap is (at-least-once in, exactly-once after staging: DESIGN.md decisions
3 and 4). An entity pulled whole each time (a snapshot) does not resume: a new load of it
removes the parts of one that did not complete.

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

from ichigen.atomic import replacing
from ichigen.ingestion.pending import PendingLoad, load_of_part, pending_ids
from ichigen.ingestion.validation import BatchValidator, ExpectationOutcome
from ichigen.paths import DataPaths

__all__ = [
    "LANDING_SCHEMA",
    "PART_BYTES",
    "PART_ROWS",
    "QUARANTINE_SCHEMA",
    "Checkpoint",
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

# Where a pull had reached, as its pull writes it (JSON): opaque to the landing zone.
Checkpoint = dict[str, Any]


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
    attempts: int = 1  # tries it took: a load resumed after failing counts them all


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
    """Writes one load of one entity; use as a context manager, call `commit` at the end.

    With `pending` (a load that did not complete, claimed by `LandingZone.open_load`), the
    writer goes on with that load: its id, window, parts, counts and checkpoint; the window
    given here is then ignored.
    """

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
        pending: PendingLoad | None = None,
    ) -> None:
        self.directory = directory
        self.quarantine_dir = quarantine_dir or directory / "_quarantine"
        self.validator = validator
        self.channel = channel
        self.entity = entity
        self.source = source
        self.cursor_start = cursor_start
        self.cursor_end = cursor_end  # a pull may set it once it knows (before its first part)
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
        self._buffer_max: datetime | None = None
        # What the written parts hold.
        self._parts = 0
        self._records = 0
        self._quarantined = 0
        self._checks: dict[str, ExpectationOutcome] = {}
        self._max_updated: datetime | None = None
        # Where the pull goes on from once the written parts are kept: `checkpoint`. `_after`
        # is the checkpoint after the last page buffered whole (see `add`).
        self.checkpoint: Checkpoint | None = None
        self._after: Checkpoint | None = None
        self.attempts = 1
        self.resumed = False
        self._committed = False
        state = pending.state() if pending is not None else None
        if pending is not None and state is not None:
            self._resume(pending, state)
        else:
            if pending is not None:
                pending.remove()
            self._pending = PendingLoad.create(directory, self.quarantine_dir, self.load_id)
        self._save_state()

    def _resume(self, pending: PendingLoad, state: Mapping[str, Any]) -> None:
        self._pending = pending
        self.resumed = True
        self.load_id = pending.load_id
        self.cursor_start = _time(state.get("cursor_start"))
        self.cursor_end = _time(state.get("cursor_end"))
        self.started_at = _time(state.get("started_at")) or self.started_at
        self._parts = int(state.get("parts") or 0)
        self._records = int(state.get("records") or 0)
        self._quarantined = int(state.get("quarantined") or 0)
        self._max_updated = _time(state.get("max_record_updated_at"))
        self._checks = {
            check["expectation"]: ExpectationOutcome(**check) for check in state.get("checks", [])
        }
        self.checkpoint = self._after = state.get("checkpoint")
        self.attempts = int(state.get("attempts") or 1) + 1
        pending.drop_parts_from(self._parts)

    def _save_state(self) -> None:
        """What the written parts hold and where the pull had reached: saved after each part,
        so a load that fails can be gone on with (`LandingZone.open_load`)."""
        self._pending.save_state(
            {
                "load_id": self.load_id,
                "channel": self.channel,
                "entity": self.entity,
                "source": self.source,
                "cursor_start": _iso(self.cursor_start),
                "cursor_end": _iso(self.cursor_end),
                "started_at": self.started_at.isoformat(),
                "parts": self._parts,
                "records": self._records,
                "quarantined": self._quarantined,
                "max_record_updated_at": _iso(self._max_updated),
                "checks": [asdict(outcome) for outcome in self._checks.values()],
                "checkpoint": self.checkpoint,
                "attempts": self.attempts,
            }
        )

    @property
    def records(self) -> int:
        return self._records + len(self._keys)

    def landed_keys(self) -> set[str]:
        """The keys of every record this load holds so far, landed or quarantined: what a
        resumed pull that cannot say where it had reached (Rakuten's) need not ask for again."""
        keys = set(self._keys)
        for part in self._pending.parts():
            keys.update(pl.read_parquet(part, columns=["_record_key"])["_record_key"].to_list())
        return keys

    def add(
        self,
        records: Iterable[Mapping[str, Any]],
        *,
        key: Callable[[Mapping[str, Any]], str],
        updated_at: Callable[[Mapping[str, Any]], datetime | None] | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> None:
        """Buffer records (raw, as received); flush a part whenever the buffer is full.

        Each record is kept as its JSON text, and with a validator the contract's rows are
        extracted as records arrive: the decoded records are let go at once. Held until the
        part is full, a part of large orders as Python objects took several times its JSON
        size, and every full garbage collection walked all of it (most of a Shopify orders
        pull's time went there).

        `checkpoint` is where the pull goes on from once these records are kept (the page
        after them). A part that ends inside these records is saved with the checkpoint of
        the records before them, so a resumed pull reads them again rather than miss some.
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
                rest = next(pending, None)
                if rest is not None:
                    pending = itertools.chain([rest], pending)
                self._flush(self._after if rest is not None else checkpoint or self._after)
        if checkpoint is not None:
            self._after = checkpoint

    def _take(
        self,
        chunk: list[Mapping[str, Any]],
        key: Callable[[Mapping[str, Any]], str],
        updated_at: Callable[[Mapping[str, Any]], datetime | None] | None,
    ) -> int:
        """Buffer records of `chunk` until the part holds `part_bytes`; how many it took."""
        for taken, record in enumerate(chunk, start=1):
            changed = updated_at(record) if updated_at else None
            if changed is not None and (self._buffer_max is None or changed > self._buffer_max):
                self._buffer_max = changed
            raw = orjson.dumps(record)
            self._keys.append(key(record))
            self._changed.append(changed)
            self._raw.append(raw.decode())
            self._bytes += len(raw)
            if self._bytes >= self._part_bytes:
                return taken
        return len(chunk)

    def flush(self) -> None:
        """Write what is buffered as a part (every record added so far is then kept)."""
        self._flush(self._after)

    def _flush(self, checkpoint: Checkpoint | None) -> None:
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
        quarantined = 0
        if self.validator is not None:
            rows = pl.concat(self._rows, how="vertical_relaxed")
            verdict = self.validator.check(rows, received=received)
            self._record_outcomes(verdict.outcomes)
            reasons = [verdict.reasons.get(i) for i in range(received)]
            rejected = pl.Series("_reasons", reasons, dtype=pl.List(pl.String()))
            bad = rejected.is_not_null()
            if bad.any():
                quarantine = self._pending.quarantine_part(self._parts)
                _write_parquet(frame.with_columns(rejected).filter(bad), quarantine)
                quarantined = int(bad.sum())
            frame = frame.filter(~bad)
        _write_parquet(frame, self._pending.part(self._parts))
        self._parts += 1
        self._records += received
        self._quarantined += quarantined
        if self._buffer_max is not None and (
            self._max_updated is None or self._buffer_max > self._max_updated
        ):
            self._max_updated = self._buffer_max
        self.checkpoint = checkpoint
        self._save_state()  # after the part: a part the state does not count is dropped
        self._keys, self._changed, self._raw, self._rows = [], [], [], []
        self._bytes = 0
        self._buffer_max = None

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
        """Flush, publish the parts and write the manifest: from now on the load is read
        downstream and counts for the next cursor."""
        self.flush()
        manifest = LoadManifest(
            load_id=self.load_id,
            channel=self.channel,
            entity=self.entity,
            source=self.source,
            cursor_start=_iso(self.cursor_start),
            cursor_end=_iso(self.cursor_end),
            started_at=self.started_at.isoformat(),
            finished_at=datetime.now(UTC).isoformat(),
            records=self._records,
            accepted=self._records - self._quarantined,
            quarantined=self._quarantined,
            parts=self._parts,
            max_record_updated_at=_iso(self._max_updated),
            checks=[asdict(outcome) for outcome in self._checks.values()],
            attempts=self.attempts,
        )
        self._pending.publish(
            json.dumps(asdict(manifest), indent=2),
            entity_dir=self.directory,
            quarantine_entity_dir=self.quarantine_dir,
            loads_dir=self.directory / "_loads",
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
            # On failure keep what was received (its records are real) for the next try to go
            # on from, pending: no manifest, so nothing downstream reads it.
            if exc_type is not None and not self._committed:
                self.flush()
        finally:
            self._pending.release()
            _FROZEN_HEAP.exit()


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _time(raw: object) -> datetime | None:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


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
        resumable: bool = False,
    ) -> LoadWriter:
        """A writer of a new load, or with `resumable` of the entity's load from `source` that
        did not complete, gone on with (`LoadWriter.resumed`, `LoadWriter.checkpoint`).

        Incomplete loads of the entity that no other process holds are settled first: one
        whose commit was cut short is published; the newest from `source` is resumed when
        asked; any other is removed (the cursor never moved past its records, so they are
        pulled again).
        """
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
            pending=self._settle(channel, entity, source=source, resumable=resumable),
        )

    def _settle(
        self, channel: str, entity: str, *, source: str, resumable: bool
    ) -> PendingLoad | None:
        """Settle the entity's incomplete loads (see `open_load`); the one to resume, if any."""
        directory = self.entity_dir(channel, entity)
        quarantine = self.quarantine_root / channel / entity
        PendingLoad.sweep(directory)
        resumed = None
        for load_id in reversed(pending_ids(directory)):  # newest first
            pending = PendingLoad.claim(directory, quarantine, load_id)
            if pending is None:
                continue  # another process is writing it
            committed = pending.committed_manifest()
            state = pending.state()
            if committed is not None:
                pending.publish(
                    committed,
                    entity_dir=directory,
                    quarantine_entity_dir=quarantine,
                    loads_dir=directory / "_loads",
                )
            elif (
                resumable
                and resumed is None
                and state is not None
                and state.get("source") == source
                and pending.has_parts(int(state.get("parts") or 0))
            ):
                resumed = pending
            else:
                pending.remove()
        return resumed

    def pending_loads(self, channel: str, entity: str) -> list[str]:
        """Ids of the entity's loads that have not completed (being written, or failed and
        kept for the next pull to resume), oldest first (by id: their start, to the second)."""
        return pending_ids(self.entity_dir(channel, entity))

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

    def committed_parts(self, channel: str, entity: str) -> list[Path]:
        """The entity's parts whose load has its manifest: the only ones read downstream."""
        directory = self.entity_dir(channel, entity)
        done = {path.stem for path in (directory / "_loads").glob("*.json")}
        return sorted(p for p in directory.glob("*.parquet") if load_of_part(p.name) in done)

    def scan(self, channel: str, entity: str) -> pl.LazyFrame:
        """Everything completed loads landed for an entity (tests and checks; dbt reads the
        files itself, by the same rule)."""
        parts = self.committed_parts(channel, entity)
        if not parts:
            return pl.LazyFrame(schema=LANDING_SCHEMA)
        return pl.scan_parquet(parts, schema=LANDING_SCHEMA)

    def scan_quarantine(self, channel: str, entity: str) -> pl.LazyFrame:
        pattern = self.quarantine_root / channel / entity / "*.parquet"
        return pl.scan_parquet(pattern, schema=QUARANTINE_SCHEMA)
