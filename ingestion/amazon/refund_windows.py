"""Refunds from any time back, window by window: the Finances API answers 180 days at most.

``listFinancialEvents`` answers nothing at all when ``PostedAfter`` and ``PostedBefore`` lie
more than 180 days apart, and without ``PostedBefore`` the window ends at Amazon's "now". So a
pull that must reach further back (a first pull, or one after a long pause) asks for
consecutive windows, oldest first: each ends where the next begins (``PostedBefore`` excludes
its own instant, ``PostedAfter`` includes it), and the last has no ``PostedBefore``.

Where the last window may begin needs Amazon's clock, which the Finances API never shows: the
caller passes the latest "now" Amazon echoed (getOrders' ``LastUpdatedBefore``). Windows are
`STEP` long, well under 180 days, so that the last one still fits when that echo is up to
`STEP_SLACK` old. Without an echo there is one window, from `since` to Amazon's now.

Each page's position (`Page.following`) names its window and Amazon's NextToken in it, so a
pull that failed part-way goes on in the window it had reached (`ingestion.paging.go_on`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Final, Protocol

from ichigen.ingestion.paging import Page

__all__ = ["MAX_WINDOW", "STEP", "STEP_SLACK", "RefundSource", "refund_pages"]

MAX_WINDOW: Final = timedelta(days=180)
STEP_SLACK: Final = timedelta(days=30)
STEP: Final = MAX_WINDOW - STEP_SLACK
_SEPARATOR: Final = "|"


class RefundSource(Protocol):
    def refund_events(
        self,
        *,
        posted_after: datetime | None = None,
        posted_before: datetime | None = None,
        next_token: str | None = None,
    ) -> Iterator[Page]: ...


def _position(start: datetime | None, token: str | None) -> str:
    return f"{start.isoformat() if start else ''}{_SEPARATOR}{token or ''}"


def _parse(position: str) -> tuple[datetime | None, str | None]:
    start, _, token = position.partition(_SEPARATOR)
    return (datetime.fromisoformat(start) if start else None), (token or None)


def refund_pages(
    client: RefundSource,
    *,
    since: datetime | None,
    amazon_now: datetime | None,
    position: str | None = None,
) -> Iterator[Page]:
    """RefundEventList pages posted from `since` on (Amazon's default window if None), the
    windows oldest first; `position`, a page's `following`, goes on from that page."""
    start, token = _parse(position) if position is not None else (since, None)
    while True:
        end = None
        if start is not None and amazon_now is not None and start + STEP < amazon_now:
            end = start + STEP
        pages = client.refund_events(
            posted_after=start,
            posted_before=end,
            next_token=token,
        )
        for page in pages:
            if page.following is not None:
                following: str | None = _position(start, page.following)
            elif end is not None:
                following = _position(end, None)  # the next window's first page
            else:
                following = None
            yield Page(page, following=following)
        if end is None:
            return
        start, token = end, None
