"""A channel taken down mid-pull: nothing of the half-done load is built, and the next ingest
resumes it to the same staged orders as a clean run, row for row.

Shopify's orders are pulled over a TCP proxy in front of the simulator (real sockets). A first
pull completes and is built. The business then trades 30 more days, and the next pull is cut
by killing the proxy as the pull asks for its third page. A build then holds exactly what the
completed load held, none of the orders the shop had served to the cut pull. With the proxy
back, the next pull goes on with the same load from the third page (the proxy sees it ask with
that page's cursor, not with the first page's filters), and an incremental build equals a
clean pull of the same shop, built from scratch in another data directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import polars as pl
import pytest

from ichigen.ingestion.errors import IngestionError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.ingestion.pending import PENDING
from ichigen.ingestion.shopify.client import ShopifyClient
from ichigen.ingestion.shopify.pull import ingest_shopify
from ichigen.paths import DataPaths
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.serve import RunningSandbox, start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings
from tests.dbt_cli import run_dbt
from tests.ingestion.tcp_proxy import TcpProxy

# three pulls and four dbt runs of two models
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

_MODELS = ("stg_shopify__orders", "stg_shopify__order_lines")
_ORDERS = "/orders.json"


@pytest.fixture
def shop(sandbox_dir: Path, tmp_path: Path) -> Iterator[tuple[RunningSandbox, Settings]]:
    world = World.load(sandbox_dir / "world")
    settings = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    running = start_sandbox(world, credentials=Credentials.of(settings), only=("shopify",))
    try:
        yield running, settings
    finally:
        running.stop()


def _pull(url: str, settings: Settings, zone: LandingZone, catalogue: set[str]) -> LoadManifest:
    # few, short retries: a channel that is down fails the pull in a second, not minutes
    with ShopifyClient(
        url=url,
        access_token=settings.shopify.access_token.get_secret_value(),
        api_version=settings.shopify.api_version,
        retry=RetryPolicy(max_attempts=3, base_delay_s=0.05, max_delay_s=0.2),
    ) as client:
        return ingest_shopify(client, zone, "orders", catalogue=catalogue)


def _build(data_dir: Path, *, full_refresh: bool = False) -> dict[str, pl.DataFrame]:
    """The staged Shopify orders and lines, built (incrementally unless `full_refresh`), without
    the columns that say when and by which load a row landed."""
    warehouse = DataPaths(data_dir).warehouse
    args = ["run", "--select", *_MODELS, *(["--full-refresh"] if full_refresh else [])]
    done = run_dbt(args, data_dir=data_dir, warehouse=warehouse)
    assert done.returncode == 0, done.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.sql(
                f"select * exclude (_landed_through, _loaded_at, _load_id) from staging.{model} "
                "order by all"
            ).pl()
            for model in _MODELS
        }


def _versions(frame: pl.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["channel_order_id"], frame["updated_at"].cast(pl.String), strict=True))


def test_a_pull_cut_mid_way_is_built_by_no_one_and_the_next_ingest_resumes_to_a_clean_run(
    shop: tuple[RunningSandbox, Settings], world: World, tmp_path: Path
) -> None:
    running, settings = shop
    target = urlsplit(running.urls["shopify"])
    assert target.hostname is not None and target.port is not None
    proxy = TcpProxy(target.hostname, target.port).start()
    catalogue = set(world.tables["skus"]["sku"])
    down = tmp_path / "down"
    zone = LandingZone.under(DataPaths(down))
    try:
        first = _pull(proxy.url, settings, zone, catalogue)
        built = _build(down)["stg_shopify__orders"]
        assert built.height == first.accepted > 0
        completed = _versions(built)

        advanced = httpx.post(
            f"{running.urls['shopify']}/_sandbox/advance", json={"days": 30}, timeout=120.0
        )
        advanced.raise_for_status()
        proxy.requests.clear()
        proxy.cut_when = lambda line: (
            _ORDERS in line and sum(_ORDERS in seen for seen in proxy.requests) >= 3
        )
        with pytest.raises(IngestionError):
            _pull(proxy.url, settings, zone, catalogue)
        # the pull failed after two pages: they wait, pending, and no build reads them
        [pending] = zone.pending_loads("shopify", "orders")
        assert [load.load_id for load in zone.completed_loads("shopify", "orders")] == [
            first.load_id
        ]
        served = pl.read_parquet(
            zone.entity_dir("shopify", "orders") / PENDING / pending / "*.parquet"
        )
        assert served.height == 2 * 250
        new_orders = set(served["_record_key"]) - {key for key, _ in completed}
        assert new_orders, "the cut pull had been served orders placed after the first pull"
        staged = _build(down)["stg_shopify__orders"]
        assert _versions(staged) == completed
        assert not new_orders & set(staged["channel_order_id"])

        proxy.requests.clear()
        proxy.restore()
        resumed = _pull(proxy.url, settings, zone, catalogue)
        asked = [line for line in proxy.requests if _ORDERS in line]
    finally:
        proxy.stop()
    # the same load, gone on with from the third page's cursor rather than from the first page
    assert resumed.load_id == pending and resumed.attempts == 2
    assert "page_info=" in asked[0] and "updated_at_min" not in asked[0]
    assert zone.pending_loads("shopify", "orders") == []
    after = _build(down)

    clean = tmp_path / "clean"
    _pull(running.urls["shopify"], settings, LandingZone.under(DataPaths(clean)), catalogue)
    expected = _build(clean, full_refresh=True)
    assert after["stg_shopify__orders"].height > built.height
    for model in _MODELS:
        assert after[model].equals(expected[model]), model
