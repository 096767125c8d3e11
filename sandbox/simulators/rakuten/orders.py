"""The world's Rakuten orders as RMS sees them: statuses, the dates it searches by, searchOrder.

The world stores an order's lifecycle as event timestamps; RMS shows it as ``orderProgress``:

- 100 注文確認待ち until the shop confirms the order (10 to 120 minutes after it is placed),
  then 300 発送待ち (confirmation, order fix and shipping instruction happen together here);
- 500 発送済 once shipped, 700 支払手続き済 once delivered and paid (600 is not used);
- 900 キャンセル確定 when cancelled, and also when every unit of the order was returned and
  refunded: RMS books a full return as a cancellation after shipping (cancelOrderAfterShipping).

A partial return is a change to the order (see `order_json`). RMS has no "updated at"
search: ``dateType`` selects one of the dates below, none of which moves when an order is
edited, so a connector finds status changes by searching recent order dates again (a lookback
window over ``dateType`` 1) and, for old orders that ship or settle late, ``dateType`` 4 and 6.

Search bounds are compared at second precision, as RMS stores them, and include both ends.
Message codes 009 to 011 are RMS's own; the other ``ORDER_EXT_API_SEARCH_ORDER_ERROR_0nn``
codes are assigned by the sandbox.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.rakuten.format import order_error, parse_order_time
from ichigen.sandbox.world import World

__all__ = [
    "DATE_COLUMNS",
    "MAX_RECORDS_PER_PAGE",
    "MAX_SEARCH_RESULTS",
    "MAX_WINDOW",
    "ORDER_PROGRESS",
    "SearchCriteria",
    "SearchResult",
    "order_frame",
    "parse_search",
    "search",
]

ORDER_PROGRESS: Final = (100, 200, 300, 400, 500, 600, 700, 800, 900)
# dateType -> the frame column it searches: 1 注文日, 2 注文確認日, 3 注文確定日, 4 発送日,
# 5 発送完了報告日, 6 決済確定日.
DATE_COLUMNS: Final = {
    1: "created_at",
    2: "confirmed_at",
    3: "confirmed_at",
    4: "shipped_at",
    5: "shipped_at",
    6: "paid_at",
}
MAX_WINDOW: Final = timedelta(days=63)
MAX_HISTORY: Final = timedelta(days=730)
MAX_RECORDS_PER_PAGE: Final = 1000
MAX_SEARCH_RESULTS: Final = 15000  # RMS returns no order numbers past the 15,000th
DEFAULT_RECORDS_PER_PAGE: Final = 30


def order_frame(world: World, numbers: list[str] | None = None) -> pl.DataFrame:
    """Visible Rakuten orders (those numbered `numbers`, if given) with RMS's dates and status.

    Call under `world.lock`. All of them are derived once per state of the world
    (`World.derived`), not for every search.
    """
    if numbers is None:
        return world.derived("rakuten:orders", lambda: _order_frame(world, None))
    return _order_frame(world, numbers)


def _order_frame(world: World, numbers: list[str] | None) -> pl.DataFrame:
    orders = world.visible_orders("rakuten")
    if numbers is not None:
        orders = orders.filter(pl.col("channel_order_id").is_in(pl.Series(numbers).implode()))
    lines = world.lines_of(orders["order_id"]).select("order_id", "line_no", "quantity")
    returned = (
        world.visible_returns()
        .filter(pl.col("order_id").is_in(orders["order_id"].implode()))
        .group_by("order_id", "line_no")
        .agg(pl.col("quantity").sum().alias("returned"), pl.col("refund_jpy").sum())
    )
    per_order = (
        lines.join(returned, on=["order_id", "line_no"], how="left")
        .with_columns(pl.col("returned").fill_null(0), pl.col("refund_jpy").fill_null(0))
        .group_by("order_id")
        .agg(
            (pl.col("returned") >= pl.col("quantity")).all().alias("fully_returned"),
            (pl.col("returned") > 0).any().alias("has_returns"),
            pl.col("refund_jpy").sum().alias("refunded_jpy"),
        )
    )
    delay = pl.duration(minutes=10 + pl.col("order_id").hash(seed=7) % 111)
    confirmed = pl.col("created_at") + delay
    confirmed = (
        pl.when(pl.col("shipped_at") < confirmed).then(pl.col("shipped_at")).otherwise(confirmed)
    )
    frame = orders.join(per_order, on="order_id", how="left").with_columns(
        pl.col("fully_returned").fill_null(False),
        pl.col("has_returns").fill_null(False),
        pl.col("refunded_jpy").fill_null(0),
        pl.when(
            (confirmed > world.now)
            | (pl.col("cancelled_at").is_not_null() & (pl.col("cancelled_at") < confirmed))
        )
        .then(None)
        .otherwise(confirmed)
        .alias("confirmed_at"),
    )
    return frame.with_columns(
        pl.when(pl.col("cancelled_at").is_not_null() | pl.col("fully_returned"))
        .then(900)
        .when(
            pl.col("shipped_at").is_not_null()
            & pl.col("delivered_at").is_not_null()
            & pl.col("paid_at").is_not_null()
        )
        .then(700)
        .when(pl.col("shipped_at").is_not_null())
        .then(500)
        .when(pl.col("confirmed_at").is_not_null())
        .then(300)
        .otherwise(100)
        .alias("order_progress")
    )


@dataclass(frozen=True)
class SearchCriteria:
    date_type: int
    start: datetime
    end: datetime
    progress: tuple[int, ...] | None
    records: int
    page: int
    descending: bool


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bound(body: dict[str, Any], name: str, problems: list[tuple[str, str]]) -> datetime | None:
    if name not in body or body[name] is None:
        problems.append(("009", f"{name}の項目を指定して下さい。"))
        return None
    raw = body[name]
    if raw == "":
        problems.append(("010", f"{name}の値を指定して下さい。"))
        return None
    try:
        return parse_order_time(str(raw))
    except ValueError:
        problems.append(("011", f"{name}の書式が不正です。"))
        return None


def _paging(raw: Any, problems: list[tuple[str, str]]) -> tuple[int, int, bool]:
    if raw is None:
        return DEFAULT_RECORDS_PER_PAGE, 1, True
    if not isinstance(raw, dict):
        problems.append(("011", "PaginationRequestModelの書式が不正です。"))
        return DEFAULT_RECORDS_PER_PAGE, 1, True
    records = raw.get("requestRecordsAmount", DEFAULT_RECORDS_PER_PAGE)
    if not _is_int(records) or not 1 <= records <= MAX_RECORDS_PER_PAGE:
        problems.append(
            ("016", f"requestRecordsAmountは1以上{MAX_RECORDS_PER_PAGE}以下で指定して下さい。")
        )
        records = DEFAULT_RECORDS_PER_PAGE
    page = raw.get("requestPage", 1)
    if not _is_int(page) or page < 1:
        problems.append(("017", "requestPageは1以上で指定して下さい。"))
        page = 1
    descending = True  # RMS's default: newest orders first
    sorts = raw.get("SortModelList") or []
    if not isinstance(sorts, list):
        sorts = [sorts]
    for sort in sorts[:1]:
        if (
            not isinstance(sort, dict)
            or sort.get("sortColumn") != 1
            or sort.get("sortDirection") not in (1, 2)
        ):
            problems.append(("019", "SortModelListの値が不正です。"))
            break
        descending = sort["sortDirection"] == 2
    return records, page, descending


def parse_search(body: Any, *, now: datetime) -> SearchCriteria:
    """Read a searchOrder request, reporting every problem at once as RMS does."""
    if not isinstance(body, dict):
        body = {}
    problems: list[tuple[str, str]] = []
    date_type = body.get("dateType")
    if date_type is None:
        problems.append(("009", "dateTypeの項目を指定して下さい。"))
    elif not _is_int(date_type) or date_type not in DATE_COLUMNS:
        problems.append(("012", "dateTypeの値が不正です。"))
    start = _bound(body, "startDatetime", problems)
    end = _bound(body, "endDatetime", problems)
    if start is not None and end is not None:
        if end < start:
            problems.append(("015", "endDatetimeはstartDatetime以降の日時を指定して下さい。"))
        elif end - start > MAX_WINDOW:
            problems.append(("013", "期間検索の範囲は開始日から63日以内で指定して下さい。"))
        if start < now - MAX_HISTORY:
            problems.append(("014", "startDatetimeは過去730日以内の日時を指定して下さい。"))
    progress = body.get("orderProgressList")
    if progress is not None and (
        not isinstance(progress, list)
        or not all(_is_int(p) and p in ORDER_PROGRESS for p in progress)
    ):
        problems.append(("018", "orderProgressListの値が不正です。"))
    records, page, descending = _paging(body.get("PaginationRequestModel"), problems)
    if problems:
        raise order_error(
            "SEARCH_ORDER",
            problems,
            empty={"orderNumberList": None, "PaginationResponseModel": None},
        )
    assert start is not None and end is not None and _is_int(date_type)
    return SearchCriteria(
        date_type=int(date_type),
        start=start,
        end=end,
        progress=tuple(progress) if progress else None,
        records=records,
        page=page,
        descending=descending,
    )


@dataclass(frozen=True)
class SearchResult:
    order_numbers: list[str]
    total: int
    pages: int


def search(frame: pl.DataFrame, criteria: SearchCriteria) -> SearchResult:
    """One page of matching order numbers, ordered by order date."""
    stamp = pl.col(DATE_COLUMNS[criteria.date_type]).dt.truncate("1s")
    conditions = [stamp >= criteria.start, stamp <= criteria.end]
    if criteria.progress is not None:
        conditions.append(pl.col("order_progress").is_in(list(criteria.progress)))
    matching = frame.filter(*conditions).sort(
        ["created_at", "channel_order_id"], descending=criteria.descending
    )
    reachable = matching.head(MAX_SEARCH_RESULTS)
    offset = (criteria.page - 1) * criteria.records
    numbers = reachable["channel_order_id"].slice(offset, criteria.records).to_list()
    return SearchResult(
        order_numbers=numbers,
        total=matching.height,
        pages=math.ceil(reachable.height / criteria.records),
    )
