"""Paging that overlaps with the work on each page, and that goes on where a failed pull stopped.

Resuming: a channel's list pages each carry where the page after them is asked for
(`Page.following`: Shopify's next URL, Amazon's NextToken, the supplier's cursor). A pull saves
`checkpoint(page)` with the records of each page it lands (`LoadWriter.add`); after a failure,
`go_on` asks the listing for the pages from that checkpoint instead of from the first page. A
channel may forget a position it handed out (Amazon's tokens and Shopify's cursors are not
promised to last): a position refused as invalid sends the listing back to its first page, and
the records read twice are deduplicated by staging.

Pages asked for one ahead: the next request is in flight while the caller works on a page.

A pull spends its time in two places that need not wait for each other: the channel, which
takes tens of milliseconds to answer a page, and our side, which validates and writes what it
received. `one_ahead` overlaps them with one background thread, so a pull takes about as long
as the slower of the two instead of their sum. At most two pages are held: the one the caller
has and the one being fetched.

The source iterator is only ever advanced by one thread at a time (each `next` waits for the
one before), so a paging generator that carries a cursor from page to page stays correct.
An error raised while fetching is raised to the caller at the page it would have returned.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, Protocol, TypeVar

from ichigen.ingestion.errors import ChannelError

__all__ = ["Page", "Positioned", "checkpoint", "go_on", "one_ahead"]

log = logging.getLogger(__name__)

T = TypeVar("T")
P = TypeVar("P", bound="Positioned")

# What a channel answers a position it no longer knows (an expired or unknown token).
_REFUSED_POSITION: Final = frozenset({400, 404, 410, 422})


class Positioned(Protocol):
    """A page that says where the page after it is asked for."""

    @property
    def following(self) -> str | None: ...


class Page(list[dict[str, Any]]):
    """A page of records, and where the page after it is asked for (None: it is the last).

    A list, so that code wanting only the records reads it as before.
    """

    def __init__(self, records: Iterable[dict[str, Any]] = (), *, following: str | None) -> None:
        super().__init__(records)
        self.following = following


def checkpoint(page: Positioned) -> dict[str, Any]:
    """What a pull saves once `page` has landed: where the listing goes on (`go_on`)."""
    return {"following": page.following}


def go_on(
    listing: Callable[[str | None], Iterator[P]], saved: Mapping[str, Any] | None
) -> Iterator[P]:
    """The pages of `listing` from the position a pull saved (`checkpoint`); all of them
    without one. `listing(None)` asks for the first page, `listing(position)` for the page
    at a `Page.following`. A listing saved after its last page has nothing left.
    """
    if saved is None:
        yield from listing(None)
        return
    position = saved.get("following")
    if position is None:
        return
    pages = listing(position)
    try:
        first = next(pages, None)
    except ChannelError as exc:
        if exc.status not in _REFUSED_POSITION:
            raise
        log.warning(
            "%s: the channel refused where the failed pull had reached; going on from the "
            "first page (staging deduplicates what is read twice)",
            exc,
        )
        yield from listing(None)
        return
    if first is not None:
        yield first
        yield from pages


_END: Final = object()  # `next`'s default: no page can be this object


def one_ahead(pages: Iterator[T], *, name: str) -> Iterator[T]:
    """`pages`, each asked for (in a thread called `name`) while the caller has the one before.

    If the caller stops early, the request in flight is waited for and nothing more is asked.
    """
    with ThreadPoolExecutor(1, thread_name_prefix=name) as pager:
        upcoming = pager.submit(next, pages, _END)
        while (page := upcoming.result()) is not _END:
            upcoming = pager.submit(next, pages, _END)
            yield page  # type: ignore[misc]  # not _END, so a T
