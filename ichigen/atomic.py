"""Write a file so that a reader sees the old version or the new one, never half of either.

Every writer of a file that another process may read at the same time (landing parts and
manifests, import state, forecasts, the published snapshot) goes through `replacing`: it writes
beside the target under a unique hidden name and renames over the target, which POSIX makes
atomic on one file system. A failure leaves the target as it was and removes the partial file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replacing", "write_bytes_atomically", "write_text_atomically"]


@contextmanager
def replacing(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it replaces `path`, else it is removed.

    Side files a writer leaves next to the temporary one (DuckDB's ``.wal``) are removed too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
        tmp.with_name(tmp.name + ".wal").unlink(missing_ok=True)


def write_bytes_atomically(path: Path, payload: bytes) -> Path:
    with replacing(path) as tmp:
        tmp.write_bytes(payload)
    return path


def write_text_atomically(path: Path, text: str) -> Path:
    with replacing(path) as tmp:
        tmp.write_text(text, "utf-8")
    return path
