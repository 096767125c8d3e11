"""Pulls cut mid-way resume where they stopped, against the simulators over real sockets.

Each channel is reached through a TCP proxy (`tcp_proxy.TcpProxy`) that is killed as the pull
asks for a chosen request, the way a channel goes down; the proxy then listens again and the
next pull must go on with the same load from where the first stopped, ending equal to a clean
pull. What the proxy saw asked says where each try began.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import polars as pl
import pytest

from ichigen.ingestion.amazon import AmazonClient, AmazonConfig, OrdersPage
from ichigen.ingestion.errors import IngestionError
from ichigen.ingestion.http import RetryPolicy
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.paging import go_on
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates
from ichigen.ingestion.rakuten.client import MAX_GET_ORDER
from ichigen.ingestion.rakuten.pull import ingest_orders
from ichigen.ingestion.supplier.client import SupplierClient
from ichigen.ingestion.supplier.pull import ingest_supplier
from ichigen.sandbox.simulators.rakuten import RakutenApp, rate_limits
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings
from tests.ingestion.tcp_proxy import TcpProxy

# a channel that is down must fail a pull in a moment, not after minutes of backing off
_IMPATIENT = RetryPolicy(max_attempts=2, base_delay_s=0.01, max_delay_s=0.05)


@pytest.fixture
def proxies(sandbox: RunningSandbox) -> Iterator[dict[str, TcpProxy]]:
    started = {}
    for name, url in sandbox.urls.items():
        target = urlsplit(url)
        assert target.hostname is not None and target.port is not None
        started[name] = TcpProxy(target.hostname, target.port).start()
    try:
        yield started
    finally:
        for proxy in started.values():
            proxy.stop()


def _cut_at(proxy: TcpProxy, path: str, nth: int) -> None:
    """Take the channel down as the `nth` request to `path` arrives (before it is answered)."""
    proxy.requests.clear()
    proxy.cut_when = lambda line: sum(path in seen for seen in proxy.requests) >= nth


def _back(proxy: TcpProxy) -> None:
    proxy.requests.clear()
    proxy.restore()


def _latest(zone: LandingZone, channel: str, entity: str) -> pl.DataFrame:
    landed = zone.scan(channel, entity).collect()
    latest = landed.sort("_record_updated_at", "_loaded_at").unique("_record_key", keep="last")
    return latest.select("_record_key", "_record_updated_at", "_raw").sort("_record_key")


def test_a_rakuten_pull_cut_mid_way_asks_getorder_only_for_the_orders_it_lacks(
    sandbox: RunningSandbox, proxies: dict[str, TcpProxy], settings: Settings, world: World
) -> None:
    app = sandbox.servers["rakuten"].app
    assert isinstance(app, RakutenApp)
    app.buckets = rate_limits(rate_per_s=1000, burst=1000)  # RMS's pace would only slow tests
    fast = RakutenRates(search_order=1000, get_order=1000, inventory_get=1000)

    def client(url: str) -> RakutenClient:
        return RakutenClient(
            base_url=url,
            service_secret=settings.rakuten.service_secret.get_secret_value(),
            license_key=settings.rakuten.license_key.get_secret_value(),
            rates=fast,
            retry=_IMPATIENT,
        )

    proxy = proxies["rakuten"]
    zone = LandingZone(settings.data_dir / "cut" / "landing")
    _cut_at(proxy, "/order/getOrder/", 4)
    with client(proxy.url) as rms, pytest.raises(IngestionError):
        ingest_orders(rms, zone, until=world.now)
    [pending] = zone.pending_loads("rakuten", "orders")
    assert zone.scan("rakuten", "orders").select(pl.len()).collect().item() == 0

    _back(proxy)
    with client(proxy.url) as rms:
        # a later `until` is not taken: a resumed load keeps the period it began with
        resumed = ingest_orders(rms, zone, until=world.now + timedelta(days=1))
    with client(sandbox.urls["rakuten"]) as rms:
        clean_zone = LandingZone(settings.data_dir / "clean" / "landing")
        clean = ingest_orders(rms, clean_zone, until=world.now)
    # the same load and period; getOrder asked for the orders the first try had not landed
    assert resumed.manifest.load_id == pending and resumed.manifest.attempts == 2
    assert resumed.until == world.now
    asked = sum("/order/getOrder/" in line for line in proxy.requests)
    held = 3 * MAX_GET_ORDER
    assert asked == math.ceil((clean.manifest.records - held) / MAX_GET_ORDER)
    assert resumed.manifest.records == clean.manifest.records
    assert _latest(zone, "rakuten", "orders").equals(_latest(clean_zone, "rakuten", "orders"))


def test_a_supplier_pull_cut_mid_way_goes_on_from_the_cursor_it_had_reached(
    sandbox: RunningSandbox, proxies: dict[str, TcpProxy], settings: Settings
) -> None:
    def client(url: str) -> SupplierClient:
        return SupplierClient(
            url,
            settings.supplier.api_key.get_secret_value(),
            retry=_IMPATIENT,
            rate_per_s=1000,
            page_limit=25,
        )

    proxy = proxies["supplier"]
    zone = LandingZone(settings.data_dir / "cut" / "landing")
    _cut_at(proxy, "/v1/purchase_orders", 3)
    with client(proxy.url) as supplier, pytest.raises(IngestionError):
        ingest_supplier(supplier, zone, "purchase_orders", part_rows=10)
    [pending] = zone.pending_loads("supplier", "purchase_orders")

    _back(proxy)
    with client(proxy.url) as supplier:
        resumed = ingest_supplier(supplier, zone, "purchase_orders")
    asked = [line for line in proxy.requests if "/v1/purchase_orders" in line]
    with client(sandbox.urls["supplier"]) as supplier:
        clean_zone = LandingZone(settings.data_dir / "clean" / "landing")
        clean = ingest_supplier(supplier, clean_zone, "purchase_orders")
    assert resumed.load_id == pending and resumed.attempts == 2
    assert "cursor=" in asked[0]  # the third page, asked for with the second page's cursor
    pages = math.ceil(clean.records / 25)
    assert len(asked) == pages - 2 and resumed.records == clean.records
    latest = _latest(zone, "supplier", "purchase_orders")
    assert latest.equals(_latest(clean_zone, "supplier", "purchase_orders"))


def test_a_position_the_channel_no_longer_takes_sends_the_listing_back_to_its_first_page(
    sandbox: RunningSandbox, settings: Settings
) -> None:
    account = settings.amazon
    url = sandbox.urls["amazon"]
    config = AmazonConfig(
        url=url,
        lwa_url=f"{url}/auth/o2/token",
        client_id=account.client_id,
        client_secret=account.client_secret.get_secret_value(),
        refresh_token=account.refresh_token.get_secret_value(),
        marketplace_id=account.marketplace_id,
        seller_id=account.seller_id,
    )
    with AmazonClient(config) as amazon:
        start = datetime(2000, 1, 1, tzinfo=UTC)

        def listing(token: str | None) -> Iterator[OrdersPage]:
            return amazon.orders(last_updated_after=start, next_token=token)

        everything = [order["AmazonOrderId"] for page in listing(None) for order in page.orders]
        # an expired or unknown NextToken: Amazon answers 400 InvalidInput
        again = [
            order["AmazonOrderId"]
            for page in go_on(listing, {"following": "expired-token"})
            for order in page.orders
        ]
    assert len(everything) > 100 and again == everything
