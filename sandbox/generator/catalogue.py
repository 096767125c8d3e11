"""The assortment: suppliers, products, their SKUs, and the locations that hold stock.

`build_catalogue` is a pure function of (seed, preset, start, end), so live trading rebuilds
the same demand parameters (popularity, assortment per channel) that the history used without
storing them anywhere the pipeline could read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from ichigen.sandbox.generator.names import (
    COLOURS,
    PRODUCT_BASES,
    PRODUCT_MODIFIERS,
    SUPPLIER_NAMES,
)
from ichigen.sandbox.generator.presets import Preset
from ichigen.sandbox.generator.randomness import random_strings, rng_for
from ichigen.sandbox.generator.seasons import CATEGORIES
from ichigen.sandbox.schema import LOCATIONS, PRODUCTS, SKUS, SUPPLIERS

__all__ = ["Catalogue", "Location", "build_catalogue", "locations_for"]

_CATEGORY_SHARE = np.array([0.26, 0.17, 0.12, 0.12, 0.18, 0.15])
# (low, high) retail price in JPY, tax included
_PRICE_RANGE = np.array(
    [[1_990, 9_900], [3_990, 12_900], [8_900, 39_000], [5_900, 19_800], [990, 7_900], [990, 5_900]]
)
_CASE_PACKS = ((5, 10), (5, 10), (4, 5), (6, 6), (10, 20), (6, 12))
# which suppliers make which categories (index into SUPPLIER_NAMES)
_SUPPLIER_CATEGORIES: Final = (
    (0, 1, 2),
    (0, 1, 2, 4),
    (1, 2),
    (0, 1, 2),
    (4, 5),
    (3,),
    (3,),
    (0,),
    (5,),
    (4,),
)
_LETTER_SIZES: Final = (("S", "M", "L"), ("M", "L", "XL"), ("S", "M", "L", "XL"), ("F",))
_LETTER_WEIGHT: Final = {"S": 0.2, "M": 0.35, "L": 0.3, "XL": 0.15, "F": 1.0}
_SHOE_SIZES: Final = (
    ("22", "23", "24", "25"),
    ("25", "26", "27", "28"),
    ("23", "24", "25", "26", "27"),
)
_SHOE_WEIGHT: Final = {"22": 0.5, "23": 0.9, "24": 1.0, "25": 1.0, "26": 1.0, "27": 0.8, "28": 0.5}
# which share of products each channel carries; stores below
_CARRY_SHARE = {"shopify": 1.0, "amazon": 0.7, "rakuten": 0.8, "wholesale": 0.9}


@dataclass(frozen=True)
class Location:
    location_id: str
    name: str
    kind: str
    shopify_location_id: int | None
    prefecture: str
    address: str
    source: str | None  # the warehouse that tops this location up; None for warehouses
    pos_weight: float  # share of store traffic


_ALL_LOCATIONS: Final = (
    Location(
        "WH-TOKYO",
        "東京倉庫",
        "warehouse",
        61_023_485_123,
        "東京都",
        "江東区新木場2-4-8",
        None,
        0.0,
    ),
    Location(
        "WH-OSAKA",
        "大阪倉庫",
        "warehouse",
        61_023_485_187,
        "大阪府",
        "大阪市住之江区南港北1-7-3",
        None,
        0.0,
    ),
    Location(
        "FBA-JP", "Amazon FBA 日本", "fba", None, "千葉県", "市川市塩浜2-13-1", "WH-TOKYO", 0.0
    ),
    Location("ST-SHIBUYA", "渋谷店", "store", None, "東京都", "渋谷区神南1-14-5", "WH-TOKYO", 0.38),
    Location(
        "ST-SHINJUKU", "新宿店", "store", None, "東京都", "新宿区新宿3-30-11", "WH-TOKYO", 0.34
    ),
    Location(
        "ST-UMEDA", "梅田店", "store", None, "大阪府", "大阪市北区梅田1-8-16", "WH-OSAKA", 0.28
    ),
    Location(
        "ST-YOKOHAMA", "横浜店", "store", None, "神奈川県", "横浜市西区南幸1-5-1", "WH-TOKYO", 0.25
    ),
    Location(
        "ST-FUKUOKA",
        "福岡天神店",
        "store",
        None,
        "福岡県",
        "福岡市中央区天神2-11-1",
        "WH-OSAKA",
        0.2,
    ),
)


def locations_for(n_stores: int) -> tuple[Location, ...]:
    """Warehouses, FBA and the first `n_stores` stores, in a fixed order (the array axis)."""
    return _ALL_LOCATIONS[: 3 + n_stores]


@dataclass(frozen=True)
class Catalogue:
    """The assortment as tables plus the per-SKU arrays the demand model runs on."""

    products: pl.DataFrame
    skus: pl.DataFrame
    suppliers: pl.DataFrame
    locations: pl.DataFrame
    sites: tuple[Location, ...]
    weight: npt.NDArray[np.float64]  # relative popularity of each SKU
    category: npt.NDArray[np.int64]  # index into CATEGORIES
    launch_day: npt.NDArray[np.int64]  # day index of launched_on
    supplier: npt.NDArray[np.int64]  # row of `suppliers`
    case_pack: npt.NDArray[np.int64]
    moq: npt.NDArray[np.int64]
    price: npt.NDArray[np.int64]
    wholesale_price: npt.NDArray[np.int64]
    carried: npt.NDArray[np.bool_]  # (channel, sku): shopify, amazon, rakuten, pos, wholesale
    in_store: npt.NDArray[np.bool_]  # (location, sku): True where the store stocks the SKU
    lead_mean: npt.NDArray[np.float64]  # per supplier
    lead_sd: npt.NDArray[np.float64]

    @property
    def n_skus(self) -> int:
        return int(self.weight.size)


def _nice_price(raw: npt.NDArray[np.float64], rng: np.random.Generator) -> npt.NDArray[np.int64]:
    # Japanese shelf prices end in 00 or 90: 4,900 or 3,990
    hundreds = np.round(raw / 100.0).astype(np.int64) * 100
    return np.where(rng.random(raw.size) < 0.5, hundreds - 10, hundreds)


def _jan_codes(n: int) -> list[str]:
    # GS1 Japan prefix 45 + a made-up company code, 5-digit item reference, check digit
    body = np.array([f"4569951{i:05d}" for i in range(n)])
    digits = np.array([list(map(int, b)) for b in body], dtype=np.int64).reshape(n, 12)
    weights = np.tile([1, 3], 6)
    check = (10 - (digits @ weights) % 10) % 10
    return [f"{b}{c}" for b, c in zip(body, check, strict=True)]


def build_catalogue(seed: int, plan: Preset, start: date, end: date) -> Catalogue:
    rng = rng_for(seed, "catalogue")
    n_days = (end - start).days + 1
    suppliers_used = list(range(plan.n_suppliers))
    cat_suppliers = [
        [s for s in suppliers_used if c in _SUPPLIER_CATEGORIES[s]] for c in range(len(CATEGORIES))
    ]

    # Draw more products than needed, expand to variants, keep the prefix that fits the target.
    pool = plan.target_skus
    cat = rng.choice(len(CATEGORIES), size=pool, p=_CATEGORY_SHARE)
    n_colours = np.where(
        cat <= 2,
        rng.choice([1, 2, 3, 4], size=pool, p=[0.3, 0.35, 0.23, 0.12]),
        np.where(cat == 3, rng.choice([1, 2], size=pool), rng.choice([1, 2, 3], size=pool)),
    )
    size_set = rng.integers(0, 3, size=pool)
    letter_set = rng.choice(4, size=pool, p=[0.3, 0.2, 0.4, 0.1])
    sizes_per: list[tuple[str, ...]] = [
        _LETTER_SIZES[int(letter_set[i])]
        if cat[i] <= 2
        else (_SHOE_SIZES[int(size_set[i])] if cat[i] == 3 else ("F",))
        for i in range(pool)
    ]
    n_variants = n_colours * np.array([len(s) for s in sizes_per])
    n_products = int(np.searchsorted(np.cumsum(n_variants), plan.target_skus)) + 1
    n_products = min(n_products, pool)
    cat = cat[:n_products]

    popularity = rng.lognormal(0.0, 1.35, size=n_products)
    supplier = np.array([rng.choice(cat_suppliers[int(c)]) for c in cat], dtype=np.int64)
    price_lo, price_hi = _PRICE_RANGE[cat, 0], _PRICE_RANGE[cat, 1]
    price = _nice_price(np.exp(rng.uniform(np.log(price_lo), np.log(price_hi))), rng)
    cost = (np.round(price * rng.uniform(0.28, 0.42, n_products) / 10) * 10).astype(np.int64)
    wholesale = (np.round(price * rng.uniform(0.5, 0.6, n_products) / 10) * 10).astype(np.int64)
    pack_choice = rng.integers(0, 2, n_products)
    case_pack = np.array(
        [_CASE_PACKS[int(c)][int(k)] for c, k in zip(cat, pack_choice, strict=True)]
    )
    moq = case_pack * rng.choice([1, 2, 4, 6, 10], size=n_products, p=[0.25, 0.3, 0.25, 0.12, 0.08])

    # Most of the range predates the period; some launch during it, a few just after the clock.
    phase = rng.random(n_products)
    launch_offset = np.where(
        phase < 0.78,
        -rng.integers(30, 1_000, n_products),
        np.where(
            phase < 0.97,
            rng.integers(min(7, n_days - 1), max(n_days - 1, 8), n_products),
            n_days + rng.integers(3, 31, n_products),
        ),
    )
    launch_offset[-1] = n_days + 14  # at least one product is on its way when the clock stops

    bases = [PRODUCT_BASES[CATEGORIES[int(c)]] for c in cat]
    base_pick = [int(rng.integers(len(b))) for b in bases]
    mod_pick = rng.integers(len(PRODUCT_MODIFIERS), size=n_products)
    titles_ja: list[str] = []
    titles_en: list[str] = []
    seen: dict[str, int] = {}
    for i in range(n_products):
        ja = f"{PRODUCT_MODIFIERS[int(mod_pick[i])][0]} {bases[i][base_pick[i]][0]}"
        en = f"{PRODUCT_MODIFIERS[int(mod_pick[i])][1]} {bases[i][base_pick[i]][1]}"
        seen[ja] = seen.get(ja, 0) + 1
        if seen[ja] > 1:  # a second line of the same kind gets a model number, as shops do
            ja, en = f"{ja} No.{seen[ja]}", f"{en} No.{seen[ja]}"
        titles_ja.append(ja)
        titles_en.append(en)

    product_ids = [f"P{i + 1:04d}" for i in range(n_products)]
    shopify_product = 8_100_000_000_000 + np.cumsum(rng.integers(10_000, 9_000_000, n_products))
    channel_share = rng.random((len(_CARRY_SHARE), n_products))
    store_draw = rng.random(n_products)

    # variants
    rows_p: list[int] = []
    colour_codes: list[str] = []
    colour_names: list[str] = []
    sizes: list[str] = []
    variant_w: list[float] = []
    for i in range(n_products):
        colours = rng.choice(len(COLOURS), size=int(n_colours[i]), replace=False)
        for rank, col in enumerate(colours):
            for size in sizes_per[i]:
                rows_p.append(i)
                colour_codes.append(COLOURS[int(col)][0])
                colour_names.append(COLOURS[int(col)][1])
                sizes.append(size)
                size_w = _LETTER_WEIGHT.get(size) or _SHOE_WEIGHT[size]
                variant_w.append(size_w / (1.0 + 0.6 * rank))
    p_idx = np.array(rows_p, dtype=np.int64)
    n_skus = p_idx.size
    sku_ids = [
        f"{product_ids[p]}-{code}-{size}"
        for p, code, size in zip(rows_p, colour_codes, sizes, strict=True)
    ]
    launch_dates = [start + timedelta(days=int(d)) for d in launch_offset]

    carried = np.ones((5, n_skus), dtype=bool)
    carried[1] = channel_share[1][p_idx] < _CARRY_SHARE["amazon"]
    carried[2] = channel_share[2][p_idx] < _CARRY_SHARE["rakuten"]
    carried[4] = channel_share[3][p_idx] < _CARRY_SHARE["wholesale"]
    sites = locations_for(plan.n_stores)
    in_store = np.zeros((len(sites), n_skus), dtype=bool)
    store_reach = (0.85, 0.8, 0.7, 0.7, 0.65)
    for li, loc in enumerate(sites):
        if loc.kind == "store":
            in_store[li] = store_draw[p_idx] < store_reach[li - 3]
    carried[3] = in_store.any(axis=0)

    asin = random_strings(rng, n_skus, 8, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    fnsku = random_strings(rng, n_skus, 7, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    variant_ids = 44_800_000_000_000 + np.cumsum(rng.integers(10_000, 5_000_000, n_skus))
    item_ids = 46_900_000_000_000 + np.cumsum(rng.integers(10_000, 5_000_000, n_skus))
    on_amazon, on_rakuten = carried[1], carried[2]
    product_on_rakuten = channel_share[2] < _CARRY_SHARE["rakuten"]

    products = pl.DataFrame(
        {
            "product_id": product_ids,
            "title": titles_ja,
            "title_en": titles_en,
            "category": [CATEGORIES[int(c)] for c in cat],
            "supplier_id": [f"SUP{s + 1:02d}" for s in supplier],
            "launched_on": launch_dates,
            "shopify_product_id": shopify_product,
            "rakuten_manage_number": [
                f"ichigen-{pid.lower()}" if on else None
                for pid, on in zip(product_ids, product_on_rakuten, strict=True)
            ],
        },
        schema=PRODUCTS,
    )
    skus = pl.DataFrame(
        {
            "sku": sku_ids,
            "product_id": [product_ids[p] for p in rows_p],
            "colour": colour_names,
            "size": sizes,
            "jan": _jan_codes(n_skus),
            "price_jpy": price[p_idx],
            "wholesale_price_jpy": wholesale[p_idx],
            "cost_jpy": cost[p_idx],
            "moq": moq[p_idx],
            "case_pack": case_pack[p_idx],
            "launched_on": [launch_dates[p] for p in rows_p],
            "shopify_variant_id": variant_ids,
            "shopify_inventory_item_id": item_ids,
            "asin": [f"B0{a}" if on else None for a, on in zip(asin, on_amazon, strict=True)],
            "fnsku": [f"X00{f}" if on else None for f, on in zip(fnsku, on_amazon, strict=True)],
            "rakuten_variant_id": [
                f"{s.lower()}" if on else None for s, on in zip(sku_ids, on_rakuten, strict=True)
            ],
        },
        schema=SKUS,
    )
    names = [SUPPLIER_NAMES[s] for s in suppliers_used]
    suppliers = pl.DataFrame(
        {
            "supplier_id": [f"SUP{s + 1:02d}" for s in suppliers_used],
            "name": [n[0] for n in names],
            "lead_time_days_mean": [n[2] for n in names],
            "lead_time_days_sd": [n[3] for n in names],
            "email": [f"orders@{n[1]}" for n in names],
        },
        schema=SUPPLIERS,
    )
    locations = pl.DataFrame(
        {
            "location_id": [s.location_id for s in sites],
            "name": [s.name for s in sites],
            "kind": [s.kind for s in sites],
            "shopify_location_id": [s.shopify_location_id for s in sites],
            "prefecture": [s.prefecture for s in sites],
            "address": [s.address for s in sites],
        },
        schema=LOCATIONS,
    )
    return Catalogue(
        products=products,
        skus=skus,
        suppliers=suppliers,
        locations=locations,
        sites=sites,
        weight=popularity[p_idx] * np.array(variant_w),
        category=cat[p_idx].astype(np.int64),
        launch_day=launch_offset[p_idx].astype(np.int64),
        supplier=supplier[p_idx],
        case_pack=case_pack[p_idx].astype(np.int64),
        moq=moq[p_idx].astype(np.int64),
        price=price[p_idx].astype(np.int64),
        wholesale_price=wholesale[p_idx].astype(np.int64),
        carried=carried,
        in_store=in_store,
        lead_mean=np.array([n[2] for n in names]),
        lead_sd=np.array([n[3] for n in names]),
    )
