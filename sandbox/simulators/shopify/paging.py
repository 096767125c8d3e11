"""Shopify's cursor-based pagination for REST list endpoints, with its rules and its faults.

A first request carries filters and `limit`; the answer's ``Link`` header holds the URLs of the
next and previous pages, each with an opaque ``page_info`` token. Following Shopify, the token
encodes the filters and the position, and a request carrying ``page_info`` may add only
``limit`` and ``fields``; anything else is a 400. Pages are keyset ranges over the live data (as
Shopify's are): a record that changes while a client pages through moves, and may be seen
twice or not at all on that pass, which is why connectors re-read a lookback window.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlencode

import orjson
import polars as pl

from ichigen.sandbox.simulators.http import HttpError, Request, json_response

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Cursor",
    "Page",
    "PageRequest",
    "bad_request",
    "link_header",
    "paginate",
    "parse_page_request",
    "select_fields",
    "sort_by_keys",
]

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 250
_PAGING_PARAMS: Final = frozenset({"limit", "fields", "page_info"})
_DOCS: Final = "https://shopify.dev/api/usage/pagination-rest"

SortKey = tuple[str, bool]  # (an Int64 column of the frame, descending)


def bad_request(field: str, message: str) -> HttpError:
    """Shopify's 400 for a bad parameter: ``{"errors": {"<param>": "<message>"}}``."""
    return HttpError(400, message, response=json_response({"errors": {field: message}}, 400))


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends, and the filters of the first request it continues."""

    resource: str
    filters: dict[str, str]
    direction: str  # "next": rows after `key`; "previous": rows before it
    key: tuple[int, ...]

    def encode(self) -> str:
        raw = orjson.dumps(
            {"r": self.resource, "f": self.filters, "d": self.direction, "k": list(self.key)}
        )
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, resource: str) -> Cursor:
        try:
            data = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            cursor = cls(
                resource=str(data["r"]),
                filters={str(k): str(v) for k, v in data["f"].items()},
                direction=str(data["d"]),
                key=tuple(int(v) for v in data["k"]),
            )
        except (binascii.Error, orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise bad_request("page_info", "Invalid value.") from exc
        if cursor.resource != resource or cursor.direction not in ("next", "previous"):
            raise bad_request("page_info", "Invalid value.")
        return cursor


@dataclass(frozen=True)
class PageRequest:
    resource: str
    limit: int
    limit_given: bool
    fields: list[str] | None
    filters: dict[str, str]  # from the first request, carried on by the cursor
    cursor: Cursor | None


def parse_page_request(request: Request, resource: str, *, filters: Sequence[str]) -> PageRequest:
    """Read limit, fields and page_info, enforcing Shopify's rules; keep the known filters."""
    raw_limit = request.arg("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        try:
            limit = int(raw_limit)
        except ValueError:
            raise bad_request("limit", "Invalid value.") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise bad_request("limit", f"Limit must be between 1 and {MAX_LIMIT}.")
    raw_fields = request.args("fields")
    fields = [name.strip() for name in raw_fields if name.strip()] or None
    token = request.arg("page_info")
    if token is not None:
        for name in request.query:
            if name not in _PAGING_PARAMS:
                raise bad_request(
                    name,
                    f"{name} cannot be passed when page_info is present. See {_DOCS} "
                    "for more information.",
                )
        cursor = Cursor.decode(token, resource)
        return PageRequest(resource, limit, raw_limit is not None, fields, cursor.filters, cursor)
    known = {name: value for name in filters if (value := request.arg(name))}
    return PageRequest(resource, limit, raw_limit is not None, fields, known, None)


@dataclass(frozen=True)
class Page:
    rows: pl.DataFrame
    next_cursor: Cursor | None
    previous_cursor: Cursor | None


def _beyond(keys: Sequence[SortKey], values: Sequence[int], *, forward: bool) -> pl.Expr:
    """Rows strictly after (or before) `values` in the lexicographic order of `keys`."""
    expr: pl.Expr | None = None
    for (name, descending), value in reversed(list(zip(keys, values, strict=True))):
        column = pl.col(name)
        strict = column < value if descending == forward else column > value
        expr = strict if expr is None else strict | ((column == value) & expr)
    assert expr is not None
    return expr


def sort_by_keys(frame: pl.DataFrame, keys: Sequence[SortKey]) -> pl.DataFrame:
    """`frame` in the order `paginate` pages it."""
    names = [name for name, _ in keys]
    return frame.sort(names, descending=[d for _, d in keys], nulls_last=True)


def paginate(
    ordered: pl.DataFrame, page: PageRequest, keys: Sequence[SortKey], *, repeat: int = 0
) -> Page:
    """One page of `ordered` (sorted by `sort_by_keys` on `keys`, which must identify a row),
    plus its cursors.

    `repeat` > 0 starts a "next" page that many rows early, so it repeats the end of the
    previous page: the duplicates fault.
    """
    names = [name for name, _ in keys]
    cursor = page.cursor
    has_previous = cursor is not None
    if cursor is None:
        rows = ordered.head(page.limit)
        has_next = ordered.height > page.limit
    elif cursor.direction == "next":
        after = ordered.filter(_beyond(keys, cursor.key, forward=True))
        repeated = ordered.filter(~_beyond(keys, cursor.key, forward=True)).tail(
            min(repeat, page.limit - 1)
        )
        take = page.limit - repeated.height
        rows = pl.concat([repeated, after.head(take)])
        has_next = after.height > take
    else:
        before = ordered.filter(_beyond(keys, cursor.key, forward=False))
        rows = before.tail(page.limit)
        has_previous = before.height > page.limit
        has_next = True
    if rows.is_empty():
        return Page(rows, None, None)

    def key_of(index: int) -> tuple[int, ...]:
        return tuple(int(rows[name][index]) for name in names)

    next_cursor = Cursor(page.resource, page.filters, "next", key_of(-1)) if has_next else None
    previous_cursor = (
        Cursor(page.resource, page.filters, "previous", key_of(0)) if has_previous else None
    )
    return Page(rows, next_cursor, previous_cursor)


def link_header(request: Request, page: PageRequest, result: Page) -> str | None:
    """``<https://shop/admin/api/v/orders.json?limit=250&page_info=…>; rel="next"``, …"""
    host = request.headers.get("host", "127.0.0.1")
    base = f"http://{host}{request.path}"
    links = []
    for rel, cursor in (("previous", result.previous_cursor), ("next", result.next_cursor)):
        if cursor is None:
            continue
        params: dict[str, Any] = {}
        if page.limit_given:
            params["limit"] = page.limit
        if page.fields:
            params["fields"] = ",".join(page.fields)
        params["page_info"] = cursor.encode()
        links.append(f'<{base}?{urlencode(params)}>; rel="{rel}"')
    return ", ".join(links) or None


def select_fields(record: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """Shopify's `fields` parameter: keep only the named top-level properties."""
    if not fields:
        return record
    return {name: record[name] for name in fields if name in record}
