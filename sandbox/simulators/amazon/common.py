"""Pieces every part of the Amazon SP-API simulator shares: errors, dates, money, page tokens.

SP-API answers errors as ``{"errors": [{"code", "message", "details"}]}``; its dates are ISO 8601
in UTC with a ``Z`` (even on Amazon.co.jp); Orders API money is ``{"CurrencyCode", "Amount"}``
with the amount as a string, Finances API money is ``{"CurrencyCode", "CurrencyAmount"}`` with a
number. Page tokens are opaque to clients; here they are base64 JSON naming the operation they
continue, so a token of one operation is refused by another.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from ichigen.sandbox.simulators.http import HttpError, Request, json_response

__all__ = [
    "CURRENCY",
    "INVALID_INPUT",
    "MARKETPLACE_NAME",
    "amazon_error",
    "decode_token",
    "encode_token",
    "error_payload",
    "invalid_input",
    "iso_z",
    "money",
    "parse_int",
    "parse_time",
    "require_marketplace",
]

CURRENCY: Final = "JPY"
MARKETPLACE_NAME: Final = "Amazon.co.jp"
# Amazon's generic 400 message; the specific reason, when Amazon gives one, is in `details`.
INVALID_INPUT: Final = (
    "The input you have submitted is not valid. Please check your input and try again."
)


def error_payload(code: str, message: str, details: str = "") -> dict[str, Any]:
    return {"errors": [{"code": code, "message": message, "details": details}]}


def amazon_error(status: int, code: str, message: str, details: str = "") -> HttpError:
    body = json_response(error_payload(code, message, details), status=status)
    return HttpError(status, message, response=body)


def invalid_input(details: str = "", message: str = INVALID_INPUT) -> HttpError:
    return amazon_error(400, "InvalidInput", message, details)


def parse_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 query parameter as an aware UTC datetime; naive values are taken as UTC."""
    raw = request.arg(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_input(
            f"Invalid date-time field(s) [{name}].", message="This is an invalid input"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_int(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise invalid_input(f"{name} must be an integer between {low} and {high}.") from None
    if not low <= value <= high:
        raise invalid_input(f"{name} must be an integer between {low} and {high}.")
    return value


def iso_z(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def money(amount: int) -> dict[str, str]:
    # Yen have no minor unit; Amazon.co.jp amounts are whole numbers, still sent as strings.
    return {"CurrencyCode": CURRENCY, "Amount": str(amount)}


def require_marketplace(request: Request, name: str, marketplace_id: str) -> None:
    """The marketplace parameter is required and may name only the seller's marketplace."""
    values = request.args(name)
    if not values:
        raise invalid_input(f"Missing required parameter [{name}].")
    unknown = sorted(set(values) - {marketplace_id})
    if unknown:
        raise invalid_input(f"Invalid {name} [{', '.join(unknown)}].")


def encode_token(kind: str, state: dict[str, Any]) -> str:
    raw = orjson.dumps({"op": kind, **state})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, kind: str, *, field: str = "NextToken") -> dict[str, Any]:
    """The state a page token carries; a token not ours, or another operation's, is a 400."""
    try:
        state = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, orjson.JSONDecodeError, ValueError):
        state = None
    if not isinstance(state, dict) or state.get("op") != kind:
        raise invalid_input(f"Invalid {field}.")
    return state
