"""Wholesale order sheets: each buyer's purchase orders, read through that buyer's mapping.

Sheets live in ``<buyer code>/`` folders under the wholesale drop folder, CSV or XLSX, one
purchase order per file. The mapping for a sheet is the one that lists its buyer, or else the
one mapping whose columns its header row holds (see `mapping`). A mapping that does not fit
its sheet (no such sheet or column, no header where it says) is the user's to fix: the sheet
lands nothing and MappingError names the file, the row and the column.

Each line lands as the mapped fields, normalised (dates as ``YYYY-MM-DD``, numbers without
thousands separators, JAN codes resolved to SKUs when a catalogue is given), beside the cells
as the sheet holds them (``_cells``) and ``_row`` (the row number Excel shows, or the CSV
line). A value that does not read as its field says (a quantity of "2個") is noted in
``_problems`` and the contract quarantines that line with it.

Returns (返品伝票) and red slips (赤伝) come the same way, one slip per file (see `slips`):
each line lands with ``slip_kind`` (order, return or cancellation) and a positive quantity and
amount, however the slip wrote them (red ink is often a minus sign); a return or red slip names
the order it refers to in ``original_po_no``, a return its reason in ``return_reason`` (with the
text as written in ``reason``). What cannot be read that way is quarantined with the reason: a
kind the mapping does not know, a return or red slip that names no original order, a negative
quantity on an order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Final

import polars as pl
from openpyxl.utils.cell import coordinate_to_tuple

from ichigen.ingestion.errors import FileImportError, MappingError
from ichigen.ingestion.files.catalogue import Catalogue
from ichigen.ingestion.files.folder import DroppedFile, ImportResult, import_folder
from ichigen.ingestion.files.mapping import (
    DATE_FIELDS,
    NUMBER_FIELDS,
    OPTIONAL_FIELDS,
    WholesaleMapping,
    load_mappings,
)
from ichigen.ingestion.files.purchase_orders import hold_back_broken_orders
from ichigen.ingestion.files.sheets import SheetReader, Table
from ichigen.ingestion.files.slips import reason_of, slip_kind_of
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator, Contract

__all__ = [
    "EXAMPLE_MAPPINGS",
    "choose_mapping",
    "import_wholesale",
    "mappings_fingerprint",
    "read_wholesale",
    "wholesale_contract",
    "wholesale_key",
]

EXAMPLE_MAPPINGS: Final = Path(__file__).parent / "mappings"
MAX_QUANTITY: Final = 1_000_000
MAX_PRICE_JPY: Final = 100_000_000
_ISO_DATE: Final = "%Y-%m-%d"


@dataclass(frozen=True)
class _Located:
    """Where a mapping finds its fields in one table."""

    columns: dict[str, int]  # field -> 0-based column index
    header: list[str]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # a code typed into Excel as a number: 4901234567890.0
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _header(table: Table, mapping: WholesaleMapping) -> list[str] | None:
    if mapping.header_row > len(table.rows):
        return None
    return [_text(cell) or "" for cell in table.rows[mapping.header_row - 1]]


def _missing_columns(table: Table, mapping: WholesaleMapping) -> list[str]:
    header = _header(table, mapping) or []
    return [
        wanted
        for name, wanted in mapping.columns.items()
        if wanted not in header and name not in OPTIONAL_FIELDS
    ]


def _locate(file: DroppedFile, table: Table, mapping: WholesaleMapping) -> _Located:
    header = _header(table, mapping)
    if header is None:
        raise MappingError(
            file.path,
            f"has {len(table.rows)} rows but mapping {mapping.source.name} puts the header on "
            f"row {mapping.header_row}",
            row=mapping.header_row,
        )
    columns: dict[str, int] = {}
    for name, wanted in mapping.columns.items():
        hits = [i for i, cell in enumerate(header) if cell == wanted]
        if not hits and name in OPTIONAL_FIELDS:
            continue  # e.g. an order sheet without the slip columns its returns have
        if not hits:
            raise MappingError(
                file.path,
                f"the header row has no column {wanted!r} for {name} (mapping "
                f"{mapping.source.name}); it holds {[h for h in header if h]}",
                row=mapping.header_row,
                column=wanted,
            )
        if len(hits) > 1:
            raise MappingError(
                file.path,
                f"the header row has {len(hits)} columns named {wanted!r}; map one unambiguously",
                row=mapping.header_row,
                column=wanted,
            )
        columns[name] = hits[0]
    return _Located(columns=columns, header=header)


def choose_mapping(
    file: DroppedFile, reader: SheetReader, mappings: Sequence[WholesaleMapping], buyer: str | None
) -> tuple[WholesaleMapping, Table]:
    """The mapping for a sheet: the one listing its buyer, else the only one that fits."""
    usable = [m for m in mappings if m.accepts(reader.format)]
    bound = [m for m in usable if buyer is not None and buyer in m.buyers]
    if bound:
        mapping = bound[0]
        return mapping, reader.table(encoding=mapping.encoding, sheet=mapping.sheet)
    fitting: list[tuple[WholesaleMapping, Table]] = []
    closest: tuple[int, WholesaleMapping, list[str]] | None = None
    for mapping in (m for m in usable if not m.buyers):
        try:
            table = reader.table(encoding=mapping.encoding, sheet=mapping.sheet)
        except MappingError:
            continue  # not this mapping's sheet name
        except FileImportError:
            if mapping.encoding == "auto":
                raise  # undecodable or unreadable whatever the mapping
            continue  # not this mapping's encoding
        missing = _missing_columns(table, mapping)
        if not missing:
            fitting.append((mapping, table))
        elif closest is None or len(missing) < closest[0]:
            closest = (len(missing), mapping, missing)
    if len(fitting) == 1:
        return fitting[0]
    if fitting:
        names = [m.source.name for m, _ in fitting]
        raise MappingError(
            file.path, f"fits several mappings {names}; list buyer {buyer!r} in one of them"
        )
    hint = f"write a mapping with `buyers: [{buyer}]`" if buyer else "write a mapping for it"
    if closest is None:
        raise MappingError(file.path, f"no {reader.format} mapping exists; {hint}")
    _, mapping, missing = closest
    raise MappingError(
        file.path,
        f"fits no mapping; the closest, {mapping.source.name}, finds no column {missing[0]!r} "
        f"in the header row; {hint}",
        row=mapping.header_row,
        column=missing[0],
    )


def _number(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip().replace(",", "").replace("，", "")
    try:
        return int(text)
    except ValueError:
        return None


def _date(value: Any, date_format: str | None) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    for pattern in (date_format, _ISO_DATE) if date_format else (_ISO_DATE, "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).date().isoformat()
        except ValueError:
            continue
    return None


def _value(name: str, raw: Any, mapping: WholesaleMapping) -> tuple[Any, str | None]:
    """A cell as its field's value, or None with what is wrong with it."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    if name in NUMBER_FIELDS:
        number = _number(raw)
        return number, None if number is not None else f"{raw!r} is not a whole number"
    if name in DATE_FIELDS:
        day = _date(raw, mapping.date_format)
        expected = mapping.date_format or "a date"
        return day, None if day is not None else f"{raw!r} is not a date like {expected}"
    return _text(raw), None


