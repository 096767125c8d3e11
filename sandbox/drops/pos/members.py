"""The stores' member master (会員マスタ): who holds the member cards the tills record.

The till export (`sandbox.drops.pos.sales`) carries only the member card number (会員番号). The
membership system behind it exports its master each night, as Japanese POS membership systems
do, in the Windows encoding of the back office: CP932, CRLF, every field quoted. Two kinds of
file, both under ``pos_members/`` in the drops folder:

    members_<YYYYMMDD>_full.csv   every member registered by the close of that JST day: written
                                  for the day before a window's first day, so an importer that
                                  starts with this window knows the members who joined before it
    members_<YYYYMMDD>.csv        the members who registered on that JST day (差分), one file per
                                  business day of the window, header-only on a day nobody joined

Members are the world's ``pos`` identities, registered (入会日) at their ``created_at``. A day's
file holds the registrations before the window's end; if the end falls inside a day, the next
window rewrites that day's file in full, so the files do not depend on how time was cut into
windows. The member form asks for the name in kanji and its reading (フリガナ), phone, postcode
and address; e-mail is optional (a paper form), and so is agreeing to direct mail (DM).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

import polars as pl

from ichigen.sandbox.drops.files import encode_text, write_atomic
from ichigen.sandbox.drops.jst import as_utc, business_days, first_day_start, jst

__all__ = ["MEMBER_COLUMNS", "MembersDrop", "members_path", "write_members"]

MEMBER_COLUMNS: Final = (
    "会員番号",  # the card number the tills record (leading zeros kept)
    "姓",
    "名",
    "セイ",  # katakana reading of the family name
    "メイ",
    "電話番号",  # as the member wrote it on the form
    "メールアドレス",  # empty when not given
    "郵便番号",
    "都道府県",
    "市区町村",
    "住所",  # street, block and building
    "入会日",  # JST date, 2026/10/31
    "DM許可",  # 1: agrees to direct mail, 0: does not
)
_ENCODING: Final = "cp932"
_FOLDER: Final = "pos_members"


@dataclass(frozen=True)
class MembersDrop:
    files: tuple[Path, ...]  # relative to the drops folder
    rows: int


def members_path(day: date, *, full: bool = False) -> Path:
    """Where the member export of a JST day lives, relative to the drops folder."""
    return Path(_FOLDER, f"members_{day:%Y%m%d}{'_full' if full else ''}.csv")


def _member_rows(identities: pl.DataFrame) -> pl.DataFrame:
    return (
        identities.filter(pl.col("channel") == "pos")
        .with_columns(jst("created_at").dt.date().alias("_day"))
        .sort("created_at", "channel_customer_id")
        .select(
            pl.col("channel_customer_id").alias("会員番号"),
            pl.col("family_name").alias("姓"),
            pl.col("given_name").alias("名"),
            pl.col("family_name_kana").alias("セイ"),
            pl.col("given_name_kana").alias("メイ"),
            pl.col("phone").alias("電話番号"),
            pl.col("email").alias("メールアドレス"),
            pl.col("postal_code").alias("郵便番号"),
            pl.col("prefecture").alias("都道府県"),
            pl.col("city").alias("市区町村"),
            pl.col("address1").alias("住所"),
            pl.col("_day").dt.strftime("%Y/%m/%d").alias("入会日"),
            pl.when(pl.col("accepts_marketing"))
            .then(pl.lit("1"))
            .otherwise(pl.lit("0"))
            .alias("DM許可"),
            "created_at",
            "_day",
        )
    )


def write_members(
    tables: Mapping[str, pl.DataFrame], out_dir: Path, *, start: datetime, end: datetime
) -> MembersDrop:
    """Write the full master before the window and each business day's registrations."""
    until = as_utc(end)
    members = _member_rows(tables["identities"]).filter(pl.col("created_at") < until)
    days = business_days(start, end)
    before = first_day_start(start)
    parts: list[tuple[Path, pl.DataFrame]] = [
        (
            members_path(days[0] - timedelta(days=1), full=True),
            members.filter(pl.col("created_at") < before),
        )
    ]
    by_day = members.partition_by("_day", as_dict=True)
    header = members.clear()
    parts += [(members_path(day), by_day.get((day,), header)) for day in days]
    files: list[Path] = []
    rows = 0
    for path, part in parts:
        text = part.select(MEMBER_COLUMNS).write_csv(line_terminator="\r\n", quote_style="always")
        write_atomic(out_dir / path, encode_text(text, _ENCODING))
        files.append(path)
        rows += part.height
    return MembersDrop(files=tuple(files), rows=rows)
