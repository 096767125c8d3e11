"""The Shopify Admin REST API simulator: the world's web shop.

`app` routes the endpoints and keeps Shopify's leaky bucket; `orders`, `customers` and
`catalog` select what each resource shows as of the world's clock; `order_json` and `format`
write it as Shopify does; `paging` is the cursor paging every list endpoint shares.
"""

from __future__ import annotations

from ichigen.sandbox.simulators.shopify.app import ShopifyApp

__all__ = ["ShopifyApp"]
