"""Stock pushes: a preview against what each channel is told, and malformed pushes refused."""

from __future__ import annotations

from typing import Any

import polars as pl
import pytest

from ichigen.ops import InvalidRequestError, OpsStore
from ichigen.ops.outbox import list_actions
from ichigen.ops.stock_pushes import (
    preview_by_channel,
    preview_stock_push,
    record_stock_push,
    stock_pushes_that_differ,
)

BUYER: dict[str, Any] = {"user": "aiko", "role": "buyer"}


def test_a_preview_compares_what_is_told_with_what_will_be_told() -> None:
    availability = pl.DataFrame(
        {
            "channel": ["rakuten", "shopify", "shopify"],
            "location_id": ["WH-TOKYO", "WH-TOKYO", "WH-OSAKA"],
            "sku": ["A", "A", "B"],
            "listed_quantity": [5, None, 3],
            "quantity_to_tell": [2, 4, 3],
            "available_to_promise": [4, 6, 5],
            "safety_buffer_units": [2, 2, 2],
        }
    )
    preview = preview_stock_push(availability)
    assert preview.select("channel", "location_id", "change", "differs").rows() == [
        ("rakuten", "WH-TOKYO", -3, True),
        ("shopify", "WH-OSAKA", 0, False),
        ("shopify", "WH-TOKYO", None, True),  # not known what Shopify shows: pushed
    ]
    assert stock_pushes_that_differ(availability)["sku"].to_list() == ["A", "A"]
    tuples = preview_stock_push([("rakuten", "A", "WH-TOKYO", 0)], availability=availability)
    assert tuples.select("listed_quantity", "change").row(0) == (5, -5)
    by_channel = preview_by_channel(preview)
    assert by_channel.filter(pl.col("channel") == "rakuten")["units_after"].to_list() == [2]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([("myspace", "A", "WH-TOKYO", 1)], "unknown channel"),
        ([("rakuten", "A", "WH-TOKYO", -1)], "not a count"),
        ([("rakuten", "A", "WH-TOKYO", 1), ("rakuten", "A", "WH-TOKYO", 2)], "more than once"),
    ],
)
def test_a_malformed_push_is_refused_whole(
    store: OpsStore, items: list[tuple[str, str, str, int]], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        record_stock_push(store, items, **BUYER)
    assert list_actions(store).is_empty()
