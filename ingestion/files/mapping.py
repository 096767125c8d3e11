"""Wholesale column mappings: how one buyer's order sheets say what, written once per buyer.

A mapping is a small YAML or TOML file (see ``mappings/`` for one per layout the sandbox's
buyers use)::

    buyers: [WB001]          # buyer codes (folders under the wholesale drop folder) it is for
    format: csv              # csv or xlsx; default: from the file's extension
    encoding: cp932          # csv only; "auto" (default) tells UTF-8, UTF-8+BOM and CP932 apart
    sheet: 注文書             # xlsx only; default: the first sheet
    header_row: 1            # the 1-based row (CSV line) that holds the column headers
    date_format: "%Y/%m/%d"  # how dates are written as text; Excel date cells need none
    columns:                 # field: the header of the column that holds it
      po_no: 発注番号
      sku: 品番              # or jan: the column holding JAN barcodes
      quantity: 数量
      unit_price: 単価
      order_date: 発注日
    cells:                   # field: a cell above the table (A1 notation), e.g. a letterhead
      order_date: B3
    slip_kinds:              # what the slip_kind column (or cell) says -> order|return|cancellation
      "01": order            # over `slips.DEFAULT_SLIP_KINDS` (通常, 返品, 赤伝, ...); empty: order
      "02": return
    return_reasons:          # what the reason column says -> a return reason (fct_returns'),
      "D": defect            # over `slips.DEFAULT_RETURN_REASONS`; unknown: 'other'

``po_no``, ``quantity``, ``unit_price`` and one of ``sku`` or ``jan`` are required; the other
fields are in `FIELDS`. Returns (返品伝票) and red slips (赤伝) are read through the same mapping:
``slip_kind`` says which a slip is, ``original_po_no`` names the order it returns or cancels
(元伝票番号), ``reason`` the return's reason (see `slips`); a sheet may lack these columns (it
is then an order; `OPTIONAL_FIELDS`). A mapping without ``buyers`` is
chosen for any sheet whose header row holds all of its columns (and only if no other mapping
fits too).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

import yaml

from ichigen.ingestion.errors import MappingError
from ichigen.ingestion.files.slips import (
    DEFAULT_RETURN_REASONS,
    DEFAULT_SLIP_KINDS,
    RETURN_REASONS,
    SLIP_KINDS,
    normalised_word,
)

__all__ = [
    "DATE_FIELDS",
    "FIELDS",
    "NUMBER_FIELDS",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "WholesaleMapping",
    "load_mapping",
    "load_mappings",
]

FIELDS: Final = (
    "po_no",  # the buyer's purchase-order number
    "order_date",
    "delivery_date",  # the delivery day the buyer asks for
    "line_no",
    "sku",
    "jan",
    "product_name",
    "colour",
    "size",
    "quantity",
    "unit_price",  # JPY, tax-inclusive
    "amount",
    "customer",  # the buyer's name as the sheet writes it
    "slip_kind",  # 伝票区分: order, return (返品) or cancellation (赤伝), see `slips`
    "original_po_no",  # 元伝票番号: the purchase order a return or red slip refers to
    "reason",  # 返品理由, as written
)
REQUIRED_FIELDS: Final = ("po_no", "quantity", "unit_price")
DATE_FIELDS: Final = frozenset({"order_date", "delivery_date"})
NUMBER_FIELDS: Final = frozenset({"line_no", "quantity", "unit_price", "amount"})
# Columns a sheet may lack (it is then an order): a buyer's order export need not carry the
# slip columns its return slips have.
OPTIONAL_FIELDS: Final = frozenset({"slip_kind", "original_po_no", "reason"})
_SETTINGS: Final = frozenset(
    {
        "buyers",
        "format",
        "encoding",
        "sheet",
        "header_row",
        "date_format",
        "columns",
        "cells",
        "slip_kinds",
        "return_reasons",
    }
)
_CELL: Final = re.compile(r"^[A-Z]{1,3}[1-9][0-9]*$")
_SUFFIXES: Final = (".yaml", ".yml", ".toml")


@dataclass(frozen=True)
class WholesaleMapping:
    source: Path  # the mapping file, named in every error
    columns: Mapping[str, str]  # field -> header
    cells: Mapping[str, str] = field(default_factory=dict)  # field -> A1 reference
    buyers: tuple[str, ...] = ()
    file_format: Literal["csv", "xlsx"] | None = None
    encoding: str = "auto"
    sheet: str | None = None
    header_row: int = 1
    date_format: str | None = None
    # normalised written word -> meaning (`slips`), the defaults and the mapping's own
    slip_kinds: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_SLIP_KINDS))
    return_reasons: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_RETURN_REASONS))

    @property
    def name(self) -> str:
        return self.source.stem

    @property
    def item_field(self) -> Literal["sku", "jan"]:
        return "sku" if "sku" in self.columns else "jan"

    def accepts(self, file_format: str) -> bool:
        return self.file_format is None or self.file_format == file_format


def _parse(path: Path) -> Any:
    text = path.read_text("utf-8")
    try:
        return tomllib.loads(text) if path.suffix == ".toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise MappingError(path, f"is not valid {path.suffix[1:].upper()}: {exc}") from None


def _fields(path: Path, raw: Any, what: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise MappingError(path, f"{what} must map fields to names, not {raw!r}")
    unknown = [name for name in raw if name not in FIELDS]
    if unknown:
        raise MappingError(path, f"{what} names unknown fields {unknown}; fields are {FIELDS}")
    bad = [name for name, value in raw.items() if not isinstance(value, str) or not value.strip()]
    if bad:
        raise MappingError(path, f"{what} gives no name for {bad}")
    return {name: str(value).strip() for name, value in raw.items()}


def _vocabulary(
    path: Path, raw: Any, what: str, meanings: tuple[str, ...], defaults: Mapping[str, str]
) -> dict[str, str]:
    """`defaults` with the mapping's own words (written value -> meaning) over them."""
    if raw is None:
        return dict(defaults)
    if not isinstance(raw, dict):
        raise MappingError(path, f"{what} must map written values to meanings, not {raw!r}")
    unknown = {str(k): v for k, v in raw.items() if v not in meanings}
    if unknown:
        raise MappingError(path, f"{what} gives meanings {unknown} that are not in {meanings}")
    return {**defaults, **{normalised_word(str(word)): str(v) for word, v in raw.items()}}


