"""A dropped order sheet as rows of cells, whether CSV (in any accepted encoding) or XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from ichigen.ingestion.errors import FileImportError, MappingError
from ichigen.ingestion.files.decoding import decode_text
from ichigen.ingestion.files.folder import DroppedFile

__all__ = ["SheetReader", "Table", "file_format"]


@dataclass(frozen=True)
class Table:
    rows: list[list[Any]]  # rows[0] is row 1 (line 1 of a CSV); cells as read
    sheet: str | None  # the XLSX sheet it came from


def file_format(file: DroppedFile) -> str:
    return "xlsx" if file.path.suffix.lower() in (".xlsx", ".xlsm") else "csv"


class SheetReader:
    """Reads one file's tables, parsing the file once however many mappings look at it."""

    def __init__(self, file: DroppedFile) -> None:
        self.file = file
        self.format = file_format(file)
        self._workbook: Workbook | None = None
        self._csv: dict[str, Table] = {}

    def table(self, *, encoding: str = "auto", sheet: str | None = None) -> Table:
        if self.format == "xlsx":
            return self._sheet(sheet)
        if encoding not in self._csv:
            text = decode_text(self.file.data, self.file.path, encoding=encoding).text
            rows = list(csv.reader(io.StringIO(text, newline="")))
            self._csv[encoding] = Table(rows=[list(row) for row in rows], sheet=None)
        return self._csv[encoding]

    def _sheet(self, name: str | None) -> Table:
        if self._workbook is None:
            try:
                # Not read-only: blank rows above a table must keep their row numbers.
                self._workbook = load_workbook(io.BytesIO(self.file.data), data_only=True)
            except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
                raise FileImportError(
                    self.file.path, f"is not a readable XLSX file ({exc})"
                ) from None
        workbook = self._workbook
        if name is None:
            worksheet = workbook.worksheets[0]
        elif name in workbook.sheetnames:
            worksheet = workbook[name]
        else:
            raise MappingError(
                self.file.path, f"has no sheet {name!r}; its sheets are {workbook.sheetnames}"
            )
        rows = [list(row) for row in worksheet.iter_rows(values_only=True)]
        return Table(rows=rows, sheet=worksheet.title)
