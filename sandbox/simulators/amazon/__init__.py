"""The Amazon Selling Partner API simulator: the world's Amazon.co.jp seller account.

`app` routes the operations and keeps a token bucket per operation; `auth` and `tokens` issue
the access and Restricted Data Tokens; `orders` (shapes in `order_json`), `finances`,
`inventory` and `listings` answer one API each; `common` holds what they share. `documented`
serves Amazon's published examples instead of the world's orders.
"""

from __future__ import annotations

from ichigen.sandbox.simulators.amazon.app import REAL_RATES, SANDBOX_RATES, AmazonApp
from ichigen.sandbox.simulators.amazon.documented import DocumentedAccount, empty_world
from ichigen.sandbox.simulators.amazon.order_json import with_status

__all__ = [
    "REAL_RATES",
    "SANDBOX_RATES",
    "AmazonApp",
    "DocumentedAccount",
    "empty_world",
    "with_status",
]
