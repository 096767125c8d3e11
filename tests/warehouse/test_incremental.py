"""Incremental models equal a full refresh on the same landing.

One data directory ingests the test world (API channels and the POS and wholesale files) and is
built; the world then trades a week more, which lands again, and the same warehouse is built
incrementally. A second warehouse is built from scratch on that landing. Every incremental
model must hold the same rows in both, apart from `_landed_through` (when each row was built).
fct_demand_daily's incremental build is checked the same way, with two late arrivals that change
its history: an order on a quiet day weeks back, and an empty stock snapshot of a day long past.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from ichigen.ingestion.landing import LandingZone
from ichigen.orchestration.ingest_run import run_ingest
from ichigen.orchestration.warehouse import dbt_build_args
from ichigen.sandbox.drops import write_drops
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.serve import start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings
from tests.dbt_cli import run_dbt

# two ingests of the test world and three dbt builds: minutes, more on a loaded machine
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

_INCREMENTAL = (
    "stg_shopify__orders",
    "stg_shopify__order_lines",
    "stg_shopify__refunds",
    "stg_shopify__order_refunds",
    "stg_shopify__order_customers",
    "stg_shopify__customers",
    "stg_amazon__orders",
    "stg_amazon__order_lines",
    "stg_amazon__customers",
    "stg_rakuten__orders",
    "stg_rakuten__order_lines",
    "stg_rakuten__customers",
    "stg_pos__order_lines",
    "stg_pos__orders",
    "stg_pos__refunds",
    "stg_pos__members",
    "stg_wholesale__order_lines",
    "stg_stock__snapshots",
)


_INCREMENTAL_MARTS = (
    "marts.fct_demand_daily",
    "marts.agg_demand_channel_daily",
    "marts.fct_orders",
    "marts.fct_order_lines",
    "intermediate.int_identities_normalised",
)


def _dbt_run(
    data_dir: Path, warehouse: Path, *, full_refresh: bool = False, select: str = ""
) -> None:
    """Build the incremental models (or `select`) and what the order unions need beside them."""
    everything = [*_INCREMENTAL, *(f"+{model.split('.')[1]}" for model in _INCREMENTAL_MARTS)]
    args = dbt_build_args(full_refresh=full_refresh, select=select or " ".join(everything))
    done = run_dbt(args, data_dir=data_dir, warehouse=warehouse)
    assert done.returncode == 0, done.stdout[-4000:]


def _ingest(settings: Settings) -> None:
    failed = [o.describe() for o in run_ingest(settings) if not o.success]
    assert not failed, failed


def _rows(warehouse: Path, model: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        query = f"select * exclude (_landed_through) from staging.{model} order by all"
        return con.sql(query).fetchall()


def _mart_rows(warehouse: Path, relation: str) -> list[tuple[object, ...]]:
    """A mart's (or an incremental intermediate model's) rows, its floating-point columns to 9
    places: sums over rows that arrive in another order differ in the last bits."""
    schema, model = relation.split(".")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, model],
        ).fetchall()
        shown = ", ".join(
            f"round({name}, 9) as {name}" if kind == "DOUBLE" else name for name, kind in columns
        )
        # `_built_at`: which build wrote the row
        shown = shown.replace(", _built_at", "")
        return con.sql(f"select {shown} from {relation} order by all").fetchall()


def _late_arrivals(data_dir: Path, warehouse: Path) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """From a built warehouse: a Shopify order copied onto a day weeks back that its SKU's
    shelf had no sale on, between two other such days (it splits a quiet run), its landing key,
    and an empty stock snapshot of a shelf's quiet day long past that no snapshot had flagged."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(_SINGLE_LINE_ORDERS)
        con.execute(
            """
            create temp table quiet as
            with shelf as (
                select sku, location_id, demand_date, sum(units_ordered) as units,
                    bool_or(stockout_evidence = 'snapshot') as flagged
                from marts.fct_demand_daily
                where channel != 'wholesale'
                group by all
            ),
            days as (
                select *, lag(units) over w as before, lead(units) over w as after
                from shelf
                window w as (partition by sku, location_id order by demand_date)
            )
            select sku, location_id, demand_date
            from days
            where units = 0 and before = 0 and after = 0 and not flagged
                and demand_date < (select max(demand_date) - 21 from marts.fct_demand_daily)
            """
        )
        found = con.execute(
            """
            select quiet.sku, quiet.location_id, quiet.demand_date, min(orders.channel_order_id)
            from quiet
            inner join marts.fct_orders as orders
                on orders.channel = 'shopify' and orders.location_id = quiet.location_id
            inner join staging.stg_shopify__order_lines as lines
                on lines.channel_order_id = orders.channel_order_id and lines.sku = quiet.sku
            where orders.channel_order_id in (select channel_order_id from single_line_orders)
            group by all
            order by all
            limit 1
            """
        ).fetchone()
        assert found is not None, "the test world has no quiet Shopify day to land on"
        sku, location, day, template_id = found
        empty = con.execute(
            "select sku, location_id, demand_date from quiet "
            "where (sku, location_id) != (?, ?) order by all limit 1",
            [sku, location],
        ).fetchone()
        assert empty is not None, "the test world has no second quiet shelf"
        empty_sku, empty_location, empty_day = empty
        (shopify_location,) = con.execute(
            "select shopify_location_id from seeds.inventory_locations where location_id = ?",
            [location],
        ).fetchone() or (None,)
    raw = _landed_order(data_dir, template_id)
    order = _copied_order(raw, sku, suffix="LATE", offset=1)
    # the copy has no fulfillments, which named the template's location: name it on the order
    order["location_id"] = shopify_location
    order["created_at"] = order["processed_at"] = f"{day.isoformat()}T12:00:00+09:00"
    snapshot = {
        "location_id": empty_location,
        "sku": empty_sku,
        "on_hand": "0",
        "snapshot_at": f"{empty_day.isoformat()}T00:00:00+09:00",
        "_file": f"{empty_location}/stock_{empty_day:%Y%m%d}.csv",
        "_file_version": 1,
        "_row": 1,
    }
    return order, f"{location}:{sku}", snapshot


