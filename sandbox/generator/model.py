"""The static side of the simulation: catalogue plus how channels map onto locations.

A *stream* is one way demand arrives: a channel at the location that fulfils it (Shopify from
Tokyo, Shopify from Osaka, Amazon from FBA, Amazon merchant-fulfilled from Tokyo, a store's
till, a wholesale buyer's warehouse).
A *pair* is a channel-side listing, the quantity a channel believes it may sell.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

from ichigen.sandbox.generator.catalogue import Catalogue, build_catalogue
from ichigen.sandbox.generator.channels import AMAZON_MFN_SHARE, LISTED, SHOPIFY_EAST_SHARE
from ichigen.sandbox.generator.names import PLACES, WHOLESALE_BUYERS
from ichigen.sandbox.generator.presets import Preset
from ichigen.sandbox.schema import CHANNELS

__all__ = ["Model", "build_model"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Model:
    seed: int
    plan: Preset
    start: date
    end: date
    cat: Catalogue
    location_ids: tuple[str, ...]
    source: IntArray  # per location: the warehouse that tops it up, -1 for warehouses
    warehouses: IntArray
    fba: int
    stores: IntArray
    pair_channel: IntArray
    pair_loc: IntArray
    pair_share: FloatArray
    pair_carry: BoolArray  # (pair, sku)
    stream_channel: IntArray
    stream_loc: IntArray
    stream_share: FloatArray  # share of the channel's orders arriving through the stream
    stream_pair: IntArray  # listing the stream sells against, -1 for stores and wholesale
    stream_carry: BoolArray  # (stream, sku)
    buyer_weight: FloatArray
    buyer_stream: IntArray
    orders_per_day: FloatArray  # per channel

    @property
    def n_loc(self) -> int:
        return len(self.location_ids)

    @property
    def n_sku(self) -> int:
        return self.cat.n_skus

    def loc(self, location_id: str) -> int:
        return self.location_ids.index(location_id)


def build_model(seed: int, plan: Preset, start: date, end: date) -> Model:
    cat = build_catalogue(seed, plan, start, end)
    ids = tuple(site.location_id for site in cat.sites)
    source = np.array([ids.index(s.source) if s.source else -1 for s in cat.sites], dtype=np.int64)
    kinds = [s.kind for s in cat.sites]
    stores = np.array([i for i, k in enumerate(kinds) if k == "store"], dtype=np.int64)
    tokyo, osaka, fba = ids.index("WH-TOKYO"), ids.index("WH-OSAKA"), ids.index("FBA-JP")

    pair_channel = np.array([c for c, _, _ in LISTED], dtype=np.int64)
    pair_loc = np.array([ids.index(loc) for _, loc, _ in LISTED], dtype=np.int64)
    pair_share = np.array([s for _, _, s in LISTED])
    pair_carry = cat.carried[pair_channel]

    shopify, amazon, rakuten, pos, wholesale = (CHANNELS.index(c) for c in CHANNELS)

    def listed(channel: int, loc: int) -> int:
        return [(c, ids.index(site)) for c, site, _ in LISTED].index((channel, loc))

    store_weight = np.array([cat.sites[s].pos_weight for s in stores])
    streams: list[tuple[int, int, float, int]] = [
        (shopify, tokyo, SHOPIFY_EAST_SHARE, listed(shopify, tokyo)),
        (shopify, osaka, 1.0 - SHOPIFY_EAST_SHARE, listed(shopify, osaka)),
        (amazon, fba, 1.0 - AMAZON_MFN_SHARE, listed(amazon, fba)),
        (amazon, tokyo, AMAZON_MFN_SHARE, listed(amazon, tokyo)),
        (rakuten, tokyo, 1.0, listed(rakuten, tokyo)),
        *(
            (pos, int(s), float(w / store_weight.sum()), -1)
            for s, w in zip(stores, store_weight, strict=True)
        ),
        (wholesale, tokyo, 0.0, -1),
        (wholesale, osaka, 0.0, -1),
    ]
    stream_channel = np.array([s[0] for s in streams], dtype=np.int64)
    stream_loc = np.array([s[1] for s in streams], dtype=np.int64)
    stream_carry = cat.carried[stream_channel].copy()
    for i, (channel, loc, _, _) in enumerate(streams):
        if channel == pos:
            stream_carry[i] &= cat.in_store[loc]

    buyers = WHOLESALE_BUYERS[: plan.n_wholesale_buyers]
    wholesale_streams = {tokyo: len(streams) - 2, osaka: len(streams) - 1}
    buyer_stream = np.array(
        [wholesale_streams[osaka if PLACES[b[2]][5] == 1 else tokyo] for b in buyers],
        dtype=np.int64,
    )
    return Model(
        seed=seed,
        plan=plan,
        start=start,
        end=end,
        cat=cat,
        location_ids=ids,
        source=source,
        warehouses=np.array([tokyo, osaka], dtype=np.int64),
        fba=fba,
        stores=stores,
        pair_channel=pair_channel,
        pair_loc=pair_loc,
        pair_share=pair_share,
        pair_carry=pair_carry,
        stream_channel=stream_channel,
        stream_loc=stream_loc,
        stream_share=np.array([s[2] for s in streams]),
        stream_pair=np.array([s[3] for s in streams], dtype=np.int64),
        stream_carry=stream_carry,
        buyer_weight=np.array([b[3] for b in buyers]) / sum(b[3] for b in buyers),
        buyer_stream=buyer_stream,
        orders_per_day=np.array([plan.orders_per_day[c] for c in CHANNELS]),
    )
