"""XLSX files that are the same bytes every time they are written from the same rows.

An XLSX file is a zip: openpyxl stamps each entry with the current time and the workbook's
properties with the time of creation. Here the properties take a time given by the caller (a
time from the data) and the zip is rewritten with entries in name order, each with the zip
format's earliest date, so the output depends on the rows alone.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from datetime import date, datetime
from typing import Final

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

from ichigen.sandbox.drops.jst import as_utc

__all__ = ["ZIP_DATE_TIME", "xlsx_bytes"]

ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)
_DATE_FORMAT: Final = "yyyy/mm/dd"


def xlsx_bytes(
    rows: Sequence[Sequence[object]], *, sheet_name: str, stamped: datetime, creator: str
) -> bytes:
    """One sheet holding `rows` (an empty row stays blank); `stamped` is its created/modified."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = sheet_name
    for row in rows:
        sheet.append(list(row))
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = _DATE_FORMAT
    properties = workbook.properties
    # openpyxl writes these as UTC without an offset, so they are given as naive UTC.
    naive = as_utc(stamped).replace(microsecond=0, tzinfo=None)
    properties.created = properties.modified = naive
    properties.creator = creator
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # Not openpyxl's save_workbook: that stamps `modified` with the current time.
        ExcelWriter(workbook, archive).write_data()
    return _normalised_zip(raw.getvalue())


def _normalised_zip(data: bytes) -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        # "[Content_Types].xml" sorts first, where readers that sniff the format look for it.
        for name in sorted(source.namelist()):
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine writes it
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(name))
    return out.getvalue()
