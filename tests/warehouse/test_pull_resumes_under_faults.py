"""Under every fault at once (`oms sandbox serve --faults all`), Amazon's orders land whole.

The simulator runs with `FaultPlan.parse("all")` (FaultPlan.chaos's defaults: 429 bursts, 5xx,
resets, truncated bodies, slow answers, records repeated across pages, late updates), and the
client retries each request a few times only, so that a pull dies several times on the way (as
a getOrderItems call that keeps failing did, and every try started again from the first
order). Each next try must go on with the same load from where the one before stopped (the
requests, seen through a TCP proxy, show it asking with a NextToken), until one completes. A
last pull with the faults off lands the late updates the faults made, and the staged orders
and lines then equal those of a clean pull of the same world, row for row.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import polars as pl
import pytest

from ichigen.ingestion.amazon import AmazonClient, AmazonConfig
from ichigen.ingestion.amazon.contracts import orders_contract
from ichigen.ingestion.amazon.pull import ingest_amazon
from ichigen.ingestion.amazon.rates import PUBLISHED_RATES
from ichigen.ingestion.errors import IngestionError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.ingestion.validation import BatchValidator
from ichigen.paths import DataPaths
from ichigen.sandbox.simulators.amazon import AmazonApp
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.faults import FaultPlan
from ichigen.sandbox.simulators.serve import start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings
from tests.dbt_cli import run_dbt
from tests.ingestion.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

_MODELS = ("stg_amazon__orders", "stg_amazon__order_lines")
_MAX_TRIES = 40
_GET_ORDERS = "/orders/v0/orders?"


def _client(url: str, settings: Settings, retry: RetryPolicy) -> AmazonClient:
    """A client as `oms ingest` builds one with ICHIGEN_RATE_MULTIPLIER=10 (what the test
    sessions use): at Amazon's own getOrders rate, one a minute, each try that met a 429
    before the simulator announced its rate would wait a minute per retry."""
    account = settings.amazon
    config = AmazonConfig(
        url=url,
        lwa_url=f"{url}/auth/o2/token",
        client_id=account.client_id,
        client_secret=account.client_secret.get_secret_value(),
        refresh_token=account.refresh_token.get_secret_value(),
        marketplace_id=account.marketplace_id,
        seller_id=account.seller_id,
    )
    rates = {op: (rate * 10, burst) for op, (rate, burst) in PUBLISHED_RATES.items()}
    return AmazonClient(config, retry=retry, rates=rates)


def _staged(data_dir: Path) -> dict[str, pl.DataFrame]:
    warehouse = DataPaths(data_dir).warehouse
    done = run_dbt(["run", "--select", *_MODELS], data_dir=data_dir, warehouse=warehouse)
    assert done.returncode == 0, done.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.sql(
                f"select * exclude (_landed_through, _loaded_at, _load_id) from staging.{model} "
                "order by all"
            ).pl()
            for model in _MODELS
        }


def test_every_amazon_order_lands_under_every_fault_each_try_going_on_from_the_last(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    world = World.load(sandbox_dir / "world")
    settings = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    running = start_sandbox(
        world, credentials=Credentials.of(settings), only=("amazon",), faults=FaultPlan.parse("all")
    )
    amazon = running.servers["amazon"].app
    assert isinstance(amazon, AmazonApp)
    # one call per order: the sandbox's own 30/s would make the test minutes longer; the
    # client adopts the rate the simulator announces
    amazon.set_rate("getOrderItems", rate_per_s=5000, burst=5000)
    target = urlsplit(running.urls["amazon"])
    assert target.hostname is not None and target.port is not None
    proxy = TcpProxy(target.hostname, target.port).start()
    catalogue = set(world.tables["skus"]["sku"])
    validator = BatchValidator(orders_contract(catalogue))
    faulty = LandingZone.under(DataPaths(tmp_path / "faulty"))
    # few tries for 429s too (their own allowance is larger by default), so that tries die
    few_retries = RetryPolicy(max_attempts=4, base_delay_s=0.01, max_delay_s=0.2, max_throttled=4)

    def pull(zone: LandingZone, url: str, retry: RetryPolicy) -> LoadManifest:
        with _client(url, settings, retry) as client:
            return ingest_amazon(client, zone, "orders", catalogue=catalogue, validator=validator)

    try:
        landed: LoadManifest | None = None
        load_ids: set[str] = set()
        first_asked: list[str | None] = []  # each try's first getOrders request, if it made one
        resumed_from: list[bool] = []  # whether that try had a checkpoint to go on from
        while landed is None:
            assert len(first_asked) < _MAX_TRIES, f"{_MAX_TRIES} tries did not land the orders"
            pending = faulty.pending_loads("amazon", "orders")
            resumed_from.append(bool(pending) and _has_checkpoint(faulty, pending[-1]))
            proxy.requests.clear()
            try:
                landed = pull(faulty, proxy.url, few_retries)
            except IngestionError:
                load_ids.update(faulty.pending_loads("amazon", "orders"))
            first_asked.append(next((r for r in proxy.requests if _GET_ORDERS in r), None))
        tries = len(first_asked)
        running.set_faults(FaultPlan())
        pull(faulty, running.urls["amazon"], few_retries)  # the late updates of the faults
        clean = LandingZone.under(DataPaths(tmp_path / "clean"))
        clean_load = pull(clean, running.urls["amazon"], RetryPolicy())
    finally:
        proxy.stop()
        running.stop()

    assert tries > 1, "the faults should have failed a try (else nothing was resumed)"
    assert load_ids == {landed.load_id} and landed.attempts == tries
    # every try after a kept page asked for the page after it, not for the first page again
    for asked, had_checkpoint in zip(first_asked, resumed_from, strict=True):
        if asked is not None:  # else the try failed before it listed (asking for a token)
            assert ("NextToken=" in asked) == had_checkpoint, asked
    assert sum(resumed_from) >= 1
    assert landed.records >= clean_load.records == clean_load.accepted

    faulty_staged, clean_staged = _staged(tmp_path / "faulty"), _staged(tmp_path / "clean")
    assert faulty_staged["stg_amazon__orders"].height == clean_load.accepted
    for model in _MODELS:
        assert faulty_staged[model].equals(clean_staged[model]), model


def _has_checkpoint(zone: LandingZone, load_id: str) -> bool:
    """Whether a pending load saved where its pull had reached (a page kept, more to come)."""
    state = zone.entity_dir("amazon", "orders") / "_pending" / load_id / "state.json"
    saved = json.loads(state.read_text("utf-8")).get("checkpoint")
    return bool(saved and saved.get("following"))
