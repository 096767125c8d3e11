"""Pages asked for one ahead: the next request is in flight while the caller works on a page.

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

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

__all__ = ["one_ahead"]

T = TypeVar("T")

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
