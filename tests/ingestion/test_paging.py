"""Pages asked for one ahead: in order, in a thread of their own, never more than one ahead."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from ichigen.ingestion.errors import ChannelError
from ichigen.ingestion.paging import one_ahead

WAIT_S = 10.0  # only reached when the page ahead is never asked for


class _Source:
    """Pages 0..n-1, noting which thread asked for each and when it was asked for."""

    def __init__(self, n: int, *, fail_at: int | None = None) -> None:
        self.n = n
        self.fail_at = fail_at
        self.asked = [threading.Event() for _ in range(n + 1)]
        self.threads: list[str] = []

    def pages(self) -> Iterator[int]:
        for page in range(self.n):
            self.asked[page].set()
            self.threads.append(threading.current_thread().name)
            if page == self.fail_at:
                raise ChannelError("supplier", f"page {page} failed")
            yield page
        self.asked[self.n].set()

    @property
    def asked_for(self) -> int:
        return sum(event.is_set() for event in self.asked[: self.n])


def test_every_page_comes_in_order_from_a_thread_of_its_own() -> None:
    source = _Source(5)
    assert list(one_ahead(source.pages(), name="test-pager")) == [0, 1, 2, 3, 4]
    assert source.threads and all(name.startswith("test-pager") for name in source.threads)


def test_the_next_page_is_asked_for_while_the_caller_has_this_one_and_no_further() -> None:
    source = _Source(4)
    pages = one_ahead(source.pages(), name="test-pager")
    for page in range(4):
        assert next(pages) == page
        # The caller still holds `page`: the next one is already on its way ...
        assert source.asked[page + 1].wait(WAIT_S)
        # ... and the one after it is not.
        assert source.asked_for <= page + 2
    assert list(pages) == []


def test_a_failed_fetch_is_raised_at_the_page_it_would_have_returned() -> None:
    source = _Source(5, fail_at=2)
    received = []
    with pytest.raises(ChannelError, match="page 2 failed"):
        for page in one_ahead(source.pages(), name="test-pager"):
            received.append(page)
    assert received == [0, 1]


def test_a_caller_that_stops_early_leaves_the_rest_unasked() -> None:
    source = _Source(10)
    pages = one_ahead(source.pages(), name="test-pager")
    assert next(pages) == 0
    pages.close()  # what a `for` loop left by an exception does
    assert source.asked_for <= 2
    assert not any(t.name.startswith("test-pager") for t in threading.enumerate())
