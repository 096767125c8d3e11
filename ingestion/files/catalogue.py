"""The SKUs and JAN codes an importer checks items against, when a catalogue is at hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["Catalogue"]


@dataclass(frozen=True)
class Catalogue:
    """Known SKUs, and the SKU each JAN barcode stands for."""

    sku_of_jan: Mapping[str, str]
    extra_skus: frozenset[str] = frozenset()  # SKUs without a JAN

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str | None]]) -> Catalogue:
        """From (sku, jan) pairs; a SKU without a JAN is known by its SKU only."""
        sku_of_jan: dict[str, str] = {}
        bare: set[str] = set()
        for sku, jan in pairs:
            if jan:
                sku_of_jan[jan] = sku
            else:
                bare.add(sku)
        return cls(sku_of_jan=sku_of_jan, extra_skus=frozenset(bare))

    @property
    def skus(self) -> frozenset[str]:
        return frozenset(self.sku_of_jan.values()) | self.extra_skus

    @property
    def jans(self) -> frozenset[str]:
        return frozenset(self.sku_of_jan)
