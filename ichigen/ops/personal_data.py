"""What counts as personal data, how it is masked, and the masks' SQL twins for publishing.

The published snapshot (``serving/current.duckdb``) is read by every session of the app, so it
holds personal data masked; the clear values go to a restricted file beside it that the app opens
only for a role with ``see_personal_data`` (`ichigen.ops.roles`). Publishing masks with the SQL
twins below (`masking_macros`), since the Python functions would run once per row of millions;
the app's own masking (`ichigen.app.roles.mask_personal`) uses the Python functions, and a test
holds the twins equal, so a viewer sees the same mask whichever masked the value. The e-mail,
phone and text masks leave a masked value as it is, so masking twice shows the same.

A column's kind comes from its name (`column_kind`):

- ``email``: ``taro.yamada@example.jp`` -> ``t***@e***.jp``
- ``phone``: ``+819012345678`` -> ``***-****-5678`` (the last four digits tell two apart)
- ``text`` (names, addresses, postcodes): ``山田 花子`` -> ``山***``
- ``identifier``: a channel's id for a person, kept unless it is an e-mail address (Amazon's
  and Rakuten's buyer addresses are); then ``amazon:ab12@marketplace.amazon.co.jp`` ->
  ``amazon:a***@m***.jp#<token>``, the token being HMAC-SHA256 of the clear address under a
  key kept with the clear values. Equal identifiers get equal tokens, so the snapshot still
  joins orders to customers and counts distinct buyers, and nobody without the key can test a
  guessed address against it.
- ``record``: a record as received (JSON), with its personal fields masked by their names and
  e-mail addresses masked wherever they appear (`redact_record`).
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any, Final

__all__ = [
    "PERSONAL_COLUMNS",
    "Kind",
    "column_kind",
    "mask_email",
    "mask_phone",
    "mask_text",
    "masked_sql",
    "masking_macros",
    "may_change_sql",
    "redact_record",
]

# Columns that identify a person. Anything else (order ids, SKUs, location names) is not.
PERSONAL_COLUMNS: Final = re.compile(
    r"(^|_)(e_?mail|phone|tel|telephone|address|address\d|street|postcode|postal_code|zip"
    r"|full_name|first_name|last_name|customer_name|name_kana|buyer_name|recipient)(_|$)"
)
# A channel's id for a person, and the identity keys made of it (`<channel>:<id>`).
_IDENTIFIER_COLUMNS: Final = re.compile(r"(^|_)(identity_key|channel_customer_id)$")
_RECORD_COLUMNS: Final = frozenset({"raw"})


class Kind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    TEXT = "text"
    IDENTIFIER = "identifier"
    RECORD = "record"


def column_kind(name: str) -> Kind | None:
    """The kind of personal data a column of this name holds, or None when it holds none."""
    lower = name.lower()
    if _IDENTIFIER_COLUMNS.search(lower):
        return Kind.IDENTIFIER
    if lower in _RECORD_COLUMNS:
        return Kind.RECORD
    if not PERSONAL_COLUMNS.search(lower):
        return None
    if "mail" in lower:
        return Kind.EMAIL
    if "phone" in lower or "tel" in lower:
        return Kind.PHONE
    return Kind.TEXT


def mask_email(value: str | None) -> str | None:
    """taro.yamada@example.jp -> t***@e***.jp"""
    if not value:
        return value
    local, _, domain = value.partition("@")
    host, _, tld = domain.rpartition(".")
    # a first letter that is the mask's own "*" is dropped, so that masking again changes nothing
    masked_domain = f"{host[:1].strip('*')}***.{tld}" if host else "***"
    return f"{local[:1].strip('*')}***@{masked_domain}" if domain else "***"


# Full-width digits (as people type phone numbers in Japan) count as digits.
_FULL_WIDTH_DIGITS: Final = str.maketrans("０１２３４５６７８９", "0123456789")


def mask_phone(value: str | None) -> str | None:
    """090-1234-5678 -> ***-****-5678: the last four digits, enough to tell two apart."""
    if not value:
        return value
    digits = re.sub(r"[^0-9]", "", value.translate(_FULL_WIDTH_DIGITS))
    return f"***-****-{digits[-4:]}" if len(digits) >= 4 else "***"


def mask_text(value: str | None) -> str | None:
    """山田 花子 -> 山***: names, addresses and anything else personal."""
    return value if not value else f"{value[:1]}***"


_MASKS: Final = {Kind.EMAIL: mask_email, Kind.PHONE: mask_phone, Kind.TEXT: mask_text}


def masking_macros(key: bytes) -> list[str]:
    """DuckDB temporary macros ``pii_<kind>(value)`` for the kinds above (`record` excepted:
    publishing runs `redact_record` on the few quarantined records), with ``pii_identifier``'s
    tokens keyed by `key`. Temporary: they live in the publishing connection, never in a file.
    """
    # HMAC-SHA256 (RFC 2104) spelled in SQL: DuckDB has sha256 but no hmac
    block = key.ljust(64, b"\0") if len(key) <= 64 else key
    inner = bytes(b ^ 0x36 for b in block).hex()
    outer = bytes(b ^ 0x5C for b in block).hex()
    domain = "substr(v, strpos(v, '@') + 1)"
    host = f"regexp_extract({domain}, '^(.*)[.]', 1, 's')"
    local = "replace(left(split_part(v, '@', 1), 1), '*', '')"
    return [
        f"""create or replace temp macro pii_email(v) as case
            when v is null or v = '' then v
            when strpos(v, '@') in (0, length(v)) then '***'
            when {host} = '' then {local} || '***@***'
            else {local} || '***@' || replace(left({host}, 1), '*', '') || '***.'
                || regexp_extract({domain}, '[.]([^.]*)$', 1, 's')
        end""",
        """create or replace temp macro pii_phone(v) as case
            when v is null or v = '' then v
            when length(regexp_replace(translate(v, '０１２３４５６７８９', '0123456789'),
                '[^0-9]', '', 'g')) >= 4
            then '***-****-' || right(regexp_replace(
                translate(v, '０１２３４５６７８９', '0123456789'), '[^0-9]', '', 'g'), 4)
            else '***'
        end""",
        """create or replace temp macro pii_text(v) as case
            when v is null or v = '' then v else left(v, 1) || '***'
        end""",
        f"""create or replace temp macro pii_hmac(v) as
            sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode(v))))""",
        # the channel prefix of an identity key stays readable; the token is of the address
        r"""create or replace temp macro pii_identifier(v) as case
            when v is null or not contains(v, '@') then v
            else regexp_extract(v, '^([a-z_]+:)?', 1)
                || pii_email(regexp_replace(v, '^[a-z_]+:', ''))
                || '#' || left(pii_hmac(regexp_replace(v, '^[a-z_]+:', '')), 16)
        end""",
    ]


def masked_sql(kind: Kind, column: str) -> str:
    """SQL for `column` (an SQL expression) masked as `kind`: the macros of `masking_macros`,
    and for records ``pii_record``, which the publisher registers as `redact_record`."""
    return f"pii_{kind.value}({column})"


def may_change_sql(kind: Kind, column: str) -> str:
    """An SQL condition true for every value of `column` that its mask changes, cheaper than
    masking it again (it may hold for a few that the mask leaves as they are)."""
    if kind is Kind.IDENTIFIER:
        return f"contains({column}, '@')"
    if kind is Kind.RECORD:
        return f"{masked_sql(kind, column)} is distinct from {column}"
    return f"{column} <> ''"  # null and empty stay as they are


# --- records as received (JSON) ---------------------------------------------------------------

_EMAIL_IN_TEXT: Final = re.compile(r"[^\s@\"'<>(),;:]+@[^\s@\"'<>(),;:]+\.[^\s@\"'<>(),;:]+")
# Field names across the channels' documented shapes, once camelCase is snake_case: Shopify
# (email, phone, first_name, address1, zip), Amazon (BuyerEmail, BuyerName, AddressLine1,
# PostalCode, Phone), Rakuten (emailAddress, familyNameKana, phoneNumber1, zipCode1,
# subAddress) and the POS member export's Japanese headers.
_PERSONAL_FIELD: Final = re.compile(
    r"(^|_)(e_?mail|mail_address|phone|tel|telephone|fax|mobile|first_name|last_name"
    r"|family_name|given_name|middle_name|full_name|name_kana|buyer_name|customer_name"
    r"|recipient_name|address\d*|street|zip|postal_code|postcode|sub_address|birth\w*)(_|$|\d)"
)
_PERSONAL_FIELD_JA: Final = ("氏名", "電話", "メール", "住所", "郵便", "フリガナ")
_PERSONAL_FIELD_JA_EXACT: Final = frozenset({"姓", "名", "セイ", "メイ"})
# Objects about a person, in which a plain "name" is the person's (an address's addressee).
_PERSON_OBJECT: Final = re.compile(
    r"(^|_)(addresses|address|customer|buyer_info|orderer|orderer_model|sender|sender_model"
    r"|recipient)$"
)
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def _field_kind(field: str, *, in_person: bool) -> Kind | None:
    name = _CAMEL.sub("_", field).lower()
    if field in _PERSONAL_FIELD_JA_EXACT or any(part in field for part in _PERSONAL_FIELD_JA):
        return Kind.EMAIL if "メール" in field else Kind.PHONE if "電話" in field else Kind.TEXT
    if field == "_fields":  # a malformed row, whose fields cannot be told apart: all of them
        return Kind.TEXT
    if _PERSONAL_FIELD.search(name) or (in_person and name in ("name", "company")):
        if "mail" in name:
            return Kind.EMAIL
        if any(word in name for word in ("phone", "tel", "fax", "mobile")):
            return Kind.PHONE
        return Kind.TEXT
    return None


def _redact(value: Any, kind: Kind | None, *, in_person: bool) -> Any:
    """`value` with what `kind` says masked; an object's fields go by their own names, and
    everything in an address (a `text` object) is masked."""
    if isinstance(value, dict):
        inherited = kind if kind is Kind.TEXT else None
        return {
            field: _redact(
                item,
                _field_kind(field, in_person=in_person) or inherited,
                in_person=bool(_PERSON_OBJECT.search(_CAMEL.sub("_", field).lower())),
            )
            for field, item in value.items()
        }
    if isinstance(value, list):
        return [_redact(item, kind, in_person=in_person) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if kind is not None:
        return _MASKS.get(kind, mask_text)(str(value))
    if isinstance(value, str):
        return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()) or "", value)
    return value


def redact_record(text: str | None) -> str | None:
    """A record as received (JSON) with personal fields masked by name and every e-mail
    address masked wherever it is; text that is not JSON has its e-mail addresses masked."""
    if not text:
        return text
    try:
        record = json.loads(text)
    except ValueError:
        return _EMAIL_IN_TEXT.sub(lambda m: mask_email(m.group()) or "", text)
    redacted = _redact(record, None, in_person=False)
    return text if redacted == record else json.dumps(redacted, ensure_ascii=False)
