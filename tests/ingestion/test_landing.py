"""The landing zone: atomic append-only parts, manifests, and cursors derived from them."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import polars as pl
import pytest

from ichigen.ingestion.landing import LANDING_SCHEMA, LandingZone
from ichigen.ingestion.validation import BatchValidator, Contract
from ichigen.paths import DataPaths

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def _records(n: int, start: int = 0) -> list[dict[str, object]]:
    return [
        {"id": i, "updated_at": (T0 + timedelta(minutes=i)).isoformat(), "note": "注文"}
        for i in range(start, start + n)
    ]


def _key(record: object) -> str:
    return str(record["id"])  # type: ignore[index]


def _updated(record: object) -> datetime:
    return datetime.fromisoformat(record["updated_at"])  # type: ignore[index]


def test_a_load_lands_parts_with_metadata_and_the_raw_record(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path)
    with zone.open_load("shopify", "orders", source="http://x/orders.json", part_rows=4) as load:
        load.add(_records(10), key=_key, updated_at=_updated)
        manifest = load.commit()
    parts = sorted(zone.entity_dir("shopify", "orders").glob("*.parquet"))
    assert len(parts) == 3 and manifest.parts == 3 and manifest.records == 10
    landed = zone.scan("shopify", "orders").collect()
    assert landed.schema == LANDING_SCHEMA
    assert landed["_record_key"].to_list() == [str(i) for i in range(10)]
    assert landed["_load_id"].unique().to_list() == [manifest.load_id]
    assert '"note":"注文"' in landed["_raw"][0]
    assert not list(zone.entity_dir("shopify", "orders").glob(".*tmp*"))


def test_the_next_cursor_is_the_latest_landed_change_minus_the_lookback(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path)
    assert zone.next_cursor("shopify", "orders", lookback=timedelta(minutes=10)) is None
    with zone.open_load("shopify", "orders", source="s") as load:
        load.add(_records(30), key=_key, updated_at=_updated)
        load.commit()
    cursor = zone.next_cursor("shopify", "orders", lookback=timedelta(minutes=10))
    assert cursor == T0 + timedelta(minutes=29 - 10)


def test_a_crashed_load_keeps_its_records_unread_and_does_not_move_the_cursor(
    tmp_path: Path,
) -> None:
    zone = LandingZone(tmp_path)
    with zone.open_load("amazon", "orders", source="s") as load:
        load.add(_records(5), key=_key, updated_at=_updated)
        load.commit()
    with pytest.raises(RuntimeError), zone.open_load("amazon", "orders", source="s") as load:
        load.add(_records(5, start=100), key=_key, updated_at=_updated)
        raise RuntimeError("killed mid-run")
    assert zone.scan("amazon", "orders").select(pl.len()).collect().item() == 5
    assert len(list(zone.entity_dir("amazon", "orders").glob("*.parquet"))) == 1
    assert zone.pending_loads("amazon", "orders") == [load.load_id]
    assert len(zone.completed_loads("amazon", "orders")) == 1
    cursor = zone.next_cursor("amazon", "orders", lookback=timedelta(0))
    assert cursor == T0 + timedelta(minutes=4)


def test_the_heap_stays_frozen_until_the_last_open_load_closes(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path)
    assert gc.get_freeze_count() == 0
    with zone.open_load("shopify", "orders", source="a") as first:
        with zone.open_load("shopify", "customers", source="b") as second:
            assert gc.get_freeze_count() > 0
            second.commit()
        assert gc.get_freeze_count() > 0
        first.commit()
    assert gc.get_freeze_count() == 0
    with pytest.raises(RuntimeError), zone.open_load("shopify", "orders", source="c"):
        raise RuntimeError("killed mid-run")
    assert gc.get_freeze_count() == 0


def test_parallel_loads_write_only_their_own_files(tmp_path: Path) -> None:
    zone = LandingZone(tmp_path)
    first = zone.open_load("rakuten", "orders", source="a")
    second = zone.open_load("rakuten", "orders", source="b")
    first.add(_records(3), key=_key)
    second.add(_records(3), key=_key)
    first.commit()
    second.commit()
    names = [p.name for p in zone.entity_dir("rakuten", "orders").glob("*.parquet")]
    assert len(names) == 2 and first.load_id != second.load_id
    assert {n.rsplit("-", 1)[0] for n in names} == {first.load_id, second.load_id}


def _ids_up_to_six() -> BatchValidator:
    """A contract that sends records with an id above 6 to the quarantine."""
    import great_expectations as gx

    def extract(records: object) -> pl.DataFrame:
        return pl.DataFrame(
            [{"_row": i, "id": r["id"]} for i, r in enumerate(records)],  # type: ignore[index, arg-type]
            schema={"_row": pl.Int64, "id": pl.Int64},
        )

    return BatchValidator(
        Contract(
            name="t.orders",
            extract=extract,
            expectations=[
                gx.expectations.ExpectColumnValuesToBeBetween(column="id", min_value=0, max_value=6)
            ],
        )
    )


def test_a_validated_load_quarantines_bad_records_and_counts_both(tmp_path: Path) -> None:
    validator = _ids_up_to_six()
    zone = LandingZone(tmp_path / "landing")
    with zone.open_load("pos", "sales", source="f.csv", validator=validator, part_rows=4) as load:
        load.add(_records(10), key=_key, updated_at=_updated)
        manifest = load.commit()
    assert (manifest.records, manifest.accepted, manifest.quarantined) == (10, 7, 3)
    assert manifest.checks[0]["unexpected"] == 3 and manifest.checks[0]["checked"] == 10
    landed = zone.scan("pos", "sales").collect()
    quarantined = zone.scan_quarantine("pos", "sales").collect()
    assert sorted(landed["_record_key"].to_list() + quarantined["_record_key"].to_list()) == sorted(
        str(i) for i in range(10)
    )
    assert (tmp_path / "quarantine" / "pos" / "sales").is_dir()
    assert "expect_column_values_to_be_between" in quarantined["_reasons"][0][0]


def test_a_data_directorys_zone_lands_and_quarantines_where_its_paths_say(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    zone = LandingZone.under(paths)
    assert (zone.root, zone.quarantine_root) == (paths.landing, paths.quarantine)
    assert LandingZone(paths.landing).quarantine_root == paths.quarantine


def test_a_part_is_flushed_at_its_size_in_bytes_and_validated_with_its_own_rows(
    tmp_path: Path,
) -> None:
    # Ten records of one size; a part holds three. One `add` of all ten is cut mid-call, so
    # each part's validation rows must be the rows of its own records.
    size = len(orjson.dumps(_records(1)[0]))
    assert {len(orjson.dumps(r)) for r in _records(10)} == {size}
    zone = LandingZone(tmp_path / "landing")
    with zone.open_load(
        "supplier", "purchase_orders", source="s", validator=_ids_up_to_six(), part_bytes=3 * size
    ) as load:
        load.add(_records(10), key=_key, updated_at=_updated)
        manifest = load.commit()
    assert (manifest.parts, manifest.records, manifest.quarantined) == (4, 10, 3)
    parts = sorted(zone.entity_dir("supplier", "purchase_orders").glob("*.parquet"))
    assert [pl.read_parquet(p).height for p in parts] == [3, 3, 1, 0]  # 7, 8, 9 quarantined
    landed = zone.scan("supplier", "purchase_orders").collect()["_record_key"].to_list()
    assert landed == [str(i) for i in range(7)]
    quarantined = zone.scan_quarantine("supplier", "purchase_orders").collect()
    assert quarantined["_record_key"].to_list() == ["7", "8", "9"]
    reasons = [r[0] for r in quarantined["_reasons"]]
    assert [r.rsplit("got ", 1)[1] for r in reasons] == ["7", "8", "9"]
