"""File importers: POS exports, wholesale sheets through mappings, and stock snapshots."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from ichigen.ingestion.errors import FileImportError, MappingError, UndecodableFileError
from ichigen.ingestion.failures import failure_records
from ichigen.ingestion.files import (
    EXAMPLE_MAPPINGS,
    Catalogue,
    decode_text,
    import_pos,
    import_stock,
    import_wholesale,
    load_mapping,
    load_mappings,
)
from ichigen.ingestion.files.pos import POS_COLUMNS, pos_contract
from ichigen.ingestion.files.stock import stock_contract
from ichigen.ingestion.files.wholesale import wholesale_contract
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.drops import DropsSummary, write_drops
from ichigen.sandbox.drops.pos.faults import RECEIPT_FAULTS
from ichigen.sandbox.world import World

CATALOGUE = Catalogue.from_pairs(
    [
        ("P0001-NVY-S", "4901000000011"),
        ("P0001-NVY-M", "4901000000028"),
        ("P0002-WHT-M", "4902000000027"),
    ]
)


@pytest.fixture(scope="module")
def pos_validator() -> BatchValidator:
    return BatchValidator(pos_contract(catalogue=CATALOGUE))


@pytest.fixture(scope="module")
def wholesale_validator() -> BatchValidator:
    return BatchValidator(wholesale_contract(catalogue=CATALOGUE))


@pytest.fixture
def zone(tmp_path: Path) -> LandingZone:
    return LandingZone(tmp_path / "data" / "landing")


def _latest_version(frame: pl.DataFrame) -> pl.DataFrame:
    """What staging keeps: the rows of each file's newest version."""
    rows = frame.with_columns(
        pl.col("_raw").str.json_path_match("$._file").alias("file"),
        pl.col("_raw").str.json_path_match("$._file_version").cast(pl.Int64).alias("version"),
    )
    return rows.filter(pl.col("version") == pl.col("version").max().over("file"))


# --- decoding ----------------------------------------------------------------------------


def test_encodings_are_told_apart_without_guessing() -> None:
    text = "取引番号,商品名\r\n1,リネンシャツ～夏\r\n"
    path = Path("x.csv")
    assert decode_text(text.encode("cp932"), path).encoding == "cp932"
    assert decode_text(b"\xef\xbb\xbf" + text.encode(), path) == decode_text(
        b"\xef\xbb\xbf" + text.encode(), path
    )
    assert decode_text(b"\xef\xbb\xbf" + text.encode(), path).encoding == "utf-8-sig"
    assert decode_text(b"\xef\xbb\xbf" + text.encode(), path).text == text
    assert decode_text(text.encode(), path).encoding == "utf-8"
    assert decode_text(text.encode("cp932"), path).text == text


def test_bytes_in_no_accepted_encoding_raise_an_error_naming_the_file() -> None:
    with pytest.raises(UndecodableFileError, match=r"broken\.csv.*neither UTF-8 nor Shift_JIS"):
        decode_text(b"\x81\x00\xff\xfe", Path("pos/ST-X/broken.csv"))


# --- POS ---------------------------------------------------------------------------------


def _pos_row(receipt: str, line: int, **overrides: str) -> dict[str, str]:
    row = {
        "取引番号": receipt,
        "明細番号": str(line),
        "元取引番号": "",
        "取引日時": "2026/10/31 13:05:22",
        "店舗コード": "ST-SHIBUYA",
        "レジ番号": "1",
        "取引区分": "売上",
        "JANコード": "4901000000028",
        "商品コード": "P0001-NVY-M",
        "商品名": "リネンシャツ〜夏",
        "数量": "2",
        "単価": "3300",
        "値引額": "0",
        "金額": "6600",
        "会員番号": "0000001201",
    }
    return row | overrides


def _write_pos(
    path: Path, rows: Sequence[dict[str, str] | list[str]], *, encoding: str = "cp932"
) -> Path:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(POS_COLUMNS)
    for row in rows:
        writer.writerow(list(row.values()) if isinstance(row, dict) else row)
    path.parent.mkdir(parents=True, exist_ok=True)
    # What a Shift_JIS till stores: CP932's spelling of the wave dash.
    path.write_bytes(text.getvalue().replace("〜", "～").encode(encoding))
    return path


