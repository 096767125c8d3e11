"""Rakuten: RMS's documented getOrder answers (tests/fixtures/rakuten/), landed by the connector.

The Rakuten simulator answers searchOrder and getOrder from the documented bodies
(`DocumentedOrders`) over 127.0.0.1, with its own authentication and paging; the real pull,
`ingest_orders`, lands them. Two pulls, as a scheduled connector would make them: between them
one order is returned in part and RMS rewrites it in place, so the second pull lands its
reduced version over the first.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl

from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.rakuten import RakutenClient, RakutenRates, ingest_orders
from ichigen.paths import DataPaths
from ichigen.sandbox.schema import TABLES
from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS
from ichigen.sandbox.simulators.http import SimulatorServer
from ichigen.sandbox.simulators.rakuten import RakutenApp, rate_limits
from ichigen.sandbox.simulators.rakuten.documented import DocumentedOrders, order_models

FIXTURES: Final = Path(__file__).resolve().parents[2] / "fixtures" / "rakuten"
FIRST_PULL: Final = (
    "getorderitem_sample.json",
    "derived_cod_rakuten_coupon.json",
    "derived_two_packages.json",
    "derived_two_tax_rates.json",
    "derived_postage_not_determined.json",
    "derived_item_coupon.json",
    "derived_partial_return_first_pull.json",
)
# the return of order ...269 happened between the pulls; order ...270 is first seen after its own
SECOND_PULL: Final = (
    *(name for name in FIRST_PULL if name != "derived_partial_return_first_pull.json"),
    "derived_partial_return_second_pull.json",
    "derived_partial_return_unobserved.json",
)
# the pulls' ends, in the documented orders' time (RMS searches at most 730 days back)
FIRST_UNTIL: Final = datetime(2023, 4, 20, tzinfo=UTC)
SECOND_UNTIL: Final = datetime(2023, 5, 1, tzinfo=UTC)


def _bodies(names: tuple[str, ...]) -> list[dict[str, Any]]:
    return order_models(json.loads((FIXTURES / name).read_text("utf-8")) for name in names)


def land(data_dir: Path) -> None:
    from ichigen.sandbox.world import World

    # the documented shop has no world of its own: an empty one keeps the simulator's clock
    empty = {name: pl.DataFrame(schema=schema) for name, schema in TABLES.items()}
    world = World(empty, now=FIRST_UNTIL, manifest={})
    documented = DocumentedOrders(_bodies(FIRST_PULL))
    app = RakutenApp(world, documented=documented, buckets=rate_limits(rate_per_s=1000, burst=1000))
    server = SimulatorServer(app).start()
    paths = DataPaths(data_dir)
    zone = LandingZone(paths.landing, quarantine_root=paths.quarantine)
    credentials = SANDBOX_CREDENTIALS.rakuten
    try:
        with RakutenClient(
            base_url=server.base_url,
            service_secret=credentials.service_secret,
            license_key=credentials.license_key,
            rates=RakutenRates(search_order=1000, get_order=1000),
        ) as client:
            ingest_orders(client, zone, until=FIRST_UNTIL)
            documented.replace(_bodies(SECOND_PULL))
            with world.lock:
                world.now = SECOND_UNTIL
            ingest_orders(client, zone, until=SECOND_UNTIL)
    finally:
        server.stop()
