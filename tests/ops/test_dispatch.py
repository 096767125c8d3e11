"""A dispatch pass without a network (or with nothing listening): backoff, superseded pushes,
channels with no connector."""

from __future__ import annotations

import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.rakuten import InventoryKey, RakutenClient, RakutenRates
from ichigen.ops import OpsStore
from ichigen.ops.claims import due_actions
from ichigen.ops.dispatch import Connectors, dispatch
from ichigen.ops.outbox import list_actions
from ichigen.ops.stock_pushes import last_accepted_pushes, record_stock_push
from ichigen.ops.targets import ChannelTargets

BUYER: dict[str, Any] = {"user": "aiko", "role": "buyer"}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _rakuten(handler: Any) -> Connectors:
    client = RakutenClient(
        base_url="http://rms.test",
        service_secret="s",
        license_key="l",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        rates=RakutenRates(inventory_upsert=1000.0),
        retry=RetryPolicy(max_attempts=1),
    )
    targets = ChannelTargets(rakuten_keys={"A": InventoryKey("item-a", "a")})
    return Connectors(rakuten=client, targets=targets)


def test_transient_failures_back_off_and_give_up_after_the_last_attempt(tmp_path: Path) -> None:
    clock = Clock()
    store = OpsStore.under(tmp_path, clock=clock)
    (action_id,) = record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 3)], **BUYER)
    connectors = _rakuten(lambda request: httpx.Response(503, json={}))

    assert dispatch(store, connectors, max_attempts=2).retrying == [action_id]
    row = list_actions(store).row(0, named=True)
    assert row["status"] == "failed_retrying" and "503" in row["last_error"]
    assert row["next_attempt_at"] == clock.now + timedelta(seconds=30)
    assert due_actions(store) == []  # not before its time
    clock.now += timedelta(seconds=31)
    assert dispatch(store, connectors, max_attempts=2).failed == [action_id]
    assert list_actions(store)["attempts"].to_list() == [2]
    assert dispatch(store, connectors).sent == 0  # given up until asked to retry failed
    assert dispatch(store, connectors, retry_failed=True, max_attempts=4).retrying == [action_id]


def test_a_push_to_a_channel_that_is_down_waits_to_be_sent_again(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:  # free a moment ago, nobody listens now
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    store = OpsStore.under(tmp_path, clock=Clock())
    (action_id,) = record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 3)], **BUYER)
    client = RakutenClient(
        base_url=down,
        service_secret="s",
        license_key="l",
        rates=RakutenRates(inventory_upsert=1000.0),
    )
    targets = ChannelTargets(rakuten_keys={"A": InventoryKey("item-a", "a")})
    with client:
        report = dispatch(store, Connectors(rakuten=client, targets=targets))
    # a refused connection is final for a pull's try, not for the action: it is retried later
    assert report.retrying == [action_id] and report.rejected == []
    row = list_actions(store).row(0, named=True)
    assert row["status"] == "failed_retrying" and "refused the connection" in row["last_error"]


def test_an_older_push_to_a_listing_is_superseded_by_a_newer_one(tmp_path: Path) -> None:
    clock = Clock()
    store = OpsStore.under(tmp_path, clock=clock)
    (old,) = record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 3)], **BUYER)
    clock.now += timedelta(seconds=1)
    (new,) = record_stock_push(store, [("rakuten", "A", "WH-TOKYO", 1)], **BUYER)
    bodies: list[bytes] = []

    def upsert(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(204)

    report = dispatch(store, _rakuten(upsert))
    assert report.rejected == [old] and report.accepted == [new]
    assert len(bodies) == 1 and b'"quantity":1' in bodies[0] and b'"ABSOLUTE"' in bodies[0]
    reasons = dict(list_actions(store).select("action_id", "reason").rows())
    assert reasons[old] == f"superseded by {new}, a newer push to the same listing"
    assert last_accepted_pushes(store)["quantity"].to_list() == [1]


def test_actions_for_a_channel_without_a_connector_wait(store: OpsStore) -> None:
    (action_id,) = record_stock_push(store, [("amazon", "A", "WH-TOKYO", 3)], **BUYER)
    report = dispatch(store, Connectors())
    assert report.waiting == [action_id]
    assert list_actions(store)["status"].to_list() == ["recorded"]
