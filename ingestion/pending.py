"""Loads that have not completed: their parts kept out of every reader's sight, and how they end.

A load writes its parts under

    landing/<channel>/<entity>/_pending/<load_id>/<load_id>-<part>.parquet
    quarantine/<channel>/<entity>/_pending/<load_id>/<load_id>-<part>.parquet

beside ``state.json`` (what the parts hold and where the pull had reached, saved after each
part: see `ingestion.landing.LoadWriter`) and a lock file that the writing process holds with
``flock``, so that two processes never write, resume or clean up the same load; the kernel lets
go of the lock however the process ends (an exception, SIGKILL, a power cut). Every reader of
the landing zone (dbt's staging, `LandingZone.scan`, the ops store's targets) reads
``<entity>/*.parquet``, which does not descend into folders: nothing pending can be read.

`PendingLoad.publish` commits in an order that a crash at any step leaves finishable:

1. the manifest is written into the pending folder: from here on the load is committed;
2. each part is dated now and renamed into ``<entity>/`` (a quarantined part into the
   quarantine's entity folder);
3. the manifest is written to ``<entity>/_loads/<load_id>.json``, last;
4. the pending folders are removed.

A pending load found with its manifest (a crash between 1 and 4) is published again by the next
load of its entity to open; that dates its parts again, so they count as landed then. Staging
reads a part only once its load's manifest exists (dbt_project/macros/locations.sql), so the
moment between 2 and 3 shows nothing either.

Dating each part at its commit is what keeps incremental staging right: a build reads the parts
modified since the previous build began (dbt_project/macros/landing.sql); a part written before
a build began but committed after it is read by the next build, where its write time would have
kept it out of every later one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from ichigen.atomic import write_text_atomically

__all__ = ["PENDING", "PendingLoad", "load_of_part", "part_name", "pending_ids"]

PENDING: Final = "_pending"
_STATE: Final = "state.json"
_COMMITTED: Final = "manifest.json"
_LOCK: Final = ".lock"
_LEFTOVER_AGE_S: Final = 3600.0


def part_name(load_id: str, index: int) -> str:
    """A part's file name: the load's id and the part's number, so loads never share a file."""
    return f"{load_id}-{index:05d}.parquet"


def load_of_part(name: str) -> str:
    """The load a part's file name belongs to (`part_name` backwards)."""
    return name.rsplit("-", 1)[0]


def _part_index(path: Path, load_id: str) -> int | None:
    found = re.fullmatch(rf"{re.escape(load_id)}-(\d+)\.parquet", path.name)
    return int(found.group(1)) if found else None


