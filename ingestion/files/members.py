"""The stores' member master (会員マスタ): who holds each member card the tills record.

The membership system exports its master as CSV in the POS members drop folder: a full export
(``members_<YYYYMMDD>_full.csv``) and one file per day with that day's registrations and
changes (``members_<YYYYMMDD>.csv``), with the columns `MEMBER_COLUMNS`; the encoding is
detected (see `decoding`). Rows land as text plus ``_row``, keyed by member number: staging
keeps each member's newest row. The contract quarantines, each with its reason, rows without a
member number, whose phone or postcode does not parse as a Japanese one, whose registration
date does not parse, and rows with the wrong number of fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import polars as pl

from ichigen.ingestion.files.csvrows import keyed_rows
from ichigen.ingestion.files.decoding import decode_text
from ichigen.ingestion.files.folder import DroppedFile, ImportResult, import_folder
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = [
    "MEMBER_COLUMNS",
    "import_members",
    "member_key",
    "members_contract",
    "read_members",
]

MEMBER_COLUMNS: Final = (
    "会員番号",
    "姓",
    "名",
    "セイ",
    "メイ",
    "電話番号",
    "メールアドレス",
    "郵便番号",
    "都道府県",
    "市区町村",
    "住所",
    "入会日",
    "DM許可",
)
_REQUIRED: Final = ("会員番号", "姓", "名", "電話番号", "郵便番号", "入会日")
_JST: Final = timezone(timedelta(hours=9))
# A Japanese number as people write it once width and punctuation are set aside: 0 and 9-10
# more digits, or +81 and 9-10 digits.
_PHONE: Final = r"^(?:0\d{9,10}|\+81\d{9,10})$"
_POSTAL: Final = r"^\d{7}$"


def read_members(file: DroppedFile) -> Iterator[dict[str, Any]]:
    """The rows of one member export (UndecodableFileError if it is in no known encoding)."""
    text = decode_text(file.data, file.path).text
    return keyed_rows(text, file.path, required=_REQUIRED)


def member_key(row: Mapping[str, Any]) -> str:
    """The member number (a malformed row: file and row)."""
    number = str(row.get("会員番号") or "").strip()
    if row.get("_malformed") is None and number:
        return number
    return f"{row.get('_file')}#{row.get('_row')}"


def registered_at(row: Mapping[str, Any]) -> datetime | None:
    try:
        day = datetime.strptime(str(row.get("入会日")), "%Y/%m/%d")
    except ValueError:
        return None  # the contract quarantines the row
    return day.replace(tzinfo=_JST).astimezone(UTC)


def _digits(value: Any) -> str | None:
    """`value` with full-width digits folded and separators dropped, for the format checks."""
    if value is None or not str(value).strip():
        return None
    folded = unicodedata.normalize("NFKC", str(value))
    return "".join(c for c in folded if c.isdigit() or c == "+")


def _member_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    rows = []
    for index, record in enumerate(records):
        malformed = record.get("_malformed")
        ok = malformed is None
        rows.append(
            {
                "_row": index,
                "malformed": malformed,
                "member_number": (str(record.get("会員番号") or "").strip() or None)
                if ok
                else None,
                "phone": _digits(record.get("電話番号")) if ok else None,
                "postal_code": _digits(record.get("郵便番号")) if ok else None,
                "registered_on": (record.get("入会日") or None) if ok else None,
            }
        )
    schema = {
        "_row": pl.Int64,
        "malformed": pl.String,
        "member_number": pl.String,
        "phone": pl.String,
        "postal_code": pl.String,
        "registered_on": pl.String,
    }
    return pl.DataFrame(rows, schema=schema)


def members_contract() -> Contract:
    """A member row has a number, a Japanese phone and postcode, and a registration date."""
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    return Contract(
        name="pos.members",
        extract=_member_rows,
        expectations=[
            expect.ExpectColumnValuesToBeNull(column="malformed"),
            expect.ExpectColumnValuesToNotBeNull(column="member_number"),
            # a member may leave the phone or postcode out; what is given must parse
            expect.ExpectColumnValuesToMatchRegex(column="phone", regex=_PHONE),
            expect.ExpectColumnValuesToMatchRegex(column="postal_code", regex=_POSTAL),
            expect.ExpectColumnValuesToMatchRegex(
                column="registered_on", regex=r"^\d{4}/\d{2}/\d{2}$"
            ),
            expect.ExpectColumnValuesToNotBeNull(column="registered_on"),
        ],
    )


def import_members(
    drop_dir: Path, zone: LandingZone, *, validator: BatchValidator | None = None
) -> ImportResult:
    """Land every new or corrected member export (``$ICHIGEN_POS_MEMBERS_DROP_DIR``)."""
    return import_folder(
        drop_dir,
        zone,
        channel="pos",
        entity="members",
        suffixes=[".csv"],
        read=read_members,
        key=member_key,
        updated_at=registered_at,
        validator=validator or BatchValidator(members_contract()),
    )
