"""Wholesale return slips (返品伝票) and red slips (赤伝) through the buyers' mappings: each lands
as its kind with a positive quantity, apart from the order's lines; what cannot be read that way
is quarantined with the reason."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest

from ichigen.ingestion.errors import MappingError
from ichigen.ingestion.files import Catalogue, import_wholesale, load_mapping
from ichigen.ingestion.files.wholesale import wholesale_contract
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.drops import write_drops
from tests.sandbox.test_drops import END, START, build_world, with_wholesale_slips

CATALOGUE = Catalogue.from_pairs(
    [("P0001-NVY-S", "4901000000011"), ("P0002-WHT-M", "4902000000027")]
)
MAPPING = """
buyers: [WB900]
format: csv
encoding: cp932
date_format: "%Y/%m/%d"
columns:
  po_no: 伝票番号
  order_date: 伝票日付
  sku: 品番
  quantity: 数量
  unit_price: 単価
  amount: 金額
  slip_kind: 伝票区分
  original_po_no: 元伝票番号
  reason: 返品理由
"""
HEADER = [
    "伝票番号",
    "伝票日付",
    "品番",
    "数量",
    "単価",
    "金額",
    "伝票区分",
    "元伝票番号",
    "返品理由",
]


@pytest.fixture(scope="module")
def validator() -> BatchValidator:
    return BatchValidator(wholesale_contract(catalogue=CATALOGUE))


@pytest.fixture
def zone(tmp_path: Path) -> LandingZone:
    return LandingZone(tmp_path / "landing")


def _csv(path: Path, rows: list[list[Any]]) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([HEADER, *rows])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.getvalue().encode("cp932"))


def _landed(zone: LandingZone) -> dict[str, dict[str, Any]]:
    frame = zone.scan("wholesale", "order_lines").collect()
    return {
        key: json.loads(raw) for key, raw in zip(frame["_record_key"], frame["_raw"], strict=True)
    }


def _quarantined(zone: LandingZone) -> dict[str, str]:
    frame = zone.scan_quarantine("wholesale", "order_lines").collect()
    return {
        key: " | ".join(reasons)
        for key, reasons in zip(frame["_record_key"], frame["_reasons"], strict=True)
    }


def test_csv_return_and_red_slips_land_as_their_kind_apart_from_the_orders_lines(
    tmp_path: Path, zone: LandingZone, validator: BatchValidator
) -> None:
    (tmp_path / "wb900.yaml").write_text(MAPPING, "utf-8")
    mapping = load_mapping(tmp_path / "wb900.yaml")
    drops = tmp_path / "wholesale" / "WB900"
    _csv(
        drops / "PO1.csv",
        [
            ["PO1", "2026/10/01", "P0001-NVY-S", "24", "1650", "39600", "発注", "", ""],
            ["PO1", "2026/10/01", "P0002-WHT-M", "6", "3300", "19800", "発注", "", ""],
        ],
    )
    # the buyer's system numbers the red slip like the order it undoes, in red ink
    _csv(
        drops / "赤伝_PO1.csv",
        [["PO1", "2026/10/02", "P0002-WHT-M", "-6", "3300", "-19,800", "赤伝", "PO1", ""]],
    )
    _csv(
        drops / "返品_R9.csv",
        [["R9", "2026/10/20", "P0001-NVY-S", "3", "1650", "4950", "返品", "PO1", "不良品"]],
    )
    result = import_wholesale(
        tmp_path / "wholesale", zone, mappings=[mapping], catalogue=CATALOGUE, validator=validator
    )
    assert result.errors == [] and result.manifest is not None
    assert (result.manifest.accepted, result.manifest.quarantined) == (4, 0)
    landed = _landed(zone)
    assert set(landed) == {
        "WB900:PO1:1",
        "WB900:PO1:2",
        "WB900:cancellation:PO1:1",
        "WB900:return:R9:1",
    }
    red = landed["WB900:cancellation:PO1:1"]
    assert (red["slip_kind"], red["quantity"], red["amount"]) == ("cancellation", 6, 19800)
    assert (red["original_po_no"], red["slip_kind_as_written"]) == ("PO1", "赤伝")
    back = landed["WB900:return:R9:1"]
    assert (back["slip_kind"], back["quantity"], back["original_po_no"]) == ("return", 3, "PO1")
    assert (back["return_reason"], back["reason"], back["order_date"]) == (
        "defect",
        "不良品",
        "2026-10-20",
    )
    assert {landed[k]["slip_kind"] for k in ("WB900:PO1:1", "WB900:PO1:2")} == {"order"}


def test_slips_that_cannot_be_read_are_quarantined_with_the_reason(
    tmp_path: Path, zone: LandingZone, validator: BatchValidator
) -> None:
    (tmp_path / "wb900.yaml").write_text(MAPPING, "utf-8")
    mapping = load_mapping(tmp_path / "wb900.yaml")
    drops = tmp_path / "wholesale" / "WB900"
    _csv(
        drops / "X1.csv", [["X1", "2026/10/02", "P0001-NVY-S", "-2", "1650", "", "訂正", "PO1", ""]]
    )
    _csv(drops / "R2.csv", [["R2", "2026/10/02", "P0001-NVY-S", "2", "1650", "", "返品", "", ""]])
    _csv(drops / "PO3.csv", [["PO3", "2026/10/02", "P0001-NVY-S", "-2", "1650", "", "", "", ""]])
    result = import_wholesale(
        tmp_path / "wholesale", zone, mappings=[mapping], catalogue=CATALOGUE, validator=validator
    )
    assert result.manifest is not None
    assert (result.manifest.records, result.manifest.quarantined) == (3, 3)
    reasons = _quarantined(zone)
    assert set(reasons) == {"WB900:unknown_kind:X1:1", "WB900:return:R2:1", "WB900:PO3:1"}
    assert (
        "slip kind '訂正' is not one mapping wb900.yaml knows" in reasons["WB900:unknown_kind:X1:1"]
    )
    assert (
        "a return slip that names no original order: its 元伝票番号" in reasons["WB900:return:R2:1"]
    )
    assert "quantity -2 on an order slip" in reasons["WB900:PO3:1"]


def test_xlsx_titled_return_and_red_slips_take_their_kind_from_the_title(
    tmp_path: Path, zone: LandingZone, validator: BatchValidator
) -> None:
    """The example mapping of the small shop's template (jp_xlsx_titled_jan)."""

    def slip(name: str, title: str, original: str | None, quantity: int) -> None:
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        assert sheet is not None
        sheet.title = "注文書"
        for row in [
            [title],
            ["発注元", "株式会社テスト商事"],
            ["発注日", "2026年10月29日"],
            ["元伝票番号", original],
            ["No.", "伝票番号", "JANコード", "商品名", "発注数", "卸単価", "納期"],
            [1, name, 4901000000011, "シャツ", quantity, 1650, None],
        ]:
            sheet.append(row)
        path = tmp_path / "wholesale" / "WB003" / f"WB003_20261029_{name}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        workbook.save(path)

    slip("RT1", "返品伝票", "PO7", -4)
    slip("CX1", "赤伝票", "PO8", -24)
    slip("CX2", "赤伝票", None, -24)  # names no order
    result = import_wholesale(
        tmp_path / "wholesale", zone, catalogue=CATALOGUE, validator=validator
    )
    assert result.errors == [] and result.manifest is not None
    landed = _landed(zone)
    assert {k: (v["slip_kind"], v["quantity"], v["original_po_no"]) for k, v in landed.items()} == {
        "WB003:return:RT1:1": ("return", 4, "PO7"),
        "WB003:cancellation:CX1:1": ("cancellation", 24, "PO8"),
    }
    assert landed["WB003:return:RT1:1"]["return_reason"] == "other"  # the template gives none
    reasons = _quarantined(zone)
    assert list(reasons) == ["WB003:cancellation:CX2:1"]
    assert "a cancellation slip that names no original order" in reasons["WB003:cancellation:CX2:1"]


