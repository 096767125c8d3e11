"""Loads that did not complete: never read, resumed where their pull stopped, or cleaned up."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import ichigen.ingestion.pending as pending_module
from ichigen.atomic import write_text_atomically
from ichigen.ingestion.landing import LandingZone, LoadWriter
from ichigen.ingestion.pending import PENDING

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _page(start: int, n: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "updated_at": (T0 + timedelta(minutes=i)).isoformat()}
        for i in range(start, start + n)
    ]


def _key(record: Any) -> str:
    return str(record["id"])


def _updated(record: Any) -> datetime:
    return datetime.fromisoformat(record["updated_at"])


def _open(zone: LandingZone, **options: Any) -> LoadWriter:
    return zone.open_load("shopify", "orders", source="https://shop/orders.json", **options)


def _fail_after(zone: LandingZone, pages: list[tuple[int, int]], **options: Any) -> LoadWriter:
    """A load that lands `pages` ((first id, count), checkpoint "p<first>") and then fails."""
    with pytest.raises(ConnectionError), _open(zone, resumable=True, **options) as load:
        for start, n in pages:
            load.add(_page(start, n), key=_key, updated_at=_updated, checkpoint={"after": start})
        raise ConnectionError("the channel went down")
    return load


def _landed_ids(zone: LandingZone) -> list[int]:
    landed = zone.scan("shopify", "orders").select("_record_key").collect()
    return sorted(int(key) for key in landed["_record_key"])


def test_a_failed_load_is_read_by_no_one_and_moves_no_cursor(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    failed = _fail_after(zone, [(0, 3), (3, 3)], part_rows=2)
    entity = zone.entity_dir("shopify", "orders")
    assert list(entity.glob("*.parquet")) == []
    assert len(list((entity / PENDING / failed.load_id).glob("*.parquet"))) == 3
    assert _landed_ids(zone) == []
    assert zone.next_cursor("shopify", "orders", lookback=timedelta(0)) is None
    assert zone.pending_loads("shopify", "orders") == [failed.load_id]


def test_the_next_try_goes_on_with_the_same_load_from_its_checkpoint(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    failed = _fail_after(zone, [(0, 3), (3, 3)], part_rows=2)
    with _open(zone, resumable=True, part_rows=2, cursor_start=T0 + timedelta(days=9)) as load:
        assert load.resumed and load.load_id == failed.load_id
        assert load.checkpoint == {"after": 3}  # the page after the last one kept
        assert load.cursor_start is None  # the window it began with, not the one asked now
        load.add(_page(6, 3), key=_key, updated_at=_updated, checkpoint={"after": 6})
        manifest = load.commit()
    assert manifest.load_id == failed.load_id and manifest.attempts == 2
    assert manifest.records == manifest.accepted == 9 and manifest.parts == 5
    assert manifest.max_record_updated_at == (T0 + timedelta(minutes=8)).isoformat()
    assert _landed_ids(zone) == list(range(9))
    assert zone.pending_loads("shopify", "orders") == []
    assert not (zone.entity_dir("shopify", "orders") / PENDING / failed.load_id).exists()


def test_a_part_that_ends_inside_a_page_keeps_the_checkpoint_before_that_page(
    tmp_path: Path,
) -> None:
    zone = LandingZone(tmp_path / "landing")
    with _open(zone, resumable=True, part_rows=3) as load:
        load.add(_page(0, 2), key=_key, checkpoint={"after": 0})
        load.add(_page(2, 2), key=_key, checkpoint={"after": 2})
        # the part of ids 0-2 holds half of the second page: a resumed pull must read it again
        assert load.checkpoint == {"after": 0}
        load.add(_page(4, 2), key=_key, checkpoint={"after": 4})
        # ids 3-5: the part ends with the third page
        assert load.checkpoint == {"after": 4}
        load.commit()


def test_parts_a_dead_process_wrote_after_its_last_state_are_dropped(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    failed = _fail_after(zone, [(0, 2)], part_rows=2)
    folder = zone.entity_dir("shopify", "orders") / PENDING / failed.load_id
    kept = folder / f"{failed.load_id}-00000.parquet"
    # as if a process had written its next part and died before saving its state
    (folder / f"{failed.load_id}-00001.parquet").write_bytes(kept.read_bytes())
    with _open(zone, resumable=True, part_rows=2) as load:
        assert load.resumed
        assert sorted(p.name for p in folder.glob("*.parquet")) == [kept.name]
        load.commit()
    assert _landed_ids(zone) == [0, 1]


def test_a_load_another_writer_holds_is_left_alone(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing")
    with _open(zone, resumable=True) as first:
        first.add(_page(0, 2), key=_key)
        first.flush()
        with _open(zone, resumable=True) as second:
            assert not second.resumed and second.load_id != first.load_id
            second.add(_page(10, 1), key=_key)
            second.commit()
        assert zone.pending_loads("shopify", "orders") == [first.load_id]
        first.commit()
    assert _landed_ids(zone) == [0, 1, 10]


def test_a_load_that_cannot_resume_removes_the_one_that_failed(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing", quarantine_root=tmp_path / "quarantine")
    failed = _fail_after(zone, [(0, 2)])
    # a snapshot (not resumable), or a pull from another shop, starts again
    with zone.open_load("shopify", "orders", source="https://other/orders.json") as load:
        assert not load.resumed and load.load_id != failed.load_id
        load.commit()
    assert zone.pending_loads("shopify", "orders") == []
    assert not (tmp_path / "landing" / "shopify" / "orders" / PENDING / failed.load_id).exists()
    assert _landed_ids(zone) == []


def test_a_commit_cut_short_is_finished_by_the_next_load_and_dated_then(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = LandingZone(tmp_path / "landing")
    entity = zone.entity_dir("shopify", "orders")

    def dies_writing_the_manifest(path: Path, text: str) -> Path:
        if path.parent.name == "_loads":
            raise KeyboardInterrupt("killed between moving the parts and writing the manifest")
        return write_text_atomically(path, text)

    monkeypatch.setattr(pending_module, "write_text_atomically", dies_writing_the_manifest)
    with pytest.raises(KeyboardInterrupt), _open(zone, resumable=True) as load:
        load.add(_page(0, 2), key=_key, updated_at=_updated)
        load.commit()
    monkeypatch.undo()
    [part] = entity.glob("*.parquet")  # moved into place, but its load has no manifest
    assert zone.completed_loads("shopify", "orders") == [] and _landed_ids(zone) == []
    an_hour_ago = time.time() - 3600
    os.utime(part, (an_hour_ago, an_hour_ago))

    with _open(zone, resumable=True) as later:  # the next pull of the entity finishes it
        assert not later.resumed
        later.commit()
    completed = {done.load_id: done for done in zone.completed_loads("shopify", "orders")}
    assert completed.keys() == {load.load_id, later.load_id}
    assert completed[load.load_id].records == 2
    assert _landed_ids(zone) == [0, 1]
    assert part.stat().st_mtime > an_hour_ago + 3000  # dated when its manifest was written


def test_a_part_is_dated_when_its_load_commits_not_when_it_was_written(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path / "landing", quarantine_root=tmp_path / "quarantine")
    failed = _fail_after(zone, [(0, 2)])
    an_hour_ago = time.time() - 3600
    for part in (zone.entity_dir("shopify", "orders") / PENDING / failed.load_id).glob("*"):
        os.utime(part, (an_hour_ago, an_hour_ago))
    before = time.time()
    with _open(zone, resumable=True) as load:
        load.commit()
    [part] = zone.entity_dir("shopify", "orders").glob("*.parquet")
    assert part.stat().st_mtime >= before - 1


def test_quarantined_parts_of_a_failed_load_wait_with_it(tmp_path: Path) -> None:
    from tests.ingestion.test_landing import _ids_up_to_six

    zone = LandingZone(tmp_path / "landing", quarantine_root=tmp_path / "quarantine")
    validator = _ids_up_to_six()
    with (
        pytest.raises(ConnectionError),
        zone.open_load("pos", "sales", source="f", validator=validator, resumable=True) as load,
    ):
        load.add(_page(5, 4), key=_key, checkpoint={"after": 5})
        raise ConnectionError("cut")
    quarantine = tmp_path / "quarantine" / "pos" / "sales"
    assert list(quarantine.glob("*.parquet")) == []
    assert len(list((quarantine / PENDING / load.load_id).glob("*.parquet"))) == 1
    with zone.open_load("pos", "sales", source="f", validator=validator, resumable=True) as load:
        manifest = load.commit()
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (4, 2, 2)
    assert zone.scan_quarantine("pos", "sales").select(pl.len()).collect().item() == 2
    assert not (quarantine / PENDING / load.load_id).exists()