GOOD = [_pos_row(f"SHB{i:07d}", 1) for i in range(5)]
BAD: list[dict[str, str] | list[str]] = [
    _pos_row("SHB0000100", 1, 数量="2個"),
    _pos_row("SHB0000101", 1, 数量=""),
    _pos_row("SHB0000102", 1, JANコード="2000000000123"),
    _pos_row("SHB0000103", 1, 取引日時="2026/10/31 --:--:--"),
    list(_pos_row("SHB0000104", 1).values())[:-1],  # a field short
]


def test_a_shift_jis_pos_file_lands_its_good_rows_and_quarantines_the_bad_ones(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    _write_pos(drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv", [*GOOD[:3], *BAD, *GOOD[3:]])
    result = import_pos(drops, zone, validator=pos_validator)
    assert result.manifest is not None and result.errors == []
    assert (result.manifest.records, result.manifest.accepted, result.manifest.quarantined) == (
        10,
        5,
        5,
    )
    landed = zone.scan("pos", "sales").collect()
    assert sorted(landed["_record_key"]) == [f"SHB{i:07d}-1" for i in range(5)]
    first = json.loads(landed.sort("_record_key")["_raw"][0])
    assert first["商品名"] == "リネンシャツ～夏" and first["_file_version"] == 1
    assert first["_file"] == "ST-SHIBUYA/ST-SHIBUYA_20261031.csv" and first["_row"] == 1
    quarantined = zone.scan_quarantine("pos", "sales").collect()
    by_row = {
        json.loads(raw)["_row"]: " | ".join(reasons)
        for raw, reasons in zip(quarantined["_raw"], quarantined["_reasons"], strict=True)
    }
    assert sorted(by_row) == [4, 5, 6, 7, 8]
    assert "column=quantity" in by_row[4] and "'2個'" in by_row[4]
    assert "column=quantity" in by_row[5] and "got ''" in by_row[5]
    assert "column=jan" in by_row[6] and "'2000000000123'" in by_row[6]
    assert "column=rung_up_at" in by_row[7]
    assert "14 fields where the header has 15" in by_row[8]
    assert landed.height + quarantined.height == 10


def test_the_same_file_dropped_again_changes_nothing(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    path = _write_pos(drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv", GOOD)
    first = import_pos(drops, zone, validator=pos_validator)
    path.write_bytes(path.read_bytes())  # dropped again: new mtime, same bytes
    again = import_pos(drops, zone, validator=pos_validator)
    assert first.imported == ["ST-SHIBUYA/ST-SHIBUYA_20261031.csv"]
    assert again.manifest is None and again.unchanged == first.imported
    assert zone.scan("pos", "sales").collect().height == len(GOOD)
    assert len(zone.completed_loads("pos", "sales")) == 1


def test_a_corrected_file_replaces_its_earlier_version(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    name = drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv"
    _write_pos(name, GOOD)
    import_pos(drops, zone, validator=pos_validator)
    corrected = [*GOOD[:2], _pos_row("SHB0000002", 1, 数量="3", 金額="9900")]
    _write_pos(name, corrected)
    result = import_pos(drops, zone, validator=pos_validator)
    assert result.imported == ["ST-SHIBUYA/ST-SHIBUYA_20261031.csv"]
    kept = _latest_version(zone.scan("pos", "sales").collect())
    assert kept["version"].unique().to_list() == [2]
    assert sorted(kept["_record_key"]) == ["SHB0000000-1", "SHB0000001-1", "SHB0000002-1"]
    quantities = [json.loads(raw)["数量"] for raw in kept.sort("_record_key")["_raw"]]
    assert quantities == ["2", "2", "3"]


def test_an_undecodable_file_is_reported_by_name_and_holds_back_no_other_file(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    _write_pos(drops / "ST-UMEDA" / "ST-UMEDA_20261031.csv", GOOD, encoding="utf-8")
    broken = drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv"
    broken.parent.mkdir(parents=True)
    broken.write_bytes(b"\x81\x00\xff\xfe,\x80\r\n")
    (drops / "ST-UMEDA" / ".ST-UMEDA_20261101.csv.x1.tmp").write_bytes(b"half a file")
    result = import_pos(drops, zone, validator=pos_validator)
    assert result.imported == ["ST-UMEDA/ST-UMEDA_20261031.csv"]
    [error] = result.errors
    assert isinstance(error, UndecodableFileError) and error.path == broken
    assert "ST-SHIBUYA_20261031.csv" in str(error)
    with pytest.raises(UndecodableFileError):
        result.raise_for_errors()
    [failure] = result.failed
    assert failure.source == "ST-SHIBUYA/ST-SHIBUYA_20261031.csv"
    assert failure.error_class == "unreadable_file" and failure.kind == "file"
    # Not imported, and not read again: the next run lists it as still failing, once.
    again = import_pos(drops, zone, validator=pos_validator)
    assert again.errors == [] and again.failed == [] and again.still_failing == [failure]
    assert failure_records(zone, "pos", "sales") == [failure]


def test_a_file_cut_inside_a_cp932_character_is_recorded_once_and_its_fix_lands(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    path = _write_pos(drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv", GOOD)
    whole = path.read_bytes()
    cut = whole + "リネン".encode("cp932")[:1]  # the copy stopped inside a two-byte character
    path.write_bytes(cut)
    first = import_pos(drops, zone, validator=pos_validator)
    [failure] = first.failed
    assert failure.content_sha256 == hashlib.sha256(cut).hexdigest()
    assert failure.cause.startswith("ST-SHIBUYA/ST-SHIBUYA_20261031.csv: is neither UTF-8")
    assert failure.fix is not None and "CP932" in failure.fix
    path.write_bytes(cut)  # the same bytes dropped again
    again = import_pos(drops, zone, validator=pos_validator)
    assert again.failed == [] and again.still_failing == [failure]
    assert failure_records(zone, "pos", "sales") == [failure]
    path.write_bytes(whole)  # the till exports the day again, whole
    fixed = import_pos(drops, zone, validator=pos_validator)
    assert fixed.imported == ["ST-SHIBUYA/ST-SHIBUYA_20261031.csv"] and fixed.still_failing == []
    assert zone.scan("pos", "sales").collect().height == len(GOOD)


def test_a_file_that_is_not_a_pos_export_is_refused_as_a_whole(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    (drops / "ST-UMEDA").mkdir(parents=True)
    (drops / "ST-UMEDA" / "notes.csv").write_text("a,b\n1,2\n", "utf-8")
    [error] = import_pos(drops, zone, validator=pos_validator).errors
    assert isinstance(error, FileImportError) and "lacks the columns" in str(error)


# --- wholesale -----------------------------------------------------------------------------


def _mapping(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


def _csv_sheet(path: Path, rows: list[list[Any]], *, encoding: str = "utf-8") -> Path:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode(encoding))
    return path


def _xlsx_sheet(path: Path, rows: list[list[Any]], *, sheet: str) -> Path:
    workbook = openpyxl.Workbook()
    worksheet = workbook.active
    assert worksheet is not None
    worksheet.title = sheet
    for row in rows:
        worksheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return path


BUYER_MAPPING = """
buyers: [WB900]
format: csv
encoding: cp932
date_format: "%Y/%m/%d"
columns:
  po_no: 発注番号
  order_date: 発注日
  sku: 品番
  quantity: 数量
  unit_price: 単価
"""


def test_a_buyers_csv_sheet_reads_through_its_mapping(
    tmp_path: Path, zone: LandingZone, wholesale_validator: BatchValidator
) -> None:
    mapping = load_mapping(_mapping(tmp_path / "wb900.yaml", BUYER_MAPPING))
    drops = tmp_path / "drops" / "wholesale"
    _csv_sheet(
        drops / "WB900" / "発注書_PO1.csv",
        [
            ["発注番号", "発注日", "品番", "数量", "単価"],
            ["PO1", "2026/10/29", "P0001-NVY-M", "1,200", "1650"],
            ["PO1", "2026/10/29", "P0002-WHT-M", "2個", "3300"],
            ["PO1", "2026/10/29", "P9999-XXX-X", "6", "3300"],
        ],
        encoding="cp932",
    )
    result = import_wholesale(
        drops, zone, mappings=[mapping], catalogue=CATALOGUE, validator=wholesale_validator
    )
    assert result.errors == [] and result.manifest is not None
    assert (result.manifest.accepted, result.manifest.quarantined) == (1, 2)
    [line] = [json.loads(raw) for raw in zone.scan("wholesale", "order_lines").collect()["_raw"]]
    assert line["buyer"] == "WB900" and line["_row"] == 2 and line["quantity"] == 1200
    assert line["order_date"] == "2026-10-29" and line["_cells"]["数量"] == "1,200"
    reasons = zone.scan_quarantine("wholesale", "order_lines").collect()["_reasons"].to_list()
    flat = " | ".join(r for rs in reasons for r in rs)
    assert "数量 (quantity): '2個' is not a whole number" in flat
    assert "'P9999-XXX-X'" in flat


def test_a_wrong_mapping_names_the_file_row_and_column(tmp_path: Path) -> None:
    mapping = load_mapping(
        _mapping(tmp_path / "wb900.yaml", BUYER_MAPPING.replace("数量", "発注数量"))
    )
    drops = tmp_path / "drops" / "wholesale"
    sheet = _csv_sheet(
        drops / "WB900" / "発注書_PO1.csv",
        [["発注番号", "発注日", "品番", "数量", "単価"], ["PO1", "2026/10/29", "P1", "1", "1"]],
        encoding="cp932",
    )
    zone = LandingZone(tmp_path / "landing")
    result = import_wholesale(drops, zone, mappings=[mapping])
    [error] = result.errors
    assert isinstance(error, MappingError)
    assert (error.path, error.row, error.column) == (sheet, 1, "発注数量")
    assert str(error).startswith(f"{sheet}: row 1, column '発注数量': ")
    assert result.manifest is not None and result.manifest.records == 0


def test_a_sheet_that_did_not_fit_is_read_again_only_once_the_mappings_change(
    tmp_path: Path,
) -> None:
    wrong = load_mapping(_mapping(tmp_path / "wb900.yaml", BUYER_MAPPING.replace("数量", "発注数")))
    drops = tmp_path / "drops" / "wholesale"
    _csv_sheet(
        drops / "WB900" / "発注書_PO1.csv",
        [["発注番号", "発注日", "品番", "数量", "単価"], ["PO1", "2026/10/29", "P1", "1", "1"]],
        encoding="cp932",
    )
    zone = LandingZone(tmp_path / "landing")
    [failure] = import_wholesale(drops, zone, mappings=[wrong]).failed
    assert failure.error_class == "invalid_file"
    assert import_wholesale(drops, zone, mappings=[wrong]).still_failing == [failure]
    right = load_mapping(_mapping(tmp_path / "wb900.yaml", BUYER_MAPPING))
    result = import_wholesale(drops, zone, mappings=[right])
    assert result.imported == ["WB900/発注書_PO1.csv"] and result.still_failing == []
    assert failure_records(zone, "wholesale", "order_lines") == [failure]


def test_a_mapping_naming_a_missing_sheet_says_which_sheets_there_are(tmp_path: Path) -> None:
    mapping = load_mapping(
        _mapping(
            tmp_path / "m.toml",
            'buyers = ["WB901"]\nsheet = "注文"\n[columns]\npo_no = "PO"\nsku = "SKU"\n'
            'quantity = "Qty"\nunit_price = "Price"\n',
        )
    )
    drops = tmp_path / "wholesale"
    _xlsx_sheet(drops / "WB901" / "po.xlsx", [["PO", "SKU", "Qty", "Price"]], sheet="Sheet1")
    [error] = import_wholesale(drops, LandingZone(tmp_path / "l"), mappings=[mapping]).errors
    assert isinstance(error, MappingError) and "no sheet '注文'" in str(error)
    assert "['Sheet1']" in str(error)


def test_a_sheet_that_fits_no_mapping_names_the_closest_mappings_missing_column(
    tmp_path: Path,
) -> None:
    drops = tmp_path / "wholesale"
    sheet = _csv_sheet(
        drops / "WB777" / "order.csv",
        [["order_no", "order_date", "delivery_date", "item", "qty", "unit_price"]],
    )
    [error] = import_wholesale(drops, LandingZone(tmp_path / "l")).errors
    assert isinstance(error, MappingError) and error.path == sheet
    assert (error.row, error.column) == (1, "sku")
    assert "edi_csv_utf8.yaml" in str(error) and "buyers: [WB777]" in str(error)


def test_a_titled_xlsx_sheet_takes_its_order_date_and_customer_from_cells(
    tmp_path: Path, zone: LandingZone, wholesale_validator: BatchValidator
) -> None:
    drops = tmp_path / "wholesale"
    _xlsx_sheet(
        drops / "WB003" / "WB003_20261029_PO7.xlsx",
        [
            ["注文書"],
            ["発注元", "株式会社テスト商事"],
            ["発注日", "2026年10月29日"],
            [],
            ["No.", "伝票番号", "JANコード", "商品名", "発注数", "卸単価", "納期"],
            [1, "PO7", 4901000000011, "シャツ", 24, 1650, "2026年11月03日"],
            [2, "PO7", "4902000000027", "パンツ", 6, 3300, "2026年11月03日"],
        ],
        sheet="注文書",
    )
    result = import_wholesale(drops, zone, catalogue=CATALOGUE, validator=wholesale_validator)
    assert result.errors == [] and result.manifest is not None
    lines = [json.loads(raw) for raw in zone.scan("wholesale", "order_lines").collect()["_raw"]]
    lines.sort(key=lambda line: line["line_no"])
    assert [(x["sku"], x["jan"], x["quantity"]) for x in lines] == [
        ("P0001-NVY-S", "4901000000011", 24),
        ("P0002-WHT-M", "4902000000027", 6),
    ]
    assert {x["customer"] for x in lines} == {"株式会社テスト商事"}
    assert {(x["order_date"], x["delivery_date"]) for x in lines} == {("2026-10-29", "2026-11-03")}
    assert {x["_mapping"] for x in lines} == {"jp_xlsx_titled_jan.yaml"}
    assert [x["_row"] for x in lines] == [6, 7]


def test_example_mappings_cover_each_layout_and_load_cleanly() -> None:
    names = {mapping.name for mapping in load_mappings(EXAMPLE_MAPPINGS)}
    assert names == {
        "jp_csv_cp932",
        "en_xlsx",
        "jp_xlsx_titled_jan",
        "edi_csv_utf8",
        "jp_csv_bom_formatted",
    }


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("columns:\n  po_no: A\n  quantity: B\n  unit_price: C\n", "sku or jan"),
        ("columns:\n  po_no: A\n  sku: S\n  qty: B\n  unit_price: C\n", "unknown fields ['qty']"),
        ("columns:\n  po_no: A\n  sku: S\n  unit_price: C\n", "['quantity']"),
        ("header_row: 0\ncolumns: {po_no: A, sku: S, quantity: Q, unit_price: P}\n", "header_row"),
        ("colums: {}\n", "unknown settings ['colums']"),
        ("columns: [\n", "not valid YAML"),
    ],
)
def test_a_broken_mapping_file_is_refused_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = _mapping(tmp_path / "buyer.yaml", text)
    with pytest.raises(MappingError, match=r"buyer\.yaml") as caught:
        load_mapping(path)
    assert message in str(caught.value)


# --- stock -------------------------------------------------------------------------------


def test_stock_snapshots_land_per_location_and_sku(tmp_path: Path, zone: LandingZone) -> None:
    drops = tmp_path / "stock"
    (drops / "WH-TOKYO").mkdir(parents=True)
    (drops / "WH-TOKYO" / "stock_20261031.csv").write_text(
        "location_id,sku,jan,on_hand,snapshot_at\n"
        "WH-TOKYO,P0001-NVY-S,4901000000011,12,2026-11-01T00:00:00+09:00\n"
        "WH-TOKYO,P0001-NVY-M,4901000000028,many,2026-11-01T00:00:00+09:00\n"
        "WH-TOKYO,P9-X,,3,2026-11-01T00:00:00+09:00\n",
        "utf-8",
    )
    validator = BatchValidator(stock_contract(catalogue=CATALOGUE))
    result = import_stock(drops, zone, validator=validator)
    assert result.manifest is not None
    assert (result.manifest.accepted, result.manifest.quarantined) == (1, 2)
    landed = zone.scan("stock", "snapshots").collect()
    assert landed["_record_key"].to_list() == ["WH-TOKYO:P0001-NVY-S"]
    assert landed["_record_updated_at"][0] == datetime.fromisoformat("2026-10-31T15:00:00+00:00")
    assert import_stock(drops, zone, validator=validator).manifest is None


def test_the_import_state_lives_in_the_landing_zone_not_the_drop_folder(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "drops" / "pos"
    _write_pos(drops / "ST-SHIBUYA" / f"ST-SHIBUYA_{date(2026, 10, 31):%Y%m%d}.csv", GOOD)
    import_pos(drops, zone, validator=pos_validator)
    assert sorted(p.name for p in drops.rglob("*")) == ["ST-SHIBUYA", "ST-SHIBUYA_20261031.csv"]
    state = json.loads((zone.entity_dir("pos", "sales") / "_imports.json").read_text("utf-8"))
    assert state["files"]["ST-SHIBUYA/ST-SHIBUYA_20261031.csv"]["version"] == 1


# --- the sandbox's own drops ---------------------------------------------------------------


@dataclass(frozen=True)
class SandboxDrops:
    world: World
    summary: DropsSummary
    catalogue: Catalogue


@pytest.fixture(scope="module")
def sandbox_drops(sandbox_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> SandboxDrops:
    """The files a generated world drops over its whole period, a few POS rows corrupted."""
    world = World.load(sandbox_dir / "world")
    start = datetime.fromisoformat(str(world.manifest["start"]))
    out = tmp_path_factory.mktemp("drops")
    summary = write_drops(world.tables, out, start=start, end=world.now, bad_row_rate=0.02, seed=3)
    catalogue = Catalogue.from_pairs(world.tables["skus"].select("sku", "jan").rows())
    return SandboxDrops(world=world, summary=summary, catalogue=catalogue)


def test_the_sandboxs_pos_exports_land_every_row_but_the_injected_faults_receipts_held_whole(
    sandbox_drops: SandboxDrops, zone: LandingZone
) -> None:
    summary = sandbox_drops.summary
    validator = BatchValidator(pos_contract(catalogue=sandbox_drops.catalogue))
    result = import_pos(summary.out_dir / "pos", zone, validator=validator)
    assert result.errors == [] and result.manifest is not None
    assert len(result.imported) == len(summary.files_of("pos"))
    manifest = result.manifest
    assert manifest.records == summary.pos_rows
    assert manifest.accepted + manifest.quarantined == manifest.records
    quarantined = zone.scan_quarantine("pos", "sales").collect()
    reasons_at: dict[tuple[str, int], str] = {}
    for raw, reasons in zip(quarantined["_raw"], quarantined["_reasons"], strict=True):
        record = json.loads(raw)
        reasons_at[(f"pos/{record['_file']}", record["_row"])] = " | ".join(reasons)
    receipt_at: dict[tuple[str, int], tuple[str, str]] = {}  # every row's file and receipt
    for raw in [*zone.scan("pos", "sales").collect()["_raw"], *quarantined["_raw"]]:
        record = json.loads(raw)
        file = f"pos/{record['_file']}"
        receipt_at[(file, record["_row"])] = (file, record["取引番号"])
    faults = {(fault.file.as_posix(), fault.row): fault for fault in summary.faults}
    # a fault that breaks a receipt's rules holds back the receipt's other lines with it
    held = {receipt_at[place] for place, fault in faults.items() if fault.fault in RECEIPT_FAULTS}
    with_receipts = {place for place, receipt in receipt_at.items() if receipt in held}
    assert len(faults) > 10 and set(reasons_at) == set(faults) | with_receipts
    assert held and with_receipts - set(faults), "a held receipt had lines without a fault"
    assert any("ST-SHIBUYA" in file for file, _ in faults)  # a Shift_JIS store among them
    columns = {"数量": "quantity", "JANコード": "jan", "取引日時": "rung_up_at"}
    for place, fault in faults.items():
        column = "receipt_rules" if fault.fault in RECEIPT_FAULTS else columns[fault.column]
        assert f"column={column}" in reasons_at[place]
        if fault.fault == "tax_exclusive_amount":
            assert "tax-exclusive amounts" in reasons_at[place]
    for place in with_receipts:
        assert "column=receipt_rules" in reasons_at[place]
    again = import_pos(summary.out_dir / "pos", zone, validator=validator)
    assert again.manifest is None and len(again.unchanged) == len(result.imported)


def test_every_layouts_sandbox_sheets_read_back_to_the_worlds_order_lines(
    sandbox_drops: SandboxDrops, zone: LandingZone
) -> None:
    summary, world = sandbox_drops.summary, sandbox_drops.world
    validator = BatchValidator(wholesale_contract(catalogue=sandbox_drops.catalogue))
    result = import_wholesale(
        summary.out_dir / "wholesale", zone, catalogue=sandbox_drops.catalogue, validator=validator
    )
    assert result.errors == [] and result.manifest is not None
    assert result.manifest.quarantined == 0
    assert result.manifest.records == summary.wholesale_lines > 0
    lines = [json.loads(raw) for raw in zone.scan("wholesale", "order_lines").collect()["_raw"]]
    assert {line["_mapping"] for line in lines} == {
        path.name for path in EXAMPLE_MAPPINGS.iterdir() if path.suffix in (".yaml", ".toml")
    }
    read: dict[str, list[tuple[str, int, int]]] = {}
    for line in sorted(lines, key=lambda x: (x["po_no"], x["position"])):
        read.setdefault(line["po_no"], []).append(
            (line["sku"], line["quantity"], line["unit_price"])
        )
    start = datetime.fromisoformat(str(world.manifest["start"]))
    orders = world.tables["orders"].filter(
        (pl.col("channel") == "wholesale")
        & (pl.col("created_at") >= start)
        & (pl.col("created_at") < world.now)
    )
    expected = {
        po_no: [
            (row["sku"], row["quantity"], row["unit_price_jpy"])
            for row in world.lines_of([order_id]).sort("line_no").iter_rows(named=True)
        ]
        for order_id, po_no in orders.select("order_id", "channel_order_id").iter_rows()
    }
    assert read == expected


def test_the_sandboxs_stock_snapshots_land_whole(
    sandbox_drops: SandboxDrops, zone: LandingZone
) -> None:
    summary, world = sandbox_drops.summary, sandbox_drops.world
    validator = BatchValidator(stock_contract(catalogue=sandbox_drops.catalogue))
    result = import_stock(summary.out_dir / "stock", zone, validator=validator)
    assert result.manifest is not None and result.manifest.quarantined == 0
    assert result.manifest.records == summary.stock_rows
    landed = [json.loads(raw) for raw in zone.scan("stock", "snapshots").collect()["_raw"]]
    stocked = world.tables["locations"].filter(pl.col("kind").is_in(["warehouse", "store"]))
    inventory = world.tables["inventory"].filter(
        pl.col("location_id").is_in(stocked["location_id"].implode())
    )
    assert sum(int(row["on_hand"]) for row in landed) == inventory["on_hand"].sum()
