"""Which dropped files have been imported: a small JSON file per drop folder.

Kept in the landing zone beside the loads it describes (never in the drop folder, which
belongs to whoever drops files there). A file is identified by its path relative to its drop
folder and its content hash:

- the same path with the same hash was imported already: nothing to do;
- the same path with another hash is a corrected file: it is imported as the next version,
  and staging keeps only the rows of each file's newest version.

The state is written after the load's manifest, so a crash in between imports the file again
with the same version: its rows repeat, and staging deduplicates them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ichigen.atomic import write_text_atomically

__all__ = ["ImportState", "ImportedFile"]


@dataclass(frozen=True)
class ImportedFile:
    sha256: str
    version: int  # 1 for the first import of a path, then 2, 3, ... per corrected file
    load_id: str
    imported_at: str
    rows: int


class ImportState:
    """The imported files of one drop folder, read from and saved to `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._files: dict[str, ImportedFile] = {}
        if path.exists():
            raw = json.loads(path.read_text("utf-8"))
            self._files = {name: ImportedFile(**entry) for name, entry in raw["files"].items()}

    def get(self, name: str) -> ImportedFile | None:
        return self._files.get(name)

    def is_imported(self, name: str, sha256: str) -> bool:
        seen = self._files.get(name)
        return seen is not None and seen.sha256 == sha256

    def next_version(self, name: str) -> int:
        seen = self._files.get(name)
        return 1 if seen is None else seen.version + 1

    def record(self, name: str, entry: ImportedFile) -> None:
        self._files[name] = entry

    def __len__(self) -> int:
        return len(self._files)

    def save(self) -> None:
        """Write beside the target, then rename: a crash never leaves half a state file."""
        payload = {"files": {name: asdict(entry) for name, entry in sorted(self._files.items())}}
        write_text_atomically(self.path, json.dumps(payload, ensure_ascii=False, indent=1))