def _cell(file: DroppedFile, table: Table, ref: str) -> Any:
    row, column = coordinate_to_tuple(ref)
    if row > len(table.rows) or column > len(table.rows[row - 1]):
        raise MappingError(file.path, "the mapped cell is outside the sheet", row=row, column=ref)
    return table.rows[row - 1][column - 1]


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _read_slip(line: dict[str, Any], mapping: WholesaleMapping) -> list[str]:
    """Give `line` its kind, positive quantity and amount, and reason; what cannot be read."""
    written = line.get("slip_kind")
    kind = slip_kind_of(written, mapping.slip_kinds)
    line["slip_kind_as_written"] = written
    line["slip_kind"] = kind
    if kind is None:
        return [
            f"slip kind {written!r} is not one mapping {mapping.source.name} knows (known: "
            f"{sorted(mapping.slip_kinds)}); map it to order, return or cancellation under "
            "slip_kinds"
        ]
    quantity = line.get("quantity")
    if kind == "order":
        if isinstance(quantity, int) and quantity < 0:
            return [
                f"quantity {quantity} on an order slip: if the sheet is a return (返品) or red "
                f"slip (赤伝), map its kind (slip_kind) in {mapping.source.name}"
            ]
        return []
    # red ink: the kind says what the minus sign said
    for name in ("quantity", "amount"):
        value = line.get(name)
        if isinstance(value, int) and value < 0:
            line[name] = -value
    if kind == "return":
        line["return_reason"] = reason_of(line.get("reason"), mapping.return_reasons)
    if not line.get("original_po_no"):
        how = (
            "its 元伝票番号 (original_po_no) is empty"
            if "original_po_no" in mapping.columns or "original_po_no" in mapping.cells
            else f"mapping {mapping.source.name} maps no original_po_no (元伝票番号)"
        )
        return [f"a {kind} slip that names no original order: {how}"]
    return []