def _shelf_rows(warehouse: Path, shelf: str) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select count(*) from marts.fct_demand_daily where location_id || ':' || sku = ?",
            [shelf],
        ).fetchone()
    return 0 if found is None else int(found[0])


def _landed_order(data_dir: Path, order_id: str) -> str:
    """A landed Shopify order's JSON."""
    landed = LandingZone(data_dir / "landing").entity_dir("shopify", "orders")
    with duckdb.connect() as con:
        raw = con.execute(
            f"select _raw from read_parquet('{landed}/*.parquet') where _record_key = ? limit 1",
            [order_id],
        ).fetchone()
    assert raw is not None, order_id
    return str(raw[0])


# Templates for the orders the test lands: a copy keeps only its line of one SKU, so a template
# of one line keeps its totals adding up (fct_orders' tests check that they do).
_SINGLE_LINE_ORDERS = """
    create temp view single_line_orders as
    select channel_order_id
    from staging.stg_shopify__order_lines
    group by channel_order_id
    having count(*) = 1
"""


def _copied_order(raw: str, sku: str, *, suffix: str, offset: int) -> dict[str, Any]:
    """A landed Shopify order as a new order of its own with only its line of `sku`: none of
    the template's refunds or fulfilments (their ids are unique)."""
    order: dict[str, Any] = json.loads(raw)
    order["id"] = int(order["id"]) + offset * 10**9
    order["name"] = f"{order['name']}-{suffix}"
    order["refunds"], order["fulfillments"] = [], []
    order["updated_at"] = datetime.now().astimezone().isoformat()
    order["line_items"] = [line for line in order["line_items"] if line.get("sku") == sku]
    return order


