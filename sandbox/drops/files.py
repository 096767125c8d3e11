"""Atomic file writes for the drop folders, which importers watch while the sandbox writes.

A reader must never see half a file, so every file is written under a temporary name in its
own folder (same file system, so the rename is atomic) and renamed over its final name. The
temporary names start with a dot and end in ``.tmp``: importers skip such names.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Final

__all__ = ["TEMP_SUFFIX", "encode_text", "safe_segment", "write_atomic"]

TEMP_SUFFIX: Final = ".tmp"

# Characters that Unicode text often holds but CP932 spells with another code point; a
# Shift_JIS system stores the CP932 one, so that is what its export shows.
_CP932_SPELLING: Final = str.maketrans(
    {
        "\u301c": "\uff5e",  # WAVE DASH -> FULLWIDTH TILDE
        "\u2016": "\u2225",  # DOUBLE VERTICAL LINE -> PARALLEL TO
        "\u2212": "\uff0d",  # MINUS SIGN -> FULLWIDTH HYPHEN-MINUS
        "\u00a2": "\uffe0",  # CENT SIGN -> FULLWIDTH CENT SIGN
        "\u00a3": "\uffe1",  # POUND SIGN -> FULLWIDTH POUND SIGN
        "\u00ac": "\uffe2",  # NOT SIGN -> FULLWIDTH NOT SIGN
        "\u2014": "\u2015",  # EM DASH -> HORIZONTAL BAR
    }
)


def encode_text(text: str, encoding: str) -> bytes:
    """`text` as a system writing `encoding` would store it ("utf-8-sig" adds a BOM)."""
    if encoding.replace("_", "").replace("-", "").lower() in ("cp932", "shiftjis", "sjis"):
        # What Shift_JIS cannot hold at all, such a system shows as "?", and so do we.
        return text.translate(_CP932_SPELLING).encode(encoding, errors="replace")
    return text.encode(encoding)


def safe_segment(name: str, *, what: str) -> str:
    """`name` if it is usable as one path segment; the ids come from generated data."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"{what} {name!r} cannot be used as a file or folder name")
    return name


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` so that readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        # No fsync: these are regenerable sandbox files, and syncing thousands of small files
        # would dominate the run time; the rename alone keeps readers from seeing partial files.
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