def pending_ids(entity_dir: Path) -> list[str]:
    """The loads of an entity that have not completed (or are being written), oldest first
    (by id: their start, to the second).

    A folder whose name starts with a dot is one being made or removed, not a load.
    """
    root = entity_dir / PENDING
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _lock(path: Path) -> int | None:
    """An exclusive lock on `path` (created if missing), or None if another holder has it."""
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:  # its folder went away: removed by whoever held it
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class PendingLoad:
    """One load's pending folders, locked by this process while it holds the object."""

    def __init__(self, directory: Path, quarantine_dir: Path, load_id: str, lock: int) -> None:
        self.directory = directory
        self.quarantine_dir = quarantine_dir
        self.load_id = load_id
        self._lock: int | None = lock

    @classmethod
    def create(cls, entity_dir: Path, quarantine_entity_dir: Path, load_id: str) -> PendingLoad:
        """A new load's folder, made under a hidden name and renamed once locked, so that no
        other process ever sees it unlocked (and takes it for a crashed load to clean up)."""
        root = entity_dir / PENDING
        root.mkdir(parents=True, exist_ok=True)
        making = root / f".{load_id}.{uuid.uuid4().hex[:8]}.new"
        making.mkdir()
        lock = _lock(making / _LOCK)
        if lock is None:  # a folder of our own making: nobody else can hold it
            raise RuntimeError(f"could not lock the new load folder {making}")
        making.rename(root / load_id)
        return cls(root / load_id, quarantine_entity_dir / PENDING / load_id, load_id, lock)

    @classmethod
    def claim(
        cls, entity_dir: Path, quarantine_entity_dir: Path, load_id: str
    ) -> PendingLoad | None:
        """Take a pending load over, or None while another process holds it (or it is gone)."""
        directory = entity_dir / PENDING / load_id
        lock = _lock(directory / _LOCK)
        if lock is None:
            return None
        if not directory.is_dir():  # removed between our look and our lock
            os.close(lock)
            return None
        return cls(directory, quarantine_entity_dir / PENDING / load_id, load_id, lock)

    @staticmethod
    def sweep(entity_dir: Path) -> None:
        """Remove folders left half made or half removed by a process that died meanwhile.

        Only those older than `_LEFTOVER_AGE_S`: one just made may not be locked yet.
        """
        root = entity_dir / PENDING
        if not root.is_dir():
            return
        for leftover in root.iterdir():
            if not leftover.name.startswith(".") or not leftover.is_dir():
                continue
            with contextlib.suppress(FileNotFoundError):
                if time.time() - leftover.stat().st_mtime < _LEFTOVER_AGE_S:
                    continue
                lock = _lock(leftover / _LOCK)
                if lock is not None:
                    shutil.rmtree(leftover, ignore_errors=True)
                    os.close(lock)

    # --- what the load holds ---------------------------------------------------------------

    def part(self, index: int) -> Path:
        return self.directory / part_name(self.load_id, index)

    def quarantine_part(self, index: int) -> Path:
        return self.quarantine_dir / part_name(self.load_id, index)

    def parts(self) -> Iterator[Path]:
        """Every part written so far, landed and quarantined."""
        for folder in (self.directory, self.quarantine_dir):
            if folder.is_dir():
                yield from sorted(folder.glob("*.parquet"))

    def drop_parts_from(self, index: int) -> None:
        """Delete parts numbered `index` or later: written by a process that died before its
        state said so, they would be landed again by the pull that goes on from that state."""
        for path in list(self.parts()):
            number = _part_index(path, self.load_id)
            if number is None or number >= index:
                path.unlink(missing_ok=True)

    def has_parts(self, count: int) -> bool:
        """Whether the first `count` landing parts are all there."""
        return all(self.part(i).is_file() for i in range(count))

    def state(self) -> dict[str, Any] | None:
        try:
            state = json.loads((self.directory / _STATE).read_text("utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return state if isinstance(state, dict) else None

    def save_state(self, state: dict[str, Any]) -> None:
        write_text_atomically(self.directory / _STATE, json.dumps(state, indent=2))

    def committed_manifest(self) -> str | None:
        """The manifest written at step 1 of `publish`, if the load got that far."""
        try:
            return (self.directory / _COMMITTED).read_text("utf-8")
        except FileNotFoundError:
            return None

    # --- how it ends -----------------------------------------------------------------------

    def publish(
        self, manifest: str, *, entity_dir: Path, quarantine_entity_dir: Path, loads_dir: Path
    ) -> None:
        """Commit: the steps of the module's docstring, each safe to repeat after a crash."""
        write_text_atomically(self.directory / _COMMITTED, manifest)
        moves = ((self.quarantine_dir, quarantine_entity_dir), (self.directory, entity_dir))
        for source, target in moves:
            if not source.is_dir():
                continue
            for part in sorted(source.glob("*.parquet")):
                target.mkdir(parents=True, exist_ok=True)
                os.utime(part)  # landed now, for incremental staging (see the docstring)
                part.replace(target / part.name)
        # Parts moved by an earlier try at this commit are dated again too: no build can have
        # read them yet (their manifest is written only below).
        for number in range(int(json.loads(manifest).get("parts") or 0)):
            with contextlib.suppress(FileNotFoundError):
                os.utime(entity_dir / part_name(self.load_id, number))
        write_text_atomically(loads_dir / f"{self.load_id}.json", manifest)
        self.remove()

    def remove(self) -> None:
        """Delete the pending folders (a load given up, or one published) and let go of it."""
        gone = self.directory.with_name(f".{self.load_id}.{uuid.uuid4().hex[:8]}.gone")
        with contextlib.suppress(FileNotFoundError):
            self.directory.rename(gone)  # out of sight first: a crash midway leaves no load
        shutil.rmtree(gone, ignore_errors=True)
        shutil.rmtree(self.quarantine_dir, ignore_errors=True)
        self.release()

    def release(self) -> None:
        """Let go of the load (kept for a later try to go on with)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __del__(self) -> None:  # a writer dropped without commit or `with` still lets go
        self.release()