def _order_on_a_new_shelf(data_dir: Path, warehouse: Path) -> tuple[dict[str, Any], str, str]:
    """A Shopify order copied to the other warehouse, where its SKU never sold (a shelf of its
    own), another SKU the shop sells and the new shelf's key."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute(_SINGLE_LINE_ORDERS)
        found = con.execute(
            """
            with locations as (
                select shopify_location_id, location_id from seeds.inventory_locations
                where shopify_location_id is not null
            )
            select orders.channel_order_id, lines.sku,
                (select min(sku) from staging.stg_shopify__order_lines where sku != lines.sku),
                other.shopify_location_id, other.location_id
            from marts.fct_orders as orders
            inner join staging.stg_shopify__order_lines as lines using (channel_order_id)
            inner join locations as other on other.location_id != orders.location_id
            where lines.sku is not null and orders.channel = 'shopify'
            and orders.channel_order_id in (select channel_order_id from single_line_orders)
            and not exists (
                select 1 from marts.fct_demand_daily as demand
                where demand.sku = lines.sku and demand.location_id = other.location_id
            )
            order by all
            limit 1
            """
        ).fetchone()
        assert found is not None, "every SKU the test world sells on Shopify sells everywhere"
        template_id, sku, other_sku, elsewhere, elsewhere_id = found
    raw = _landed_order(data_dir, template_id)
    order = _copied_order(raw, sku, suffix="MOVED", offset=2)
    order["location_id"] = elsewhere
    return order, other_sku, f"{elsewhere_id}:{sku}"


def _land_order(data_dir: Path, order: dict[str, Any]) -> None:
    zone = LandingZone(data_dir / "landing")
    with zone.open_load("shopify", "orders", source="test") as load:
        load.add(
            [order], key=lambda r: str(r["id"]), updated_at=lambda r: datetime.now().astimezone()
        )
        load.commit()


def _land_snapshot(data_dir: Path, snapshot: dict[str, Any]) -> None:
    zone = LandingZone(data_dir / "landing")
    with zone.open_load("stock", "snapshots", source="test") as load:
        load.add(
            [snapshot],
            key=lambda r: f"{r['location_id']}:{r['sku']}",
            updated_at=lambda r: datetime.fromisoformat(str(r["snapshot_at"])),
        )
        load.commit()


def test_an_incremental_build_after_more_landed_equals_a_full_refresh(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    world = World.load(sandbox_dir / "world")
    data_dir = tmp_path / "data"
    drops = data_dir / "sandbox" / "drops"
    write_drops(
        world.tables,
        drops,
        start=datetime.fromisoformat(str(world.manifest["start"])),
        end=world.now,
    )
    base = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    running = start_sandbox(
        world, credentials=Credentials.of(base), drops_dir=drops, unthrottled=True
    )
    try:
        env = running.environment(data_dir, drops)
        settings = load_settings(env, dotenv=False)
        _ingest(settings)
        incremental = data_dir / "warehouse" / "ichigen.duckdb"
        _dbt_run(data_dir, incremental)
        before = {model: len(_rows(incremental, model)) for model in _INCREMENTAL}
        identities = len(_mart_rows(incremental, "intermediate.int_identities_normalised"))
        # an order on a shelf of its own, built; later its line turns into another SKU, and
        # the shelf is gone (while its SKU's other shelves do not change that day)
        moved, other_sku, gone_shelf = _order_on_a_new_shelf(data_dir, incremental)
        _land_order(data_dir, moved)
        _dbt_run(data_dir, incremental)
        assert _shelf_rows(incremental, gone_shelf) > 0

        advanced = httpx.post(
            f"{running.urls['shopify']}/_sandbox/advance", json={"days": 7}, timeout=120.0
        )
        advanced.raise_for_status()
        assert advanced.json()["orders_created"] > 0
        _ingest(settings)
    finally:
        running.stop()
    late_order, late_shelf, late_snapshot = _late_arrivals(data_dir, incremental)
    _land_order(data_dir, late_order)
    _land_snapshot(data_dir, late_snapshot)
    moved["updated_at"] = datetime.now().astimezone().isoformat()
    moved["line_items"] = [line | {"sku": other_sku} for line in moved["line_items"]]
    _land_order(data_dir, moved)

    _dbt_run(data_dir, incremental)
    full = tmp_path / "full" / "ichigen.duckdb"
    _dbt_run(data_dir, full, full_refresh=True)
    for model in _INCREMENTAL:
        built, rebuilt = _rows(incremental, model), _rows(full, model)
        assert built == rebuilt, model
    for model in _INCREMENTAL_MARTS:
        assert _mart_rows(incremental, model) == _mart_rows(full, model), model
    with duckdb.connect(str(full), read_only=True) as con:
        # the late arrivals did reach the demand history
        late_units = con.execute(
            "select sum(units_ordered) from marts.fct_demand_daily "
            "where location_id || ':' || sku = ? and demand_date = cast(? as date)",
            [late_shelf, late_order["created_at"][:10]],
        ).fetchone()
        flagged = con.execute(
            "select count(*) from marts.fct_demand_daily where location_id = ? and sku = ? "
            "and demand_date = cast(? as date) and stockout_evidence = 'snapshot'",
            [late_snapshot["location_id"], late_snapshot["sku"], late_snapshot["snapshot_at"][:10]],
        ).fetchone()
    assert late_units is not None and late_units[0] > 0, (late_shelf, late_order["created_at"])
    assert _shelf_rows(full, gone_shelf) == 0
    assert flagged is not None and flagged[0] > 0, late_snapshot
    # the week landed new orders, lines and till sales, not only re-pulls of known ones
    for model in ("stg_shopify__orders", "stg_shopify__order_lines", "stg_pos__order_lines"):
        assert len(_rows(full, model)) > before[model], model
    assert len(_mart_rows(full, "intermediate.int_identities_normalised")) > identities


def _land_orders(
    data_dir: Path, channel: str, records: list[dict[str, Any]], *, key: str, ordered: str
) -> None:
    """One load of a channel's orders, after dating the parts landed before it an hour back:
    landed before the last build, which rereads only the last minute's parts."""
    zone = LandingZone(data_dir / "landing")
    then = time.time() - 3600
    for part in zone.entity_dir(channel, "orders").glob("*.parquet"):
        os.utime(part, (then, then))
    with zone.open_load(channel, "orders", source="test") as load:
        load.add(
            records,
            key=lambda r: str(r[key]),
            updated_at=lambda r: datetime.fromisoformat(str(r[ordered])),
        )
        load.commit()