def load_mapping(path: Path) -> WholesaleMapping:
    """Read and check one mapping file; MappingError names the file and what is wrong."""
    raw = _parse(path)
    if not isinstance(raw, dict):
        raise MappingError(path, "must hold settings (columns:, header_row:, ...) at its top level")
    unknown = sorted(set(raw) - _SETTINGS)
    if unknown:
        raise MappingError(path, f"unknown settings {unknown}; settings are {sorted(_SETTINGS)}")
    columns = _fields(path, raw.get("columns"), "columns")
    cells = _fields(path, raw.get("cells"), "cells")
    both = sorted(set(columns) & set(cells))
    if both:
        raise MappingError(path, f"{both} are mapped both to a column and to a cell")
    given = set(columns) | set(cells)
    missing = [name for name in REQUIRED_FIELDS if name not in given]
    if missing:
        raise MappingError(path, f"maps no column for {missing}, which every order line needs")
    if "sku" not in columns and "jan" not in columns:
        raise MappingError(path, "maps no column for sku or jan: which column names the item?")
    for name, ref in cells.items():
        if not _CELL.match(ref):
            raise MappingError(path, f"cell {ref!r} for {name} is not like B3", column=ref)
    header_row = raw.get("header_row", 1)
    if not isinstance(header_row, int) or isinstance(header_row, bool) or header_row < 1:
        raise MappingError(path, f"header_row must be a row number from 1, not {header_row!r}")
    file_format = raw.get("format")
    if file_format not in (None, "csv", "xlsx"):
        raise MappingError(path, f"format must be csv or xlsx, not {file_format!r}")
    buyers = raw.get("buyers") or []
    if not isinstance(buyers, list):
        buyers = [buyers]
    date_format = raw.get("date_format")
    return WholesaleMapping(
        source=path,
        columns=columns,
        cells=cells,
        buyers=tuple(str(buyer) for buyer in buyers),
        file_format=file_format,
        encoding=str(raw.get("encoding") or "auto"),
        sheet=str(raw["sheet"]) if raw.get("sheet") is not None else None,
        header_row=header_row,
        date_format=str(date_format) if date_format else None,
        slip_kinds=_vocabulary(
            path, raw.get("slip_kinds"), "slip_kinds", SLIP_KINDS, DEFAULT_SLIP_KINDS
        ),
        return_reasons=_vocabulary(
            path,
            raw.get("return_reasons"),
            "return_reasons",
            RETURN_REASONS,
            DEFAULT_RETURN_REASONS,
        ),
    )


def load_mappings(directory: Path) -> list[WholesaleMapping]:
    """Every mapping file in `directory`, in name order."""
    return [
        load_mapping(path)
        for path in sorted(directory.iterdir())
        if path.suffix in _SUFFIXES and not path.name.startswith(".")
    ]
