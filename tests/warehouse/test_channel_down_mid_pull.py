"""A channel taken down mid-pull: nothing of the half-done load is built, the app warns that the
channel is incomplete, and the next ingest resumes it to the same staged orders as a clean run,
row for row, and the warning goes.

Shopify is pulled as `oms ingest --channel shopify` pulls it (`run_ingest`: its five landing
assets in Dagster, each in its failure-recording wrapper) over a TCP proxy in front of the
simulator (real sockets). A first pull completes and its orders are staged. The business then
trades 30 more days, and the next pull is cut by killing the proxy as the orders pull asks for
its third page: the orders asset fails on the refused connection, and so does every Shopify
asset after it, each with one line. A build (dbt's, of the staged orders and the operations
marts the warning is made from, published as `oms build` publishes) then holds exactly what the
completed load held, none of the orders the shop had served to the cut pull, and the app's
Overview, on that snapshot, warns that Shopify's orders are incomplete and why. With the
proxy back, the next ingest goes on with the same load from the third page (the proxy sees it
ask with that page's cursor, not with the first page's filters); after it and the same build,
the staged orders equal a clean pull of the same shop built from scratch in another data
directory, and the Overview warns about nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import httpx
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.ingestion.pending import PENDING
from ichigen.ingestion.shopify.client import ShopifyClient
from ichigen.ingestion.shopify.pull import ingest_shopify
from ichigen.orchestration.ingest_run import AssetOutcome, run_ingest
from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.serve import RunningSandbox, start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings
from tests.app.conftest import APP_DIR, TIMEOUT_S
from tests.dbt_cli import run_dbt
from tests.ingestion.tcp_proxy import TcpProxy

# four pulls, four dbt runs of a few models, two snapshots and two app runs
pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

# the refunds' relationship test to the orders is selected with the orders
_MODELS = ("stg_shopify__orders", "stg_shopify__order_lines", "stg_shopify__order_refunds")
_ORDERS = "/orders.json"
_SHOPIFY_ASSETS = (
    "shopify_orders",
    "shopify_customers",
    "shopify_products",
    "shopify_locations",
    "shopify_inventory_levels",
)
_WARNING = "Incomplete or stale data"


@pytest.fixture
def shop(sandbox_dir: Path, tmp_path: Path) -> Iterator[tuple[RunningSandbox, Settings]]:
    world = World.load(sandbox_dir / "world")
    settings = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    running = start_sandbox(world, credentials=Credentials.of(settings), only=("shopify",))
    try:
        yield running, settings
    finally:
        running.stop()


def _ingest(settings: Settings) -> dict[str, AssetOutcome]:
    """`oms ingest --channel shopify`'s code path; each asset's outcome by name."""
    return {o.asset: o for o in run_ingest(settings, channel="shopify")}


def _latest_load(zone: LandingZone) -> LoadManifest:
    return zone.completed_loads("shopify", "orders")[-1]


def _clean_pull(url: str, settings: Settings, zone: LandingZone) -> LoadManifest:
    """The orders as the asset pulls them, straight from the simulator."""
    with ShopifyClient(
        url=url,
        access_token=settings.shopify.access_token.get_secret_value(),
        api_version=settings.shopify.api_version,
    ) as client:
        return ingest_shopify(client, zone, "orders")


def _staged(warehouse: Path) -> dict[str, pl.DataFrame]:
    """The staged Shopify orders and lines, without the columns that say when and by which
    load a row landed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: con.sql(
                f"select * exclude (_landed_through, _loaded_at, _load_id) from staging.{model} "
                "order by all"
            ).pl()
            for model in _MODELS
        }


def _build(data_dir: Path, *, full_refresh: bool = False) -> dict[str, pl.DataFrame]:
    """The two staging models alone, built with dbt (incrementally unless `full_refresh`)."""
    warehouse = DataPaths(data_dir).warehouse
    args = ["run", "--select", *_MODELS, *(["--full-refresh"] if full_refresh else [])]
    done = run_dbt(args, data_dir=data_dir, warehouse=warehouse)
    assert done.returncode == 0, done.stdout[-4000:]
    return _staged(warehouse)