def _land_rakuten_orders(data_dir: Path, orders: list[tuple[str, str, str]]) -> None:
    """One load of Rakuten orders by one member: (order number, orderDatetime, phone)."""
    records = [
        {
            "orderNumber": number,
            "orderDatetime": ordered,
            "OrdererModel": {
                "emailAddress": "member1@pc.fw.rakuten.ne.jp",
                "familyName": "佐藤",
                "firstName": "花子",
                "phoneNumber1": "090",
                "phoneNumber2": phone,
                "phoneNumber3": "0000",
            },
        }
        for number, ordered, phone in orders
    ]
    _land_orders(data_dir, "rakuten", records, key="orderNumber", ordered="orderDatetime")


def _land_rakuten_lines(data_dir: Path, orders: list[tuple[str, list[tuple[str, int]]]]) -> None:
    """One load of Rakuten orders placed on one day: (order number, [(itemDetailId, units)])."""
    records = [
        {
            "orderNumber": number,
            "orderDatetime": "2026-03-01T10:00:00+09:00",
            "PackageModelList": [
                {
                    "basketId": 1,
                    "ItemModelList": [
                        {
                            "itemDetailId": detail,
                            "manageNumber": "tee",
                            "itemNumber": f"TEE-{detail}",
                            "units": units,
                            "priceTaxIncl": 1100,
                        }
                        for detail, units in lines
                    ],
                }
            ],
        }
        for number, lines in orders
    ]
    _land_orders(data_dir, "rakuten", records, key="orderNumber", ordered="orderDatetime")


def _land_amazon_orders(data_dir: Path, orders: list[tuple[str, str, str, str | None]]) -> None:
    """One load of Amazon orders by one buyer: (order id, PurchaseDate, city, phone or None
    for an FBA order, which shows none)."""
    records = []
    for number, ordered, city, phone in orders:
        address = {"City": city, "PostalCode": "150-0041", "AddressLine1": f"{city} 1-2-3"}
        records.append(
            {
                "AmazonOrderId": number,
                "PurchaseDate": ordered,
                "LastUpdateDate": ordered,
                "BuyerInfo": {
                    "BuyerEmail": "buyer1@marketplace.amazon.co.jp",
                    "BuyerName": "山田 太郎",
                },
                "ShippingAddress": address if phone is None else address | {"Phone": phone},
            }
        )
    _land_orders(data_dir, "amazon", records, key="AmazonOrderId", ordered="PurchaseDate")


