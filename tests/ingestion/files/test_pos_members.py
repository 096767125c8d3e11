"""The POS member master importer: CP932 member exports land keyed by member number."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import polars as pl
import pytest

from ichigen.ingestion.files import import_members
from ichigen.ingestion.files.members import MEMBER_COLUMNS, members_contract
from ichigen.ingestion.landing import LandingZone
from ichigen.ingestion.validation import BatchValidator
from ichigen.sandbox.drops import write_drops
from ichigen.sandbox.world import World

GOOD = [
    ["0000000159", "藤原", "杏", "フジワラ", "アン", "090-1234-5678", "", "150-0041", "東京都",
     "渋谷区", "神南1-2-3", "2026/06/30", "1"],
    ["0000000529", "髙橋", "彩香", "タカハシ", "アヤカ", "０９０ １１１１ ２２２２", "a@example.jp",
     "1500041", "東京都", "渋谷区", "神南1-2-4", "2026/07/01", "0"],
]  # fmt: skip
BAD = [
    ["", "山田", "太郎", "ヤマダ", "タロウ", "090-1234-5678", "", "150-0041", "東京都", "渋谷区",
     "1-1", "2026/07/01", "0"],  # no member number
    ["0000000777", "山田", "花子", "ヤマダ", "ハナコ", "電話なし", "", "150-0041", "東京都",
     "渋谷区", "1-1", "2026/07/01", "0"],  # a phone that is no number
    ["0000000778", "山田", "次郎", "ヤマダ", "ジロウ", "090-1234-5678", "", "15-41", "東京都",
     "渋谷区", "1-1", "2026/07/01", "0"],  # a postcode that is no postcode
    ["0000000779", "山田", "三郎"],  # cut short
]  # fmt: skip


@pytest.fixture(scope="module")
def validator() -> BatchValidator:
    return BatchValidator(members_contract())


def _write(path: Path, rows: list[list[str]]) -> None:
    lines = [",".join(f'"{v}"' for v in row) for row in [list(MEMBER_COLUMNS), *rows]]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp932"))


def test_a_cp932_member_export_lands_its_members_and_quarantines_the_bad_rows(
    tmp_path: Path, validator: BatchValidator
) -> None:
    zone = LandingZone(tmp_path / "landing")
    drops = tmp_path / "pos_members"
    _write(drops / "members_20260701.csv", [*GOOD, *BAD])
    result = import_members(drops, zone, validator=validator)
    assert result.errors == [] and result.manifest is not None
    assert (result.manifest.accepted, result.manifest.quarantined) == (2, 4)
    landed = zone.scan("pos", "members").collect()
    assert sorted(landed["_record_key"]) == ["0000000159", "0000000529"]
    second = json.loads(landed.sort("_record_key")["_raw"][1])
    assert second["姓"] == "髙橋" and second["電話番号"] == "０９０ １１１１ ２２２２"
    reasons = " | ".join(
        r for rs in zone.scan_quarantine("pos", "members").collect()["_reasons"] for r in rs
    )
    for column in ("member_number", "phone", "postal_code", "malformed"):
        assert f"column={column}" in reasons
    assert import_members(drops, zone, validator=validator).manifest is None  # nothing new


def test_the_sandbox_member_master_lands_every_pos_member_known_by_the_window_s_end(
    sandbox_dir: Path, tmp_path: Path, validator: BatchValidator
) -> None:
    world = World.load(sandbox_dir / "world")
    start = datetime.fromisoformat(str(world.manifest["start"]))
    summary = write_drops(world.tables, tmp_path / "drops", start=start, end=world.now)
    zone = LandingZone(tmp_path / "landing")
    result = import_members(tmp_path / "drops" / "pos_members", zone, validator=validator)
    assert result.errors == [] and result.manifest is not None
    assert result.manifest.quarantined == 0
    assert result.manifest.accepted == summary.member_rows
    members = world.tables["identities"].filter(
        (pl.col("channel") == "pos") & (pl.col("created_at") < world.now)
    )
    landed = zone.scan("pos", "members").collect()
    assert set(landed["_record_key"]) == set(members["channel_customer_id"])
