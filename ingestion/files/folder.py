"""Importing a drop folder: each new or corrected file once, all of a run as one load.

`import_folder` is what every file importer shares. It lists the folder (skipping the dot-
and ``.tmp``-named files that writers use while a file is on its way, and Excel's ``~$``
lock files), leaves out files whose path and content hash were imported before, reads the
rest with the importer's `FileReader` and lands their rows as one load, each row carrying the
file it came from:

    _file          path relative to the drop folder, e.g. ST-SHIBUYA/ST-SHIBUYA_20261031.csv
    _file_version  1, 2, ... per corrected file: staging keeps each file's newest version only
    _file_sha256   the content hash that was imported

A file that cannot be imported as a whole (undecodable, cut short inside a character, a
mapping that does not fit) lands nothing and is reported in `ImportResult.errors`: one broken
file does not hold back a folder. It is recorded as a failure (`ingestion.failures`, once per
content hash) and its bytes are not read again: the next runs list it in
`ImportResult.still_failing` until a corrected file (other bytes) replaces it, or the way it is
read changes (`reader`, e.g. the wholesale mappings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ichigen.ingestion.errors import FileImportError
from ichigen.ingestion.failures import (
    FailureRecord,
    classify,
    file_failure_id,
    record_failure,
    recorded_failure,
)
from ichigen.ingestion.files.state import ImportedFile, ImportState
from ichigen.ingestion.landing import PART_ROWS, LandingZone, LoadManifest
from ichigen.ingestion.validation import BatchValidator

__all__ = [
    "DroppedFile",
    "FileReader",
    "ImportResult",
    "dropped_files",
    "import_folder",
    "state_path",
]


@dataclass(frozen=True)
class DroppedFile:
    path: Path
    name: str  # relative to the drop folder, with "/" separators
    data: bytes
    sha256: str
    version: int


FileReader = Callable[[DroppedFile], Iterable[dict[str, Any]]]
Key = Callable[[Mapping[str, Any]], str]
UpdatedAt = Callable[[Mapping[str, Any]], datetime | None]


@dataclass
class ImportResult:
    manifest: LoadManifest | None  # None: nothing new to import
    imported: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # imported before with this content
    errors: list[FileImportError] = field(default_factory=list)
    # this run's whole-file failures, as recorded, in `errors`' order
    failed: list[FailureRecord] = field(default_factory=list)
    # files whose bytes failed in an earlier run and were left alone in this one
    still_failing: list[FailureRecord] = field(default_factory=list)

    def raise_for_errors(self) -> None:
        """Raise the first file's error (the others are in `errors`)."""
        if self.errors:
            raise self.errors[0]


def _is_in_progress(path: Path) -> bool:
    return path.name.startswith((".", "~$")) or path.name.endswith(".tmp")


def dropped_files(drop_dir: Path, *, suffixes: Iterable[str]) -> list[Path]:
    """Complete files with one of `suffixes` under `drop_dir`, in path order."""
    if not drop_dir.exists():
        return []
    wanted = {suffix.lower() for suffix in suffixes}
    return sorted(
        path
        for path in drop_dir.rglob("*")
        if path.is_file()
        and path.suffix.lower() in wanted
        and not _is_in_progress(path)
        and not any(part.startswith(".") for part in path.relative_to(drop_dir).parts)
    )


def state_path(zone: LandingZone, channel: str, entity: str) -> Path:
    return zone.entity_dir(channel, entity) / "_imports.json"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def import_folder(
    drop_dir: Path,
    zone: LandingZone,
    *,
    channel: str,
    entity: str,
    suffixes: Iterable[str],
    read: FileReader,
    key: Key,
    updated_at: UpdatedAt | None = None,
    validator: BatchValidator | None = None,
    part_rows: int = PART_ROWS,
    reader: str = "",
) -> ImportResult:
    """Land the rows of every new or corrected file in `drop_dir` as one validated load.

    `reader` fingerprints whatever besides a file's bytes decides whether it can be read (the
    wholesale mappings): bytes that failed are tried again only once it changes.
    """
    state = ImportState(state_path(zone, channel, entity))
    result = ImportResult(manifest=None)
    pending: list[tuple[Path, str]] = []
    for path in dropped_files(drop_dir, suffixes=suffixes):
        name = path.relative_to(drop_dir).as_posix()
        sha256 = _sha256(path.read_bytes())
        if state.is_imported(name, sha256):
            result.unchanged.append(name)
        elif failed := recorded_failure(
            zone, channel, entity, file_failure_id(sha256, reader=reader)
        ):
            result.still_failing.append(failed)
        else:
            pending.append((path, name))
    if not pending:
        return result
    landed: list[tuple[DroppedFile, int]] = []
    with zone.open_load(
        channel,
        entity,
        source=drop_dir.as_posix(),
        validator=validator,
        part_rows=part_rows,
        cursor_end=datetime.now(UTC),
    ) as load:
        for path, name in pending:
            data = path.read_bytes()  # read again: what lands is what is hashed
            dropped = DroppedFile(
                path=path,
                name=name,
                data=data,
                sha256=_sha256(data),
                version=state.next_version(name),
            )
            try:
                # A whole file is read before any row lands, so a file that fails half-way
                # lands nothing and is simply tried again.
                rows = list(read(dropped))
            except FileImportError as exc:
                result.errors.append(exc)
                classified = classify(exc, channel=channel)
                result.failed.append(
                    record_failure(
                        zone,
                        channel=channel,
                        entity=entity,
                        kind="file",
                        source=name,
                        error_class=classified.error_class,
                        cause=f"{name}: {exc.reason}",
                        fix=exc.fix,
                        content_sha256=dropped.sha256,
                        failure_id=file_failure_id(dropped.sha256, reader=reader),
                    )
                )
                continue
            meta = {
                "_file": name,
                "_file_version": dropped.version,
                "_file_sha256": dropped.sha256,
            }
            load.add(({**meta, **row} for row in rows), key=key, updated_at=updated_at)
            landed.append((dropped, len(rows)))
        result.manifest = load.commit()
    now = datetime.now(UTC).isoformat()
    for dropped, count in landed:
        state.record(
            dropped.name,
            ImportedFile(
                sha256=dropped.sha256,
                version=dropped.version,
                load_id=result.manifest.load_id,
                imported_at=now,
                rows=count,
            ),
        )
        result.imported.append(dropped.name)
    state.save()
    return result