def _built_load_by_load(
    tmp_path: Path, model: str, land: Callable[[Path, list[Any]], None], loads: list[list[Any]]
) -> Path:
    """Lands each load and builds `model` after it (the first build full, the rest
    incremental); the result must equal a full build of the same landing."""
    data_dir, warehouse = tmp_path / "data", tmp_path / "wh" / "ichigen.duckdb"
    for orders in loads:
        land(data_dir, orders)
        _dbt_run(data_dir, warehouse, select=model)
    full = tmp_path / "full" / "ichigen.duckdb"
    _dbt_run(data_dir, full, full_refresh=True, select=model)
    assert _rows(warehouse, model) == _rows(full, model)
    return warehouse


def test_a_rakuten_member_built_before_keeps_the_first_order_a_later_build_does_not_read(
    tmp_path: Path,
) -> None:
    model = "stg_rakuten__customers"
    warehouse = _built_load_by_load(
        tmp_path,
        model,
        _land_rakuten_orders,
        [
            [
                ("A", "2026-01-05T10:00:00+09:00", "1111"),
                ("B", "2026-03-01T10:00:00+09:00", "2222"),
            ],
            # a new order: the member's latest details, but the first order stays January's
            [("C", "2026-04-01T10:00:00+09:00", "3333")],
            # an older order landed late: the first order moves back, the details stay April's
            [("Z", "2025-12-20T10:00:00+09:00", "9999")],
        ],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        member = con.sql(f"select phone, created_at, last_ordered_at from staging.{model}")
        rows = member.fetchall()
    assert rows == [
        (
            "090-3333-0000",
            datetime.fromisoformat("2025-12-20T10:00:00+09:00"),
            datetime.fromisoformat("2026-04-01T10:00:00+09:00"),
        )
    ]


def test_an_amazon_buyer_built_before_keeps_the_phone_and_first_order_a_later_build_does_not_read(
    tmp_path: Path,
) -> None:
    model = "stg_amazon__customers"
    warehouse = _built_load_by_load(
        tmp_path,
        model,
        _land_amazon_orders,
        [
            [
                ("A", "2026-01-05T01:00:00Z", "渋谷区", "090-1111-0000"),
                ("B", "2026-03-01T01:00:00Z", "新宿区", None),
            ],
            # a new FBA order: the latest address, while the phone stays the January order's
            [("C", "2026-04-01T01:00:00Z", "品川区", None)],
            # an older order landed late: the first order moves back; its phone is older
            [("Z", "2025-12-20T01:00:00Z", "目黒区", "090-9999-0000")],
        ],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(f"select phone, city, created_at from staging.{model}").fetchall()
    assert rows == [
        ("090-1111-0000", "品川区", datetime.fromisoformat("2025-12-20T01:00:00+00:00")),
    ]


def test_rakuten_lines_built_before_keep_the_units_first_ordered_and_the_lines_a_version_drops(
    tmp_path: Path,
) -> None:
    model = "stg_rakuten__order_lines"
    warehouse = _built_load_by_load(
        tmp_path,
        model,
        _land_rakuten_lines,
        [
            [("A", [("1", 3), ("2", 1)]), ("B", [("3", 2)])],
            # order A's partial return lowers line 1 to one unit and no longer lists line 2
            [("A", [("1", 1)])],
            # a later version of A again: what was ordered stays three units
            [("A", [("1", 1)])],
        ],
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            f"select channel_order_id, channel_line_id, quantity, current_units, line_number "
            f"from staging.{model} order by all"
        ).fetchall()
    assert rows == [("A", "1", 3, 1, 1), ("A", "2", 1, 1, 2), ("B", "3", 2, 2, 1)]
