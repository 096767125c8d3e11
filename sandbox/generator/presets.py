"""Size presets of the simulated business: how many products, days, orders and customers.

Volumes are set per channel at the start of the period; trend, seasonality and stockouts move
the realised numbers around them (see `sandbox.generator.seasons` and `.step`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PRESETS", "Preset", "preset"]


@dataclass(frozen=True)
class Preset:
    name: str
    days: int
    target_skus: int
    n_suppliers: int
    n_stores: int
    n_wholesale_buyers: int
    # expected orders per day on an ordinary day at the start, per channel
    orders_per_day: dict[str, float]
    # persons in the customer base, and the share of them already customers before the start
    n_persons: int


PRESETS: dict[str, Preset] = {
    "small": Preset(
        name="small",
        days=365,
        target_skus=300,
        n_suppliers=6,
        n_stores=3,
        n_wholesale_buyers=6,
        orders_per_day={
            "shopify": 34.0,
            "amazon": 27.0,
            "rakuten": 20.0,
            "pos": 30.0,
            "wholesale": 1.0,
        },
        n_persons=16_000,
    ),
    "large": Preset(
        name="large",
        days=730,
        target_skus=3_000,
        n_suppliers=9,
        n_stores=5,
        n_wholesale_buyers=8,
        orders_per_day={
            "shopify": 390.0,
            "amazon": 310.0,
            "rakuten": 230.0,
            "pos": 330.0,
            "wholesale": 5.0,
        },
        n_persons=300_000,
    ),
}


def preset(name: str) -> Preset:
    """The preset called `name`; a clear error names the choices otherwise."""
    try:
        return PRESETS[name]
    except KeyError:
        choices = ", ".join(sorted(PRESETS))
        raise ValueError(f"unknown sandbox scale {name!r}: choose one of {choices}") from None
