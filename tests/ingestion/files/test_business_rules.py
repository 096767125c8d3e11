"""Rows that read cleanly but break a business rule are quarantined with their reason, whole
receipt (or purchase order) at a time, at the first layer that can know: the file contract."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

from ichigen.ingestion.files import Catalogue, import_pos, import_stock, import_wholesale
from ichigen.ingestion.files.pos import POS_COLUMNS, pos_contract
from ichigen.ingestion.files.receipts import line_problems
from ichigen.ingestion.files.wholesale import wholesale_contract
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator

CATALOGUE = Catalogue.from_pairs([("P0001-NVY-M", "4901000000028"), ("P0002-WHT-M", None)])


@pytest.fixture(scope="module")
def pos_validator() -> BatchValidator:
    return BatchValidator(pos_contract(catalogue=CATALOGUE))


@pytest.fixture
def zone(tmp_path: Path) -> LandingZone:
    return LandingZone(tmp_path / "landing")


def sale(receipt: str, line: int, **overrides: str) -> dict[str, str]:
    """A till row: 2 units at 3,300 yen, tax included, as the sandbox's tills print them."""
    row = dict.fromkeys(POS_COLUMNS, "") | {
        "取引番号": receipt,
        "明細番号": str(line),
        "取引日時": "2026/10/31 13:05:22",
        "店舗コード": "ST-SHIBUYA",
        "レジ番号": "1",
        "取引区分": "売上",
        "JANコード": "4901000000028",
        "商品コード": "P0001-NVY-M",
        "数量": "2",
        "単価": "3300",
        "値引額": "0",
        "金額": "6600",
    }
    return row | overrides


def write_export(path: Path, rows: list[dict[str, str]]) -> None:
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=POS_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode("cp932"))


def quarantined_reasons(zone: LandingZone, channel: str, entity: str) -> dict[str, str]:
    """Each quarantined record's key, with its reasons as one text."""
    frame = zone.scan_quarantine(channel, entity).collect()
    return {
        key: " | ".join(reasons)
        for key, reasons in zip(frame["_record_key"], frame["_reasons"], strict=True)
    }


def landed_keys(zone: LandingZone, channel: str, entity: str) -> set[str]:
    return set(zone.scan(channel, entity).collect()["_record_key"])


