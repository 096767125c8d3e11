"""How the RMS Web Service writes and reads values, and the shapes of its answers and errors.

RMS has two families of JSON APIs and they differ in almost everything but authentication:

- RakutenPayOrderAPI (``/es/2.0/order/...``) takes datetimes as ``2017-10-14T00:00:00+0900``
  (JST, an offset without a colon; anything else is ``..._ERROR_011``) and always answers with a
  ``MessageModelList`` of ``{messageType, messageCode, message}``, errors included;
- InventoryAPI 2.0 (``/es/2.0/inventories/...``) writes ISO 8601 with ``+09:00`` and reports
  errors as ``{"errors": [{"code", "message", "metadata": {"propertyPath"}}]}``.

Failures before either API is reached (authentication, throttling, unknown paths, outages)
come from the ESA gateway as ``{"Results": {"errorCode", "message"}}``. Only ``ES04-01``
(authentication) is seen in public material; the other gateway codes below are the sandbox's
own, so a connector should branch on the HTTP status, not on these codes.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final

from ichigen.sandbox.simulators.http import HttpError, Response, json_response

__all__ = [
    "JST",
    "bad_inventory_request",
    "gateway_error",
    "inventory_time",
    "message",
    "order_date",
    "order_error",
    "order_time",
    "parse_order_time",
    "phone_parts",
    "synthetic_int",
    "zip_parts",
]

JST: Final = timezone(timedelta(hours=9), "JST")
_ORDER_TIME: Final = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0900$")
_GATEWAY_CODES: Final = {
    401: "ES04-01",  # seen in the wild: wrong or missing ESA credentials
    404: "ES01-01",
    405: "ES01-02",
    429: "ES04-04",
}


def order_time(moment: datetime | None) -> str | None:
    """``2017-09-25T20:03:43+0900``, as the order API writes and expects datetimes."""
    if moment is None:
        return None
    return moment.astimezone(JST).strftime("%Y-%m-%dT%H:%M:%S+0900")


def order_date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(JST).strftime("%Y-%m-%d")


def inventory_time(moment: datetime) -> str:
    """``2022-02-01T19:30:00+09:00``, as InventoryAPI 2.0 writes datetimes."""
    return moment.astimezone(JST).isoformat(timespec="seconds")


def parse_order_time(raw: str) -> datetime:
    """Read a search bound; only RMS's exact JST form is accepted (ValueError otherwise)."""
    if not _ORDER_TIME.match(raw):
        raise ValueError(raw)
    return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S%z").astimezone(UTC)


def message(kind: str, code: str, text: str, **extra: Any) -> dict[str, Any]:
    """One ``MessageModel``; getOrder adds the ``orderNumber`` it is about."""
    return {"messageType": kind, "messageCode": code, "message": text, **extra}


def order_error(
    api: str, problems: list[tuple[str, str]], *, empty: dict[str, Any] | None = None
) -> HttpError:
    """A 400 from the order API: ``ORDER_EXT_API_<API>_ERROR_<nnn>`` messages, one per problem.

    `empty` holds the answer's other top-level keys, which RMS sends as null on errors.
    """
    body = {
        **(empty or {}),
        "MessageModelList": [
            message("ERROR", f"ORDER_EXT_API_{api}_ERROR_{number}", text)
            for number, text in problems
        ],
    }
    return HttpError(400, problems[0][1], response=json_response(body, 400))


def bad_inventory_request(code: str, text: str, path: str | None = None) -> HttpError:
    """A 400 from InventoryAPI 2.0, pointing at the offending property."""
    error: dict[str, Any] = {"code": code, "message": text}
    if path is not None:
        error["metadata"] = {"propertyPath": path}
    return HttpError(400, text, response=json_response({"errors": [error]}, 400))


def gateway_error(status: int, text: str) -> Response:
    code = _GATEWAY_CODES.get(status, "ES99-99")
    return json_response({"Results": {"errorCode": code, "message": text}}, status=status)


def synthetic_int(*parts: object, digits: int = 9) -> int:
    """A stable positive integer id for something the world has no RMS number for."""
    raw = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    low = int(10 ** (digits - 1))
    return low + int(raw[:15], 16) % (9 * low)


def zip_parts(postal_code: str | None) -> tuple[str, str]:
    """RMS splits a postal code in two: ``150-0041`` -> ``("150", "0041")``."""
    digits = re.sub(r"\D", "", postal_code or "")
    return digits[:3], digits[3:7]


def phone_parts(phone: str | None) -> tuple[str | None, str | None, str | None]:
    """A phone number as RMS's three fields, from whatever form the customer typed."""
    if not phone:
        return None, None, None
    pieces = [p for p in re.split(r"[-\s()‐－ー]+", phone.strip()) if p]
    if len(pieces) == 3:
        return pieces[0], pieces[1], pieces[2]
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("81"):  # +81 90 ... written internationally
        digits = "0" + digits[2:]
    if len(digits) == 11:  # mobile: 090-1234-5678
        return digits[:3], digits[3:7], digits[7:]
    if len(digits) == 10:  # landline with a two-digit area code: 03-1234-5678
        return digits[:2], digits[2:6], digits[6:]
    return digits or None, None, None
