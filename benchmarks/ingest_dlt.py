"""The dlt reference: its ``rest_api`` source loading the sandbox's endpoints into DuckDB.

Run as ``python -m benchmarks.ingest_dlt WORK_DIR`` by `benchmarks.ingest`, in a fresh
interpreter, with the channels' URLs and credentials in the environment (as for `oms ingest`).
Each channel is one pipeline run (extract, normalise, load), timed whole.

Which endpoints, and why only these:

- Shopify: orders, customers, products and locations follow the ``Link`` header
  (``header_link``) with the same filters and page size as our connector; inventory levels are
  asked for per location, resolved from the locations resource (we ask for 50 locations at a
  time: the same records in more requests).
- supplier: suppliers (one page), each supplier's catalogue (resolved from the suppliers) and
  purchase orders (``cursor`` paging on ``next_cursor``).
- not Amazon: every SP-API call needs an access token from a Login with Amazon
  ``refresh_token`` grant, which none of dlt's auth classes sends (its OAuth2 class does
  client credentials), and our orders embed each order's items from a getOrderItems call per
  order; a custom auth class and child resource could do it, but then it is our code, not dlt's.
- not Rakuten: searchOrder pages with a page number inside a POST body, and getOrder takes the
  numbers found 100 at a time in another POST body: neither is a rest_api paginator.

Prints one JSON object on the last line of stdout: records, seconds, per-channel figures.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any, cast

__all__ = ["main"]

_SHOPIFY_PAGE = 250
_SUPPLIER_PAGE = 500


def _shopify_config() -> dict[str, Any]:
    from ichigen.settings import load_settings

    shopify = load_settings().shopify
    prefix = f"admin/api/{shopify.api_version}"

    def listing(name: str, **params: Any) -> dict[str, Any]:
        return {
            "name": name,
            "endpoint": {
                "path": f"{prefix}/{name}.json",
                "params": {"limit": _SHOPIFY_PAGE, **params},
                "data_selector": name,
                "paginator": "header_link",
            },
        }

    levels = listing("inventory_levels", location_ids="{resources.locations.id}")
    return {
        "client": {
            "base_url": shopify.url.rstrip("/") + "/",
            "auth": {
                "type": "api_key",
                "name": "X-Shopify-Access-Token",
                "api_key": shopify.access_token.get_secret_value(),
                "location": "header",
            },
        },
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            listing("orders", status="any", order="updated_at asc"),
            listing("customers"),
            listing("products"),
            listing("locations"),
            levels,
        ],
    }


def _supplier_config() -> dict[str, Any]:
    from ichigen.settings import load_settings

    supplier = load_settings().supplier
    return {
        "client": {
            "base_url": supplier.url.rstrip("/") + "/v1/",
            "auth": {"type": "bearer", "token": supplier.api_key.get_secret_value()},
        },
        "resource_defaults": {"write_disposition": "append"},
        "resources": [
            {
                "name": "suppliers",
                "endpoint": {
                    "path": "suppliers",
                    "data_selector": "data",
                    "paginator": "single_page",
                },
            },
            {
                "name": "catalogue",
                "endpoint": {
                    "path": "suppliers/{resources.suppliers.id}/catalogue",
                    "data_selector": "items",
                    "paginator": "single_page",
                },
            },
            {
                "name": "purchase_orders",
                "endpoint": {
                    "path": "purchase_orders",
                    "params": {"limit": _SUPPLIER_PAGE},
                    "data_selector": "data",
                    "paginator": {
                        "type": "cursor",
                        "cursor_path": "next_cursor",
                        "cursor_param": "cursor",
                    },
                },
            },
        ],
    }


def _count(rows: Any) -> int:
    return int(rows[0][0])


def _load(channel: str, config: dict[str, Any], work: Path) -> dict[str, Any]:
    import dlt
    from dlt.sources.rest_api import rest_api_source

    pipeline = dlt.pipeline(
        pipeline_name=f"bench_{channel}",
        pipelines_dir=str(work / "pipelines"),
        destination=dlt.destinations.duckdb(str(work / f"{channel}.duckdb")),
        dataset_name="raw",  # not the database's own name, which DuckDB would find ambiguous
    )
    started = time.perf_counter()
    # cast: the source takes a TypedDict; this one is built as a plain dict
    pipeline.run(rest_api_source(cast(Any, config)))
    seconds = time.perf_counter() - started
    tables = [resource["name"] for resource in config["resources"]]
    with pipeline.sql_client() as client:
        counts = {
            table: _count(
                client.execute_sql(
                    f"select count(*) from {client.make_qualified_table_name(table)}"
                )
            )
            for table in tables
        }
    return {"seconds": seconds, "records": sum(counts.values()), "tables": counts}


def main(argv: list[str]) -> None:
    work = Path(argv[0])
    os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
    channels = {
        "shopify": _load("shopify", _shopify_config(), work),
        "supplier": _load("supplier", _supplier_config(), work),
    }
    print(
        json.dumps(
            {
                "channels": channels,
                "records": sum(c["records"] for c in channels.values()),
                "seconds": sum(c["seconds"] for c in channels.values()),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
