"""Rows of a delimited text file, each numbered and checked against its header."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ichigen.ingestion.errors import FileImportError

__all__ = ["header_and_rows", "keyed_rows"]


def header_and_rows(text: str) -> tuple[list[str], Iterator[list[str]]]:
    """The first row and the rest; newline="" so quoted line breaks and CRLF read right."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    return [name.strip() for name in header], reader


def keyed_rows(text: str, path: Path, *, required: Sequence[str]) -> Iterator[dict[str, Any]]:
    """Each data row as {header: value} plus ``_row`` (1-based, header not counted).

    A row with a different number of fields than the header cannot be matched to columns:
    it is yielded as ``_fields`` with ``_malformed`` saying so, for the contract to
    quarantine. Blank lines are skipped but counted, so row numbers match the file.
    """
    header, rows = header_and_rows(text)
    missing = [name for name in required if name not in header]
    if missing:
        raise FileImportError(
            path,
            f"header {header[:20]} lacks the columns {missing}; is this the right kind of file?",
        )
    if len(set(header)) != len(header):
        raise FileImportError(path, f"header {header} names a column twice")
    for number, fields in enumerate(rows, start=1):
        if not fields or fields == [""]:
            continue
        if len(fields) != len(header):
            yield {
                "_row": number,
                "_malformed": f"{len(fields)} fields where the header has {len(header)}",
                "_fields": fields,
            }
            continue
        yield {"_row": number, "_malformed": None, **dict(zip(header, fields, strict=True))}
