"""Shopify Admin REST API simulator, serving the world's web shop under /admin/api/<version>/.

Endpoints (any ``YYYY-MM`` version is accepted, as is ``unstable``):

- ``GET orders.json`` (status, financial_status, fulfillment_status, ids, since_id,
  created_at/updated_at/processed_at _min/_max, order, fields, limit, page_info),
  ``GET orders/count.json``, ``GET orders/{id}.json``;
- ``GET customers.json`` (ids, since_id, created_at/updated_at _min/_max, paged),
  ``GET customers/count.json``, ``GET customers/{id}.json``;
- ``GET products.json`` (ids, since_id, status, created_at/updated_at _min/_max, paged),
  ``GET products/count.json``, ``GET products/{id}.json``;
- ``GET locations.json``, ``GET locations/{id}.json``;
- ``GET inventory_levels.json`` (location_ids and/or inventory_item_ids, updated_at_min,
  paged) and ``POST inventory_levels/set.json`` (absolute quantity, so safe to repeat).

As on Shopify: requests need ``X-Shopify-Access-Token`` (401 otherwise); a leaky bucket of 40
calls leaking 2 per second limits the shop, every answer carries
``X-Shopify-Shop-Api-Call-Limit`` and a full bucket answers 429 with ``Retry-After: 2.0``; list
endpoints page with ``Link`` headers and opaque ``page_info`` (see `paging`).

Given a `DocumentedShop` (documented.py), orders.json and locations.json answer Shopify's own
published example bodies instead of the world's (tests/documented/landers/shopify.py).

Data faults (when the run's `FaultPlan` asks for them): ``duplicates`` makes a "next" page
start a few records early, repeating the end of the page before; ``late_updates`` edits an
order just before a list answer, stamping it a few minutes before the newest visible change,
so that a connector whose cursor does not look back misses it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

import polars as pl

from ichigen.sandbox.simulators.credentials import SANDBOX_CREDENTIALS, ShopifyCredentials
from ichigen.sandbox.simulators.http import (
    HttpError,
    Request,
    Response,
    SimulatorApp,
    json_response,
)
from ichigen.sandbox.simulators.ratelimit import BucketState, LeakyBucket
from ichigen.sandbox.simulators.shopify.catalog import (
    INVENTORY_FILTERS,
    PRODUCT_FILTERS,
    inventory_frame,
    inventory_level_json,
    location_json,
    locations,
    product_frame,
    product_json,
)
from ichigen.sandbox.simulators.shopify.customers import (
    CUSTOMER_FILTERS,
    customer_frame,
    customer_json,
    filter_customers,
)
from ichigen.sandbox.simulators.shopify.documented import DocumentedShop
from ichigen.sandbox.simulators.shopify.order_json import OrderRenderer
from ichigen.sandbox.simulators.shopify.orders import (
    ORDER_FILTERS,
    filter_orders,
    order_frame,
    order_sort_keys,
)
from ichigen.sandbox.simulators.shopify.paging import (
    Page,
    PageRequest,
    SortKey,
    bad_request,
    link_header,
    paginate,
    parse_page_request,
    select_fields,
    sort_by_keys,
)
from ichigen.sandbox.world import World

__all__ = ["ShopifyApp"]

_PREFIX: Final = r"/admin/api/(?P<version>\d{4}-\d{2}|unstable)"
_VERSION: Final = re.compile(_PREFIX)
_INVALID_TOKEN: Final = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)
_THROTTLED: Final = (
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted "
    "service."
)
_MAX_REPEATED: Final = 5  # records a duplicates fault repeats at most
_MAX_LATE_MINUTES: Final = 20


def _unprocessable(message: str) -> HttpError:
    return HttpError(422, message, response=json_response({"errors": [message]}, 422))


def _required(name: str) -> HttpError:
    return bad_request(name, "Required parameter missing or invalid")


class ShopifyApp(SimulatorApp):
    """The web shop's Admin REST API over the shared `World`."""

    name = "shopify"

    def __init__(
        self,
        world: World,
        credentials: ShopifyCredentials = SANDBOX_CREDENTIALS.shopify,
        *,
        bucket: LeakyBucket | None = None,
        documented: DocumentedShop | None = None,
    ) -> None:
        super().__init__()
        self.world = world
        # Shopify's published example bodies, served in place of the world's (documented.py)
        self.documented = documented
        self.access_token = credentials.access_token
        self.bucket = bucket or LeakyBucket(capacity=40, leak_per_s=2.0)
        self._call = threading.local()  # the bucket state of the request this thread serves
        routes = (
            ("GET", r"/orders\.json", self._orders),
            ("GET", r"/orders/count\.json", self._orders_count),
            ("GET", r"/orders/(?P<id>\d+)\.json", self._order),
            ("GET", r"/customers\.json", self._customers),
            ("GET", r"/customers/count\.json", self._customers_count),
            ("GET", r"/customers/(?P<id>\d+)\.json", self._customer),
            ("GET", r"/products\.json", self._products),
            ("GET", r"/products/count\.json", self._products_count),
            ("GET", r"/products/(?P<id>\d+)\.json", self._product),
            ("GET", r"/locations\.json", self._locations),
            ("GET", r"/locations/(?P<id>\d+)\.json", self._location),
            ("GET", r"/inventory_levels\.json", self._inventory_levels),
            ("POST", r"/inventory_levels/set\.json", self._set_inventory_level),
        )
        for method, path, handler in routes:
            self.route(method, _PREFIX + path, handler)

    # --- channel hooks ---------------------------------------------------------------------

    def before(self, request: Request) -> Response | None:
        if request.headers.get("x-shopify-access-token") != self.access_token:
            return json_response({"errors": _INVALID_TOKEN}, status=401)
        state = self.bucket.hit()
        if not state.allowed:
            return self.too_many_requests()
        self._call.state = state
        return None

    def dispatch(self, request: Request) -> Response:
        self._call.state = None
        response = super().dispatch(request)
        state: BucketState | None = self._call.state
        if state is not None:
            response.headers["X-Shopify-Shop-Api-Call-Limit"] = f"{state.used}/{state.capacity}"
        if (version := _VERSION.match(request.path)) is not None:
            response.headers["X-Shopify-API-Version"] = version["version"]
        return response

    def error_body(self, status: int, message: str) -> Response:
        if status == 404:
            return json_response({"errors": "Not Found"}, status=404)
        return json_response({"errors": message}, status=status)

    def too_many_requests(self) -> Response:
        capacity = self.bucket.capacity
        return json_response(
            {"errors": _THROTTLED},
            status=429,
            headers={
                "Retry-After": "2.0",
                "X-Shopify-Shop-Api-Call-Limit": f"{capacity}/{capacity}",
            },
        )

    # --- paging and data faults ------------------------------------------------------------

    def _page(
        self, frame: Callable[[], pl.DataFrame], page: PageRequest, keys: list[SortKey]
    ) -> Page:
        """One page of what `frame()` gives for the request's filters, ordered by `keys`.

        The filtered, ordered frame is kept for the next page of the same query while the
        world stands still (`World.derived`): at a million orders, filtering and sorting them
        for every page was most of a pull's time.
        """
        repeat = 0
        if (
            page.cursor is not None
            and page.cursor.direction == "next"
            and self.faults.chance("duplicates")
        ):
            repeat = 1 + self.faults.pick(_MAX_REPEATED)
        query = f"shopify:{page.resource}:{sorted(page.filters.items())}:{keys}"
        ordered = self.world.derived(query, lambda: sort_by_keys(frame(), keys))
        return paginate(ordered, page, keys, repeat=repeat)

    @staticmethod
    def _paged(
        request: Request, page: PageRequest, result: Page, payload: dict[str, Any]
    ) -> Response:
        link = link_header(request, page, result)
        return json_response(payload, headers={"Link": link} if link else None)

    def _maybe_late_update(self) -> None:
        """The late_updates fault: edit an order with a time just behind the newest change."""
        if not self.faults.chance("late_updates"):
            return
        orders = self.world.visible_orders("shopify")
        if orders.is_empty():
            return
        newest: datetime = orders["updated_at"].max()  # type: ignore[assignment]
        at = newest - timedelta(minutes=1 + self.faults.pick(_MAX_LATE_MINUTES))
        # Orders with a late edit still to come keep it: only unedited ones are touched.
        unedited = self.world.tables["orders"].filter(pl.col("note_updated_at").is_null())
        candidates = orders.filter(
            (pl.col("updated_at") < at)
            & pl.col("cancelled_at").is_null()
            & pl.col("order_id").is_in(unedited["order_id"].implode())
        )
        if candidates.is_empty():
            return
        order_id = candidates["order_id"][self.faults.pick(candidates.height)]
        self.world.touch_order(order_id, at)

    # --- orders ----------------------------------------------------------------------------

    def _documented_orders(self, request: Request, documented: DocumentedShop) -> Response:
        """The documented orders, `limit` a page, the next page's offset in its page_info."""
        limit = min(int(request.arg("limit") or 50), documented.page_size)
        start = int(request.arg("page_info") or 0)
        orders = list(documented.orders[start : start + limit])
        headers = None
        if start + limit < len(documented.orders):
            host = request.headers.get("host", "127.0.0.1")
            url = f"http://{host}{request.path}?limit={limit}&page_info={start + limit}"
            headers = {"Link": f'<{url}>; rel="next"'}
        return json_response({"orders": orders}, headers=headers)

    def _orders(self, request: Request, match: re.Match[str]) -> Response:
        if self.documented is not None:
            return self._documented_orders(request, self.documented)
        page = parse_page_request(request, "orders", filters=ORDER_FILTERS)
        keys = order_sort_keys(page.filters)
        with self.world.lock:
            self._maybe_late_update()
            result = self._page(
                lambda: filter_orders(order_frame(self.world), page.filters), page, keys
            )
            renderer = OrderRenderer(self.world, result.rows)
            orders = [
                select_fields(renderer.render(row), page.fields)
                for row in result.rows.iter_rows(named=True)
            ]
        return self._paged(request, page, result, {"orders": orders})

    def _orders_count(self, request: Request, match: re.Match[str]) -> Response:
        filters = {name: value for name in ORDER_FILTERS if (value := request.arg(name))}
        with self.world.lock:
            count = filter_orders(order_frame(self.world), filters).height
        return json_response({"count": count})

    def _order(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            frame = order_frame(self.world).filter(pl.col("id") == int(match["id"]))
            if frame.is_empty():
                raise HttpError(404, "Not Found")
            order = OrderRenderer(self.world, frame).render(frame.row(0, named=True))
        return json_response({"order": select_fields(order, request.args("fields") or None)})

    # --- customers -------------------------------------------------------------------------

    def _customers(self, request: Request, match: re.Match[str]) -> Response:
        page = parse_page_request(request, "customers", filters=CUSTOMER_FILTERS)
        with self.world.lock:
            result = self._page(
                lambda: filter_customers(customer_frame(self.world), page.filters),
                page,
                [("_k_id", False)],
            )
        customers = [
            select_fields(customer_json(row), page.fields)
            for row in result.rows.iter_rows(named=True)
        ]
        return self._paged(request, page, result, {"customers": customers})

    def _customers_count(self, request: Request, match: re.Match[str]) -> Response:
        filters = {name: value for name in CUSTOMER_FILTERS if (value := request.arg(name))}
        with self.world.lock:
            count = filter_customers(customer_frame(self.world), filters).height
        return json_response({"count": count})

    def _customer(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            frame = customer_frame(self.world).filter(pl.col("id") == int(match["id"]))
        if frame.is_empty():
            raise HttpError(404, "Not Found")
        customer = customer_json(frame.row(0, named=True))
        return json_response({"customer": select_fields(customer, request.args("fields") or None)})

    # --- products --------------------------------------------------------------------------

    def _render_products(self, products: pl.DataFrame) -> list[dict[str, Any]]:
        """Products with their variants (and stock summed over the shop's locations)."""
        stock = (
            self.world.tables["listings"]
            .filter(pl.col("channel") == "shopify")
            .group_by("sku")
            .agg(pl.col("quantity").sum().alias("inventory_quantity"))
        )
        skus = (
            self.world.tables["skus"]
            .filter(
                pl.col("product_id").is_in(products["product_id"].implode())
                & pl.col("shopify_variant_id").is_not_null()
            )
            .join(stock, on="sku", how="left")
            .sort("product_id", "sku")
        )
        variants: dict[str, list[dict[str, Any]]] = {}
        for row in skus.iter_rows(named=True):
            variants.setdefault(row["product_id"], []).append(row)
        vendors = dict(self.world.tables["suppliers"].select("supplier_id", "name").iter_rows())
        return [
            product_json(row, variants.get(row["product_id"], []), vendors.get(row["supplier_id"]))
            for row in products.iter_rows(named=True)
        ]

    def _products(self, request: Request, match: re.Match[str]) -> Response:
        page = parse_page_request(request, "products", filters=PRODUCT_FILTERS)
        with self.world.lock:
            result = self._page(
                lambda: product_frame(self.world, page.filters), page, [("_k_id", False)]
            )
            products = [select_fields(p, page.fields) for p in self._render_products(result.rows)]
        return self._paged(request, page, result, {"products": products})

    def _products_count(self, request: Request, match: re.Match[str]) -> Response:
        filters = {name: value for name in PRODUCT_FILTERS if (value := request.arg(name))}
        with self.world.lock:
            count = product_frame(self.world, filters).height
        return json_response({"count": count})

    def _product(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            frame = product_frame(self.world, {"ids": match["id"]})
            if frame.is_empty():
                raise HttpError(404, "Not Found")
            product = self._render_products(frame)[0]
        return json_response({"product": select_fields(product, request.args("fields") or None)})

    # --- locations and inventory -----------------------------------------------------------

    def _locations(self, request: Request, match: re.Match[str]) -> Response:
        if self.documented is not None:
            return json_response({"locations": list(self.documented.locations)})
        with self.world.lock:
            rows = list(locations(self.world).iter_rows(named=True))
        return json_response({"locations": [location_json(row) for row in rows]})

    def _location(self, request: Request, match: re.Match[str]) -> Response:
        with self.world.lock:
            frame = locations(self.world).filter(pl.col("shopify_location_id") == int(match["id"]))
        if frame.is_empty():
            raise HttpError(404, "Not Found")
        return json_response({"location": location_json(frame.row(0, named=True))})

    def _inventory_levels(self, request: Request, match: re.Match[str]) -> Response:
        page = parse_page_request(request, "inventory_levels", filters=INVENTORY_FILTERS)
        if "location_ids" not in page.filters and "inventory_item_ids" not in page.filters:
            raise _unprocessable("inventory_item_ids, location_ids, or both must be specified")
        with self.world.lock:
            result = self._page(
                lambda: inventory_frame(self.world, page.filters),
                page,
                [("_k_item", False), ("_k_location", False)],
            )
        levels = [
            select_fields(
                inventory_level_json(
                    int(row["inventory_item_id"]),
                    int(row["shopify_location"]),
                    int(row["quantity"]),
                    row["updated_at"],
                ),
                page.fields,
            )
            for row in result.rows.iter_rows(named=True)
        ]
        return self._paged(request, page, result, {"inventory_levels": levels})

    def _set_inventory_level(self, request: Request, match: re.Match[str]) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise _required("inventory_level")
        values: dict[str, int] = {}
        for name in ("location_id", "inventory_item_id", "available"):
            value = body.get(name)
            if isinstance(value, str) and value.lstrip("-").isdigit():
                value = int(value)
            if not isinstance(value, int) or isinstance(value, bool):
                raise _required(name)
            values[name] = value
        if values["available"] < 0:
            raise _unprocessable("Available must be greater than or equal to 0")
        with self.world.lock:
            location = locations(self.world).filter(
                pl.col("shopify_location_id") == values["location_id"]
            )
            if location.is_empty():
                raise _unprocessable(f"Location {values['location_id']} does not exist")
            sku = self.world.tables["skus"].filter(
                pl.col("shopify_inventory_item_id") == values["inventory_item_id"]
            )
            if sku.is_empty():
                raise _unprocessable(f"Inventory item {values['inventory_item_id']} does not exist")
            self.world.set_listing(
                "shopify", sku["sku"][0], location["location_id"][0], values["available"]
            )
            level = inventory_level_json(
                values["inventory_item_id"],
                values["location_id"],
                values["available"],
                self.world.now,
            )
        return json_response({"inventory_level": level})
