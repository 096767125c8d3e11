"""Which encoding a dropped text file is in: UTF-8 (with or without BOM) or CP932.

Japanese till and office software writes either UTF-8 (cloud systems; Excel's "CSV UTF-8"
adds a BOM) or Shift_JIS as Windows extends it (CP932, which also holds the NEC and IBM
characters plain Shift_JIS lacks). The two are told apart without guessing: Japanese text in
CP932 is practically never valid UTF-8, so strict UTF-8 is tried first and CP932 second. A file
that is neither is refused as a whole rather than read with replacement characters.

Not a detection library (chardet, charset-normalizer): they guess from byte statistics among
dozens of encodings, and on the short, mostly-ASCII files a till exports (digits, SKUs and a few
product names) they pick a wrong but decodable one (Latin-1, Big5, EUC-KR), which would land
mojibake instead of refusing the file. Two candidates tried strictly never guess.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ichigen.ingestion.errors import UndecodableFileError

__all__ = ["ACCEPTED_ENCODINGS", "Decoded", "decode_text"]

ACCEPTED_ENCODINGS: Final = ("utf-8-sig", "utf-8", "cp932")
# Names users write in mappings, as Python's codecs (Shift_JIS files are CP932 in practice).
_ALIASES: Final = {
    "shiftjis": "cp932",
    "sjis": "cp932",
    "cp932": "cp932",
    "windows31j": "cp932",
    "utf8": "utf-8",
    "utf8sig": "utf-8-sig",
}


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8-sig" (had a BOM), "utf-8" or "cp932"


def _codec(name: str) -> str:
    return _ALIASES.get(name.lower().replace("-", "").replace("_", ""), name)


def decode_text(data: bytes, path: Path, *, encoding: str = "auto") -> Decoded:
    """`data` (read from `path`) as text, in `encoding` or else the one detected.

    Raises UndecodableFileError naming the file when the bytes fit no accepted encoding (or
    not the one given).
    """
    if encoding != "auto":
        codec = _codec(encoding)
        try:
            return Decoded(data.decode(codec), codec)
        except (UnicodeDecodeError, LookupError) as exc:
            raise UndecodableFileError(
                path,
                f"is not {encoding} as its mapping says ({exc})",
                fix="correct the mapping's encoding, or export the file in it",
            ) from None
    if data.startswith(codecs.BOM_UTF8):
        try:
            return Decoded(data[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UndecodableFileError(
                path,
                f"starts with a UTF-8 BOM but is not UTF-8 ({exc})",
                fix="export it again, in UTF-8 or Shift_JIS (CP932)",
            ) from None
    for codec in ("utf-8", "cp932"):
        try:
            return Decoded(data.decode(codec), codec)
        except UnicodeDecodeError:
            continue
    raise UndecodableFileError(
        path,
        "is neither UTF-8 nor Shift_JIS (CP932), or is cut short inside a character",
        fix="export it again, in UTF-8 or Shift_JIS (CP932)",
    )