def test_a_negative_sale_holds_back_its_whole_receipt_and_lands_the_others(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "pos"
    write_export(
        drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv",
        [
            sale("SHB0000001", 1),
            sale("SHB0000002", 1),
            sale("SHB0000002", 2, 数量="-1", 金額="-3300"),  # a line voided as a negative sale
            sale("SHB0000003", 1),
        ],
    )
    result = import_pos(drops, zone, validator=pos_validator)
    assert result.manifest is not None
    assert (result.manifest.accepted, result.manifest.quarantined) == (2, 2)
    assert landed_keys(zone, "pos", "sales") == {"SHB0000001-1", "SHB0000003-1"}
    reasons = quarantined_reasons(zone, "pos", "sales")
    assert set(reasons) == {"SHB0000002-1", "SHB0000002-2"}
    for reason in reasons.values():  # the good line says why it was held back too
        assert "column=receipt_rules" in reason
        assert "receipt SHB0000002 is held back whole: line 2: a sale (売上) of 数量 -1" in reason


def test_a_till_printing_tax_exclusive_amounts_is_named_as_such(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "pos"
    write_export(
        drops / "ST-UMEDA" / "ST-UMEDA_20261031.csv",
        [
            sale("UMD0000001", 1, 店舗コード="ST-UMEDA", 金額="6000"),  # 6,600 without its tax
            sale("UMD0000001", 2, 店舗コード="ST-UMEDA", 数量="1", 値引額="100", 金額="2909"),
            sale("UMD0000002", 1, 店舗コード="ST-UMEDA", 金額="6500"),  # simply wrong
        ],
    )
    result = import_pos(drops, zone, validator=pos_validator)
    assert result.manifest is not None and result.manifest.accepted == 0
    reasons = quarantined_reasons(zone, "pos", "sales")
    assert set(reasons) == {"UMD0000001-1", "UMD0000001-2", "UMD0000002-1"}
    first = reasons["UMD0000001-1"]
    assert "line 1: 金額 6000 is not 単価 × 数量 − 値引額 = 3300 × 2 − 0 = 6600" in first
    assert "line 2: 金額 2909 is not 単価 × 数量 − 値引額 = 3300 × 1 − 100 = 3200" in first
    assert first.count("tax-exclusive amounts") == 2
    assert "6600" in reasons["UMD0000002-1"] and "tax-exclusive" not in reasons["UMD0000002-1"]


def test_a_refund_must_be_negative_and_name_its_sale_which_may_be_in_another_file(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    drops = tmp_path / "pos"
    refund = {"取引区分": "返品", "元取引番号": "SHB0000001", "数量": "-1", "金額": "-3300"}
    write_export(
        drops / "ST-SHIBUYA" / "ST-SHIBUYA_20261101.csv",
        [
            sale("RET0000001", 1, **refund),  # its sale was exported the day before: lands
            sale("RET0000002", 1, **(refund | {"数量": "1", "金額": "3300"})),
            sale("RET0000003", 1, **(refund | {"元取引番号": ""})),
        ],
    )
    result = import_pos(drops, zone, validator=pos_validator)
    assert landed_keys(zone, "pos", "sales") == {"RET0000001-1"}
    reasons = quarantined_reasons(zone, "pos", "sales")
    assert "a refund (返品) of 数量 1: refunds carry negative quantities" in reasons["RET0000002-1"]
    assert "names no sale in 元取引番号" in reasons["RET0000003-1"]
    assert result.manifest is not None and result.manifest.records == 3


def test_a_day_the_calendar_lacks_is_quarantined_in_pos_and_stock_files(
    tmp_path: Path, zone: LandingZone, pos_validator: BatchValidator
) -> None:
    write_export(
        tmp_path / "pos" / "ST-SHIBUYA" / "ST-SHIBUYA_20260228.csv",
        [sale("SHB0000009", 1, 取引日時="2026/02/30 10:00:00"), sale("SHB0000010", 1)],
    )
    import_pos(tmp_path / "pos", zone, validator=pos_validator)
    assert landed_keys(zone, "pos", "sales") == {"SHB0000010-1"}
    assert "strftime_format" in quarantined_reasons(zone, "pos", "sales")["SHB0000009-1"]
    stock = tmp_path / "stock" / "WH-TOKYO"
    stock.mkdir(parents=True)
    (stock / "stock_20260228.csv").write_text(
        "location_id,sku,jan,on_hand,snapshot_at\n"
        "WH-TOKYO,P0001-NVY-M,,3,2026-02-30T00:00:00+09:00\n"
        "WH-TOKYO,P0002-WHT-M,,3,2026-02-28T00:00:00+09:00\n",
        "utf-8",
    )
    import_stock(tmp_path / "stock", zone, catalogue=CATALOGUE)
    assert landed_keys(zone, "stock", "snapshots") == {"WH-TOKYO:P0002-WHT-M"}
    reason = quarantined_reasons(zone, "stock", "snapshots")["WH-TOKYO:P0001-NVY-M"]
    assert "dateutil_parseable(column=snapshot_at): got '2026-02-30T00:00:00+09:00'" in reason


@pytest.mark.parametrize(
    ("row", "problems"),
    [
        (sale("A", 1), []),
        (sale("A", 1, 数量="0", 金額="0"), []),
        (sale("A", 1, 取引区分="返品", 元取引番号="S", 数量="-2", 値引額="-200", 金額="-6400"), []),
        (sale("A", 1, 数量="x"), []),  # the contract quarantines it on its own
        (sale("A", 1, 単価="1100", 数量="-3", 金額="-3300"), ["a sale (売上) of 数量 -3"]),
        (sale("A", 1, 金額="6599"), ["金額 6599 is not"]),
    ],
)
def test_line_rules_read_the_till_as_a_store_manager_would(
    row: dict[str, Any], problems: list[str]
) -> None:
    found = line_problems(row)
    assert len(found) == len(problems)
    for problem, expected in zip(found, problems, strict=True):
        assert problem.startswith(expected)


# --- wholesale -----------------------------------------------------------------------------

EDI_HEADER = ["order_no", "order_date", "delivery_date", "sku", "qty", "unit_price"]
JP_HEADER = ["発注番号", "発注日", "納品希望日", "行", "品番", "品名", "カラー", "サイズ"]
JP_HEADER += ["数量", "単価", "金額"]


def _sheet(path: Path, rows: list[list[Any]], *, encoding: str = "utf-8") -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode(encoding))


def test_a_sheet_whose_amounts_add_tax_to_its_prices_is_held_back_as_one_order(
    tmp_path: Path, zone: LandingZone
) -> None:
    drops = tmp_path / "wholesale"
    line = ["PO77", "2026/10/29", "2026/11/05"]
    _sheet(
        drops / "WB001" / "発注書_PO77.csv",
        [
            JP_HEADER,
            [*line, 1, "P0001-NVY-M", "シャツ", "紺", "M", 10, 3000, 33000],  # 30,000 with tax
            [*line, 2, "P0002-WHT-M", "パンツ", "白", "M", 2, 5000, 10000],
        ],
        encoding="cp932",
    )
    _sheet(
        drops / "WB001" / "発注書_PO78.csv",
        [JP_HEADER, ["PO78", *line[1:], 1, "P0001-NVY-M", "シャツ", "紺", "M", 4, 3000, 11400]],
        encoding="cp932",
    )  # 600 yen off the line: a discount lowers an amount, and lands
    validator = BatchValidator(wholesale_contract(catalogue=CATALOGUE))
    result = import_wholesale(drops, zone, catalogue=CATALOGUE, validator=validator)
    assert result.errors == [] and result.manifest is not None
    assert landed_keys(zone, "wholesale", "order_lines") == {"WB001:PO78:1"}
    reasons = quarantined_reasons(zone, "wholesale", "order_lines")
    assert set(reasons) == {"WB001:PO77:1", "WB001:PO77:2"}
    for reason in reasons.values():
        assert "purchase order PO77 is held back whole: row 2: 金額 33000 is more than" in reason
        assert "tax-exclusive" in reason


def test_a_sheet_outside_a_buyers_folder_or_without_a_date_is_quarantined(
    tmp_path: Path, zone: LandingZone
) -> None:
    drops = tmp_path / "wholesale"
    _sheet(drops / "po_9.csv", [EDI_HEADER, ["PO9", "20261029", "20261105", "P0001-NVY-M", 1, 9]])
    _sheet(drops / "WB002" / "po_10.csv", [EDI_HEADER, ["PO10", "", "", "P0001-NVY-M", 1, 9]])
    _sheet(
        drops / "WB002" / "po_11.csv", [EDI_HEADER, ["PO11", "20261029", "", "P0001-NVY-M", 1, 9]]
    )
    result = import_wholesale(drops, zone)
    assert result.errors == [] and result.manifest is not None
    assert landed_keys(zone, "wholesale", "order_lines") == {"WB002:PO11:1"}
    reasons = quarantined_reasons(zone, "wholesale", "order_lines")
    assert "not_be_null(column=buyer)" in reasons["None:PO9:1"]
    assert "not_be_null(column=order_date)" in reasons["WB002:PO10:1"]
    assert (result.manifest.records, result.manifest.quarantined) == (3, 2)