def test_a_mapping_that_gives_a_kind_ichigen_has_no_word_for_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "wb900.yaml"
    path.write_text(MAPPING + 'slip_kinds:\n  "10": order\n  "30": exchange\n', "utf-8")
    with pytest.raises(MappingError, match=r"wb900\.yaml.*slip_kinds.*'exchange'"):
        load_mapping(path)
    path.write_text(MAPPING + 'slip_kinds:\n  "10": order\n  "90": cancellation\n', "utf-8")
    assert load_mapping(path).slip_kinds["90"] == "cancellation"


def test_the_sandboxs_slips_land_through_the_example_mappings_as_the_world_has_them(
    tmp_path: Path, zone: LandingZone
) -> None:
    world = with_wholesale_slips(build_world())
    summary = write_drops(world, tmp_path / "drops", start=START, end=END)
    catalogue = Catalogue.from_pairs(world["skus"].select("sku", "jan").rows())
    validator = BatchValidator(wholesale_contract(catalogue=catalogue))
    result = import_wholesale(
        tmp_path / "drops" / "wholesale", zone, catalogue=catalogue, validator=validator
    )
    assert result.errors == [] and result.manifest is not None
    assert (result.manifest.records, result.manifest.quarantined) == (summary.wholesale_lines, 0)
    slips = [line for line in _landed(zone).values() if line["slip_kind"] != "order"]
    wholesale = world["orders"].filter(pl.col("channel") == "wholesale")
    po_of = dict(wholesale.select("order_id", "channel_order_id").iter_rows())
    returns = world["returns"].filter(
        pl.col("order_id").is_in(wholesale["order_id"].implode())
        & (pl.col("refunded_at") >= START)
        & (pl.col("refunded_at") < END)
    )
    assert returns.height == 5
    assert sorted(
        (s["original_po_no"], s["sku"], s["quantity"]) for s in slips if s["slip_kind"] == "return"
    ) == sorted((po_of[r["order_id"]], r["sku"], r["quantity"]) for r in returns.to_dicts())
    # the layouts that print a reason say 'defect'; the others say nothing ('other')
    reasons = {s["_mapping"]: s["return_reason"] for s in slips if s["slip_kind"] == "return"}
    assert reasons == {
        "jp_csv_cp932.yaml": "defect",
        "en_xlsx.toml": "defect",
        "edi_csv_utf8.yaml": "defect",
        "jp_xlsx_titled_jan.yaml": "other",
        "jp_csv_bom_formatted.yaml": "other",
    }
    # a red slip cancels every unit of its order
    cancelled = wholesale.filter(pl.col("cancelled_at").is_not_null())
    ordered = (
        world["order_lines"]
        .join(cancelled.select("order_id"), on="order_id")
        .group_by("order_id")
        .agg(pl.col("quantity").sum())
    )
    units: dict[str, int] = {}
    for s in slips:
        if s["slip_kind"] == "cancellation":
            units[s["original_po_no"]] = units.get(s["original_po_no"], 0) + s["quantity"]
    assert units == {po_of[o]: q for o, q in ordered.iter_rows()} and len(units) == 5
