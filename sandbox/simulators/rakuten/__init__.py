"""The Rakuten RMS Web Service simulator: the world's shop on 楽天市場.

`app` routes the endpoints and keeps a token bucket per API; `orders` searches the orders,
`order_json` (with `order_parts`) writes them as ``OrderModel``; `inventory` serves and sets
the stock; `format` is how RMS writes dates, numbers and errors.
"""

from __future__ import annotations

from ichigen.sandbox.simulators.rakuten.app import MAX_GET_ORDER, RakutenApp, rate_limits

__all__ = ["MAX_GET_ORDER", "RakutenApp", "rate_limits"]