def read_wholesale(
    file: DroppedFile,
    mappings: Sequence[WholesaleMapping],
    *,
    catalogue: Catalogue | None = None,
) -> Iterator[dict[str, Any]]:
    """The order lines of one sheet (MappingError if its mapping does not fit it), the lines of
    an order that breaks an order's rules marked (see `purchase_orders`)."""
    buyer = file.name.split("/")[0] if "/" in file.name else None
    reader = SheetReader(file)
    mapping, table = choose_mapping(file, reader, mappings, buyer)
    located = _locate(file, table, mapping)
    fixed: dict[str, Any] = {}
    problems: list[str] = []
    for name, ref in mapping.cells.items():
        value, problem = _value(name, _cell(file, table, ref), mapping)
        fixed[name] = value
        if problem:
            problems.append(f"{ref} ({name}): {problem}")
    lines: list[dict[str, Any]] = []
    position = 0
    for number, cells in enumerate(table.rows[mapping.header_row :], start=mapping.header_row + 1):
        if all(_text(cell) is None for cell in cells):
            continue
        position += 1
        line: dict[str, Any] = {
            "_row": number,
            "_sheet": table.sheet,
            "_mapping": mapping.source.name,
            "buyer": buyer,
            "position": position,  # the line's place on the sheet, for sheets without line_no
            **dict.fromkeys(located.columns),
            **fixed,
        }
        row_problems = list(problems)
        for name, index in located.columns.items():
            raw = cells[index] if index < len(cells) else None
            value, problem = _value(name, raw, mapping)
            line[name] = value
            if problem:
                row_problems.append(f"{located.header[index]} ({name}): {problem}")
        row_problems += _read_slip(line, mapping)
        if mapping.item_field == "jan" and catalogue is not None:
            line["sku"] = catalogue.sku_of_jan.get(line.get("jan") or "")
        line["_problems"] = row_problems or None
        line["_cells"] = {
            header: _jsonable(cells[i] if i < len(cells) else None)
            for i, header in enumerate(located.header)
            if header
        }
        lines.append(line)
    yield from hold_back_broken_orders(lines)


def wholesale_key(line: Mapping[str, Any]) -> str:
    """Buyer, purchase order and line: a re-sent sheet's lines replace the earlier ones. A
    return or red slip's lines are keyed by their kind too, so that a slip numbered like an
    order never replaces the order's lines (nor an unreadable kind anything)."""
    line_no = line.get("line_no") or line.get("position")
    kind = line.get("slip_kind", "order")
    prefix = "" if kind == "order" else f"{kind or 'unknown_kind'}:"
    return f"{line.get('buyer')}:{prefix}{line.get('po_no')}:{line_no}"


