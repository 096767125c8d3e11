"""Slip kinds and return reasons: what a buyer's 伝票区分 and 返品理由 say, in ichigen's words.

A buyer's system prints every slip it issues in one layout: the purchase order (発注), the
return slip (返品伝票) for goods it sends back, and the red slip (赤伝, 赤伝票) that cancels an
order it placed, written in red ink or with negative quantities and naming the slip it undoes
(元伝票番号). Paper forms keep them apart (the チェーンストア統一伝票 has its own 返品伝票 form,
http://www.mimosa.gr.jp/toitsu/2.html) and EDI sends returns as their own message (流通BMS's
six business processes include 返品, https://www.gs1jp.org/ryutsu-bms/standard/standard01.html),
but the fields are the order's plus the kind and the original slip, so one mapping per buyer
reads all of them.

What the kind cell says is read through the mapping's ``slip_kinds`` (written value -> order,
return or cancellation) over `DEFAULT_SLIP_KINDS`; an empty cell is an order. A return reason
is read through ``return_reasons`` over `DEFAULT_RETURN_REASONS`; one ichigen has no word for is
'other' (the text is kept beside it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Final

__all__ = [
    "DEFAULT_RETURN_REASONS",
    "DEFAULT_SLIP_KINDS",
    "RETURN_REASONS",
    "SLIP_KINDS",
    "normalised_word",
    "reason_of",
    "slip_kind_of",
]

SLIP_KINDS: Final = ("order", "return", "cancellation")
# fct_returns' reasons (the intermediate contract, dbt_project/README.md)
RETURN_REASONS: Final = (
    "size",
    "defect",
    "changed_mind",
    "wrong_item",
    "damaged_in_transit",
    "not_as_described",
    "other",
)


def normalised_word(text: str) -> str:
    """`text` as compared: full-width folded (NFKC), case-folded, spaces removed."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _vocabulary(words: Mapping[str, tuple[str, ...]]) -> dict[str, str]:
    return {
        normalised_word(word): meaning for meaning, spelled in words.items() for word in spelled
    }


DEFAULT_SLIP_KINDS: Final = _vocabulary(
    {
        "order": ("通常", "発注", "注文", "受注", "仕入", "発注書", "注文書", "order", "po"),
        "return": ("返品", "返品伝票", "return", "returns", "return slip"),
        "cancellation": (
            "赤伝",
            "赤伝票",
            "赤",
            "取消",
            "取消し",
            "取り消し",
            "取消伝票",
            "キャンセル",
            "cancel",
            "cancellation",
            "cancelled",
        ),
    }
)
DEFAULT_RETURN_REASONS: Final = _vocabulary(
    {
        "defect": ("不良", "不良品", "初期不良", "品質不良", "defect", "defective"),
        "size": ("サイズ違い", "サイズ交換", "size"),
        "wrong_item": ("誤納品", "誤配送", "品違い", "wrong item"),
        "damaged_in_transit": ("破損", "輸送中破損", "配送中破損", "damaged", "damaged in transit"),
        "not_as_described": ("説明と異なる", "not as described"),
        "changed_mind": ("お客様都合", "都合", "changed mind"),
    }
)


def slip_kind_of(written: str | None, vocabulary: Mapping[str, str]) -> str | None:
    """The kind a written 伝票区分 means (an empty cell: an order); None if unknown."""
    if written is None or not written.strip():
        return "order"
    return vocabulary.get(normalised_word(written))


def reason_of(written: str | None, vocabulary: Mapping[str, str]) -> str:
    """The reason a written 返品理由 means; 'other' when there is none or it is unknown."""
    if written is None:
        return "other"
    return vocabulary.get(normalised_word(written), "other")
