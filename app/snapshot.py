"""Where the published snapshot lives and which version of it is current (no Streamlit here).

A build writes a new snapshot beside ``serving/current.duckdb`` and renames it over the old one
(DESIGN.md decision 5). The file's inode and modification time identify a version: when they
change, the app opens the new file, so it shows the newest snapshot without restarting, while a
reader still holding the old file keeps reading it undisturbed.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from ichigen.paths import DataPaths

__all__ = ["Snapshot", "current_snapshot", "data_dir", "snapshot_path"]


class Snapshot(NamedTuple):
    """One published version of the snapshot: its path and what tells it apart from the next."""

    path: str
    inode: int
    mtime_ns: int
    size: int


def data_dir() -> Path:
    """$ICHIGEN_DATA_DIR (default ./data), like the rest of ichigen."""
    from ichigen.settings import load_settings

    return load_settings().data_dir


def snapshot_path(root: Path | None = None) -> Path:
    """The published snapshot under `root` (the configured data directory by default)."""
    return DataPaths(root or data_dir()).snapshot


def current_snapshot(root: Path | None = None) -> Snapshot | None:
    """The snapshot as it is now, or None before the first build published one."""
    path = snapshot_path(root)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    return Snapshot(str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
