"""Staging reads the parts of completed loads only, and an incremental build still reads each.

One entity's landing holds a completed load, a load that failed (its parts pending) and a load
whose commit was cut short between moving its parts into place and writing its manifest. The
first build reads only the completed load. Everything is then dated an hour back (as if the
failures were long before that build); the next pull finishes the cut-short commit and resumes
the failed load, and an incremental build must then hold all of them, equal to a full refresh.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

import ichigen.ingestion.pending as pending_module
from ichigen.atomic import write_text_atomically
from ichigen.ingestion.landing import LandingZone, LoadWriter
from tests.dbt_cli import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

T0 = datetime(2026, 10, 1, tzinfo=UTC)
_SOURCE = "https://shop.example/admin/api/2026-01/orders.json"


def _orders(first: int, n: int) -> list[dict[str, Any]]:
    return [
        {
            "id": i,
            "name": f"#{1000 + i}",
            "updated_at": (T0 + timedelta(minutes=i)).isoformat(),
            "created_at": T0.isoformat(),
            "currency": "JPY",
            "total_price": "1100",
            "line_items": [],
        }
        for i in range(first, first + n)
    ]


def _add(load: LoadWriter, first: int, n: int) -> None:
    load.add(
        _orders(first, n),
        key=lambda r: str(r["id"]),
        updated_at=lambda r: datetime.fromisoformat(r["updated_at"]),
        checkpoint={"after": first + n},
    )


def _staged(data_dir: Path, warehouse: Path, *, full_refresh: bool = False) -> list[str]:
    # the model only (`run`): its tests want real orders
    args = ["run", "--select", "stg_shopify__orders", *(["--full-refresh"] if full_refresh else [])]
    done = run_dbt(args, data_dir=data_dir, warehouse=warehouse)
    assert done.returncode == 0, done.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql("select channel_order_id from staging.stg_shopify__orders").fetchall()
    return sorted((str(row[0]) for row in rows), key=int)


def _date_back(folder: Path, seconds: float) -> None:
    then = time.time() - seconds
    for path in folder.rglob("*.parquet"):
        os.utime(path, (then, then))


def test_staging_reads_completed_loads_only_and_incrementally_reads_each_once_completed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    zone = LandingZone(data_dir / "landing")
    with zone.open_load("shopify", "orders", source=_SOURCE, resumable=True) as load:
        _add(load, 1, 3)
        load.commit()

    def dies_writing_the_manifest(path: Path, text: str) -> Path:
        if path.parent.name == "_loads":
            raise KeyboardInterrupt("killed between moving the parts and writing the manifest")
        return write_text_atomically(path, text)

    with (
        pytest.raises(ConnectionError),
        zone.open_load("shopify", "orders", source=_SOURCE, resumable=True) as failed,
    ):
        _add(failed, 4, 2)
        failed.flush()
        monkeypatch.setattr(pending_module, "write_text_atomically", dies_writing_the_manifest)
        with (
            pytest.raises(KeyboardInterrupt),
            zone.open_load("shopify", "orders", source=_SOURCE, resumable=True) as cut,
        ):
            assert not cut.resumed  # the failing load is held by its writer
            _add(cut, 6, 2)
            cut.commit()
        monkeypatch.undo()
        raise ConnectionError("the channel went down")
    entity = zone.entity_dir("shopify", "orders")
    assert len(list(entity.glob("*.parquet"))) == 2, "the cut-short commit's part is in place"
    assert len(zone.completed_loads("shopify", "orders")) == 1

    warehouse = data_dir / "warehouse" / "ichigen.duckdb"
    assert _staged(data_dir, warehouse) == ["1", "2", "3"]

    _date_back(data_dir / "landing", 3600)  # every part written long before that build
    with zone.open_load("shopify", "orders", source=_SOURCE, resumable=True) as resumed:
        assert resumed.load_id == failed.load_id and resumed.checkpoint == {"after": 6}
        _add(resumed, 8, 1)
        resumed.commit()
    assert {load.load_id for load in zone.completed_loads("shopify", "orders")} >= {
        failed.load_id,
        cut.load_id,
    }

    everything = [str(i) for i in range(1, 9)]
    assert _staged(data_dir, warehouse) == everything  # incremental
    assert _staged(data_dir, tmp_path / "full" / "ichigen.duckdb", full_refresh=True) == everything