def _build_and_publish(settings: Settings) -> dict[str, pl.DataFrame]:
    """What the Overview's warning is made from, built as `oms build` builds it (dbt build:
    the landed loads, the recorded failures, the completeness mart) with the staged orders,
    and published as `oms build` publishes: not the whole warehouse, whose forecasts need the
    supplier's catalogue and more than a Shopify-only landing zone holds."""
    paths = settings.paths
    args = ["build", "--select", *_MODELS, "+fct_channel_completeness"]
    done = run_dbt(args, data_dir=paths.root, warehouse=paths.warehouse)
    assert done.returncode == 0, done.stdout[-4000:]
    publish_snapshot(paths.warehouse, paths.snapshot)
    return _staged(paths.warehouse)


def _overview_warnings(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The completeness warnings the Overview shows on the snapshot published in `data_dir`."""
    monkeypatch.setenv("ICHIGEN_DATA_DIR", str(data_dir))
    monkeypatch.setattr("ichigen.settings.load_dotenv", lambda **_: False)
    at = AppTest.from_file(str(APP_DIR / "views" / "overview.py"), default_timeout=TIMEOUT_S)
    at.session_state["role"] = "viewer"
    at.session_state["user"] = "yui"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return [w.value for w in at.warning if _WARNING in w.value]


def _entity_lines(warning: str) -> dict[str, str]:
    """``shopify orders`` -> its line of the warning."""
    return {line.split("**")[1]: line for line in warning.splitlines() if line.startswith("- **")}


def _failed(outcomes: dict[str, AssetOutcome], names: Sequence[str]) -> list[str]:
    return [name for name in names if not outcomes[name].success]


def _versions(frame: pl.DataFrame) -> set[tuple[str, str]]:
    return set(zip(frame["channel_order_id"], frame["updated_at"].cast(pl.String), strict=True))


def test_a_pull_cut_mid_way_is_built_by_no_one_warned_of_and_the_next_ingest_resumes_it(
    shop: tuple[RunningSandbox, Settings],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    running, base = shop
    target = urlsplit(running.urls["shopify"])
    assert target.hostname is not None and target.port is not None
    proxy = TcpProxy(target.hostname, target.port).start()
    down = tmp_path / "down"
    settings = load_settings(
        {
            "ICHIGEN_DATA_DIR": str(down),
            "ICHIGEN_SHOPIFY_URL": proxy.url,
            "ICHIGEN_RATE_MULTIPLIER": "10",
        },
        dotenv=False,
    )
    zone = LandingZone.under(settings.paths)
    try:
        outcomes = _ingest(settings)
        assert _failed(outcomes, _SHOPIFY_ASSETS) == [], outcomes
        first = _latest_load(zone)
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
        outcomes = _ingest(settings)
        # the orders failed on the refused connection, and so did every asset pulled after
        # them, each at once and in one line
        failed = _failed(outcomes, _SHOPIFY_ASSETS)
        assert "shopify_orders" in failed
        refused = f"shopify: {proxy.url} refused the connection (nothing is listening there)"
        for name in failed:
            error = outcomes[name].error
            assert error is not None and error.startswith(refused), error
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
        staged = _build_and_publish(settings)["stg_shopify__orders"]
        assert _versions(staged) == completed
        assert not new_orders & set(staged["channel_order_id"])
        # the app says so, before any figure, naming the cause and what to do
        (warning,) = _overview_warnings(down, monkeypatch)
        lines = _entity_lines(warning)
        assert set(lines) == {name.replace("_", " ", 1) for name in failed}
        orders = lines["shopify orders"]
        assert "incomplete, the last try failed" in orders
        assert refused in orders and "ICHIGEN_SHOPIFY_URL" in orders

        proxy.requests.clear()
        proxy.restore()
        outcomes = _ingest(settings)
        asked = [line for line in proxy.requests if _ORDERS in line]
    finally:
        proxy.stop()
    assert _failed(outcomes, _SHOPIFY_ASSETS) == [], outcomes
    resumed = _latest_load(zone)
    # the same load, gone on with from the third page's cursor rather than from the first page
    assert resumed.load_id == pending and resumed.attempts == 2
    assert "page_info=" in asked[0] and "updated_at_min" not in asked[0]
    assert zone.pending_loads("shopify", "orders") == []
    after = _build_and_publish(settings)
    assert _overview_warnings(down, monkeypatch) == []

    clean = tmp_path / "clean"
    _clean_pull(running.urls["shopify"], base, LandingZone.under(DataPaths(clean)))
    expected = _build(clean, full_refresh=True)
    assert after["stg_shopify__orders"].height > built.height
    for model in _MODELS:
        assert after[model].equals(expected[model]), model
