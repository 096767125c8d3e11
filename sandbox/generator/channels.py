"""How each channel behaves: baskets, hours, payment methods, returns, and listings.

Channel indices follow `sandbox.schema.CHANNELS`: shopify 0, amazon 1, rakuten 2, pos 3,
wholesale 4.
"""

from __future__ import annotations

from typing import Final

import numpy as np

from ichigen.sandbox.schema import CHANNELS, RETURN_REASONS

__all__ = [
    "AMAZON_MFN_SHARE",
    "CANCEL_REASONS",
    "EXTRA_LINES",
    "HOURS",
    "LISTED",
    "MAX_LINES",
    "ONLINE",
    "PAYMENTS",
    "PAYMENT_P",
    "QUANTITY_P",
    "REASON_P",
    "RETURN_CATEGORY",
    "RETURN_CHANNEL",
    "SHOPIFY_EAST_SHARE",
    "WHOLESALE_LINES",
    "WHOLESALE_UNITS",
]

SHOPIFY, AMAZON, RAKUTEN, POS, WHOLESALE = range(len(CHANNELS))
ONLINE: Final = (SHOPIFY, AMAZON, RAKUTEN)

# Channel-side listings: (channel, location, share of that location's stock listed by hand).
# Shopify, Rakuten and Amazon's merchant-fulfilled (MFN) offer share the Tokyo warehouse and
# were each given a slice of it; Amazon's FBA offer is whatever sits at FBA.
LISTED: Final = (
    (SHOPIFY, "WH-TOKYO", 0.5),
    (SHOPIFY, "WH-OSAKA", 0.9),
    (AMAZON, "FBA-JP", 1.0),
    (AMAZON, "WH-TOKYO", 0.3),
    (RAKUTEN, "WH-TOKYO", 0.35),
)
SHOPIFY_EAST_SHARE: Final = 0.7  # Shopify orders fulfilled from Tokyo rather than Osaka
# Amazon orders the retailer ships itself from Tokyo (MFN) rather than through FBA. A Japanese
# retailer that runs its own warehouse beside FBA keeps FBA for its fast movers (Prime, the buy
# box) and ships the rest of its Amazon range itself, which buyers reach as well: about a third
# of its Amazon orders are merchant-fulfilled.
AMAZON_MFN_SHARE: Final = 1 / 3

# basket: lines beyond the first ~ Poisson(EXTRA_LINES), capped at MAX_LINES
EXTRA_LINES: Final = np.array([0.55, 0.15, 0.6, 0.7, 0.0])
MAX_LINES: Final = np.array([6, 4, 6, 6, 20])
QUANTITY_P: Final = np.array(
    [[0.88, 0.09, 0.03], [0.93, 0.06, 0.01], [0.85, 0.11, 0.04], [0.9, 0.08, 0.02], [1.0, 0, 0]]
)
WHOLESALE_LINES: Final = (2, 4.0)  # at least 2 lines, plus Poisson(4)
WHOLESALE_UNITS: Final = (6, 120)  # per line, in whole case packs

# JST hour-of-day weights: online peaks at night, stores open 10-21, buyers order in office hours
_NIGHT_OWL = (2, 1, 0.6, 0.4, 0.3, 0.4, 0.8, 1.5, 2.2, 2.5, 2.8, 3.0,
              3.6, 3.0, 2.8, 2.8, 2.9, 3.0, 3.3, 3.9, 4.6, 5.2, 5.0, 3.5)  # fmt: skip
_STORE = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.6,
    1.0,
    1.3,
    1.5,
    1.4,
    1.3,
    1.3,
    1.4,
    1.5,
    1.3,
    0.8,
    0,
    0,
    0,
)
_OFFICE = (
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0.8,
    1.5,
    1.3,
    0.6,
    1.2,
    1.4,
    1.3,
    1.1,
    0.8,
    0.3,
    0,
    0,
    0,
    0,
    0,
)
HOURS: Final = np.array([_NIGHT_OWL, _NIGHT_OWL, _NIGHT_OWL, _STORE, _OFFICE])

PAYMENTS: Final = ("credit_card", "konbini", "cod", "bank_transfer", "invoice", "cash")
PAYMENT_P: Final = np.array(
    [
        [0.72, 0.12, 0.10, 0.06, 0.0, 0.0],
        [0.85, 0.08, 0.07, 0.0, 0.0, 0.0],
        [0.70, 0.09, 0.10, 0.11, 0.0, 0.0],
        [0.56, 0.0, 0.0, 0.0, 0.0, 0.44],
        [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
    ]
)
CANCEL_REASONS: Final = ("customer", "payment_timeout", "out_of_stock", "fraud")

# Return probability of a delivered line: category base times channel factor. Fit and feel
# drive returns, so shoes and tops lead; customers rarely bring things back to a store.
RETURN_CATEGORY: Final = np.array([0.07, 0.055, 0.045, 0.10, 0.02, 0.015])
RETURN_CHANNEL: Final = np.array([1.2, 1.5, 1.0, 0.3, 0.1])
# reason probabilities (RETURN_REASONS order) for apparel & shoes vs accessories & home
_APPAREL_REASONS = (0.50, 0.08, 0.20, 0.05, 0.04, 0.13)
_GOODS_REASONS = (0.0, 0.22, 0.35, 0.10, 0.13, 0.20)
REASON_P: Final = np.array([_APPAREL_REASONS] * 4 + [_GOODS_REASONS] * 2)
assert REASON_P.shape[1] == len(RETURN_REASONS)