def _wholesale_rows(records: Sequence[Mapping[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "_row": index,
                "problems": "; ".join(line.get("_problems") or []) or None,
                "po_no": line.get("po_no"),
                "buyer": line.get("buyer"),
                "order_date": line.get("order_date"),
                "item": line.get("sku") or line.get("jan"),
                "sku": line.get("sku"),
                "jan": line.get("jan"),
                "quantity": line.get("quantity"),
                "unit_price": line.get("unit_price"),
            }
            for index, line in enumerate(records)
        ],
        schema={
            "_row": pl.Int64,
            "problems": pl.String,
            "po_no": pl.String,
            "buyer": pl.String,
            "order_date": pl.String,
            "item": pl.String,
            "sku": pl.String,
            "jan": pl.String,
            "quantity": pl.Int64,
            "unit_price": pl.Int64,
        },
    )


def wholesale_contract(*, catalogue: Catalogue | None = None) -> Contract:
    """Every line reads, names a PO, its date and an item, orders a sane quantity at a sane
    price, sits in a buyer's folder, and its order keeps an order's rules (`purchase_orders`)."""
    import great_expectations as gx

    expect: Any = gx.expectations  # its stubs export the classes implicitly only
    expectations: list[Any] = [
        expect.ExpectColumnValuesToBeNull(column="problems"),
        expect.ExpectColumnValuesToNotBeNull(column="po_no"),
        # the buyer is the sheet's folder, <drop folder>/<buyer code>/: a sheet outside one has
        # no customer; and an order without a date has no place in time
        expect.ExpectColumnValuesToNotBeNull(column="buyer"),
        expect.ExpectColumnValuesToNotBeNull(column="order_date"),
        expect.ExpectColumnValuesToNotBeNull(column="item"),
        expect.ExpectColumnValuesToNotBeNull(column="quantity"),
        expect.ExpectColumnValuesToBeBetween(
            column="quantity", min_value=1, max_value=MAX_QUANTITY
        ),
        expect.ExpectColumnValuesToNotBeNull(column="unit_price"),
        expect.ExpectColumnValuesToBeBetween(
            column="unit_price", min_value=0, max_value=MAX_PRICE_JPY
        ),
    ]
    if catalogue is not None:
        expectations += [
            expect.ExpectColumnValuesToBeInSet(column="sku", value_set=sorted(catalogue.skus)),
            expect.ExpectColumnValuesToBeInSet(column="jan", value_set=sorted(catalogue.jans)),
        ]
    return Contract(
        name="wholesale.order_lines", extract=_wholesale_rows, expectations=expectations
    )


def import_wholesale(
    drop_dir: Path,
    zone: LandingZone,
    *,
    mappings: Sequence[WholesaleMapping] | Path = EXAMPLE_MAPPINGS,
    catalogue: Catalogue | None = None,
    validator: BatchValidator | None = None,
) -> ImportResult:
    """Land every new or corrected sheet in `drop_dir` (``$ICHIGEN_WHOLESALE_DROP_DIR``).

    `mappings` are the buyers' mappings, or a folder of mapping files. A sheet whose mapping
    does not fit lands nothing and is reported in the result's errors.
    """
    loaded = load_mappings(mappings) if isinstance(mappings, Path) else list(mappings)
    return import_folder(
        drop_dir,
        zone,
        channel="wholesale",
        entity="order_lines",
        suffixes=[".csv", ".xlsx", ".xlsm"],
        read=lambda file: read_wholesale(file, loaded, catalogue=catalogue),
        key=wholesale_key,
        validator=validator or BatchValidator(wholesale_contract(catalogue=catalogue)),
        reader=mappings_fingerprint(loaded),
    )


def mappings_fingerprint(mappings: Sequence[WholesaleMapping]) -> str:
    """Changes when any mapping does: a sheet that did not fit is read again under new ones."""
    described = sorted(repr(replace(m, source=Path(m.source.name))) for m in mappings)
    return hashlib.sha256("\n".join(described).encode()).hexdigest()[:12]
