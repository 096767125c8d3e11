"""A landing zone with loads that completed, pulls and files that failed, and quarantined
records received twice, written as ingestion writes them: load manifests
(``landing/<channel>/<entity>/_loads/``), failure records per the shared contract
(``landing/<channel>/<entity>/_failures/<failure_id>.json``, ingestion/failures.py) and
quarantine parts. The completeness tests build the operations marts over it.

    shopify orders     a load, then a pull that failed: incomplete
    amazon orders      a pull that failed (a wrong token), then a load: complete again
    rakuten orders     only a failed pull: incomplete, nothing landed
    pos sales          the same file sent twice (its bad row quarantined twice), one bad file
                       tried twice and another once: complete, with two files failed whole
    wholesale lines    one load ten days ago: complete, and stale by the app's rule
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from ichigen.ingestion.landing import QUARANTINE_SCHEMA
from ichigen.paths import DataPaths

__all__ = [
    "BAD_FILE_SHA",
    "OTHER_BAD_FILE_SHA",
    "write_failure",
    "write_manifest",
    "write_quarantine",
    "write_scenario",
]

BAD_FILE_SHA = "a" * 64
OTHER_BAD_FILE_SHA = "b" * 64


def _entity_dir(paths: DataPaths, channel: str, entity: str, folder: str) -> Path:
    path = paths.landing / channel / entity / folder
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_manifest(
    paths: DataPaths,
    channel: str,
    entity: str,
    load_id: str,
    *,
    finished_at: datetime,
    records: int,
    quarantined: int = 0,
    max_record_updated_at: datetime | None = None,
) -> None:
    """A completed load's manifest (ingestion/landing.py's LoadManifest)."""
    manifest: dict[str, Any] = {
        "load_id": load_id,
        "channel": channel,
        "entity": entity,
        "source": f"http://127.0.0.1/{entity}",
        "cursor_start": None,
        "cursor_end": None,
        "started_at": (finished_at - timedelta(minutes=1)).isoformat(),
        "finished_at": finished_at.isoformat(),
        "records": records,
        "accepted": records - quarantined,
        "quarantined": quarantined,
        "parts": 1,
        "max_record_updated_at": max_record_updated_at and max_record_updated_at.isoformat(),
        "checks": [],
    }
    folder = _entity_dir(paths, channel, entity, "_loads")
    (folder / f"{load_id}.json").write_text(json.dumps(manifest), "utf-8")


def write_failure(
    paths: DataPaths,
    channel: str,
    entity: str,
    failure_id: str,
    *,
    kind: str,
    failed_at: datetime,
    error_class: str,
    cause: str,
    fix: str | None = None,
    source: str = "",
    content_sha256: str | None = None,
    load_id: str | None = None,
) -> None:
    """One failure record, with the fields of the shared contract."""
    record = {
        "failure_id": failure_id,
        "channel": channel,
        "entity": entity,
        "kind": kind,
        "source": source,
        "content_sha256": content_sha256,
        "failed_at": failed_at.isoformat(),
        "error_class": error_class,
        "cause": cause,
        "fix": fix,
        "load_id": load_id,
    }
    folder = _entity_dir(paths, channel, entity, "_failures")
    (folder / f"{failure_id}.json").write_text(json.dumps(record), "utf-8")


def write_quarantine(
    paths: DataPaths,
    channel: str,
    entity: str,
    load_id: str,
    *,
    loaded_at: datetime,
    records: list[tuple[str, dict[str, Any], list[str]]],
) -> None:
    """A quarantine part of `load_id`: (record key, raw record, reasons) per refused record."""
    folder = paths.quarantine / channel / entity
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(
        {
            "_load_id": [load_id] * len(records),
            "_loaded_at": [loaded_at] * len(records),
            "_source": ["drop"] * len(records),
            "_cursor_start": [None] * len(records),
            "_cursor_end": [None] * len(records),
            "_record_key": [key for key, _, _ in records],
            "_record_updated_at": [None] * len(records),
            "_raw": [json.dumps(raw, ensure_ascii=False) for _, raw, _ in records],
            "_reasons": [reasons for _, _, reasons in records],
        },
        schema=QUARANTINE_SCHEMA,
    ).write_parquet(folder / f"{load_id}-00000.parquet")


def _pos_row(file: str, version: int) -> dict[str, Any]:
    """A POS row with a quantity that is not a number, as the importer lands it: the file's
    name and version first (ingestion/files/folder.py), then the row."""
    return {
        "_file": file,
        "_file_version": version,
        "_file_sha256": "c" * 64,
        "_row": 2,
        "_malformed": None,
        "取引番号": "R-0002",
        "明細番号": "1",
        "数量": "一",
    }


def write_scenario(paths: DataPaths, now: datetime) -> None:
    """The landing zone of the module's docstring, its times counted back from `now`."""
    h = timedelta(hours=1)
    # shopify: a load, then a pull that failed part-way (its load never completed)
    write_manifest(
        paths,
        "shopify",
        "orders",
        "L-SHOP-1",
        finished_at=now - 3 * h,
        records=10,
        quarantined=1,
        max_record_updated_at=now - 4 * h,
    )
    write_quarantine(
        paths,
        "shopify",
        "orders",
        "L-SHOP-1",
        loaded_at=now - 3 * h,
        records=[("1001", {"id": 1001, "total_price": "x"}, ["total_price is a number"])],
    )
    write_failure(
        paths,
        "shopify",
        "orders",
        "F-SHOP-1",
        kind="pull",
        failed_at=now - 1 * h,
        error_class="retries_exhausted",
        cause="shopify orders: the shop kept answering 503 after 5 tries",
        source="http://127.0.0.1/admin/api/2024-10/orders.json",
        load_id="L-SHOP-2",
    )
    # the half-done load's refused record: never counted (its load has no manifest)
    write_quarantine(
        paths,
        "shopify",
        "orders",
        "L-SHOP-2",
        loaded_at=now - 1 * h,
        records=[("1002", {"id": 1002, "total_price": "y"}, ["total_price is a number"])],
    )
    # amazon: a wrong token, mended; the next load completed
    write_failure(
        paths,
        "amazon",
        "orders",
        "F-AMZ-1",
        kind="pull",
        failed_at=now - 5 * h,
        error_class="auth",
        cause="amazon orders: LWA refused the refresh token (401)",
        fix="set ICHIGEN_AMAZON_REFRESH_TOKEN",
        source="http://127.0.0.1/auth/o2/token",
    )
    write_manifest(
        paths,
        "amazon",
        "orders",
        "L-AMZ-1",
        finished_at=now - 2 * h,
        records=5,
        max_record_updated_at=now - 2.5 * h,
    )
    # rakuten: never landed
    write_failure(
        paths,
        "rakuten",
        "orders",
        "F-RAK-1",
        kind="pull",
        failed_at=now - 0.5 * h,
        error_class="configuration",
        cause="rakuten orders: no licenseKey is configured",
        fix="set ICHIGEN_RAKUTEN_LICENSE_KEY",
    )
    # pos: the same export sent twice, under another name the second time
    for load_id, file, at in (
        ("L-POS-1", "ST-SHIBUYA/ST-SHIBUYA_20261206.csv", now - 6 * h),
        ("L-POS-2", "resent/ST-SHIBUYA_20261206.csv", now - 2 * h),
    ):
        write_manifest(paths, "pos", "sales", load_id, finished_at=at, records=3, quarantined=1)
        write_quarantine(
            paths,
            "pos",
            "sales",
            load_id,
            loaded_at=at,
            records=[("R-0002-1", _pos_row(file, 1), ["quantity is an integer"])],
        )
    # a file no encoding reads, tried by two import runs; another whose header does not fit
    for failure_id, at in (("F-POS-1", now - 6 * h), ("F-POS-2", now - 2.5 * h)):
        write_failure(
            paths,
            "pos",
            "sales",
            failure_id,
            kind="file",
            failed_at=at,
            error_class="unreadable_file",
            cause="ST-UMEDA_20261206.csv is in no encoding we accept (UTF-8, CP932)",
            fix="export the file again as UTF-8 or CP932",
            source="ST-UMEDA/ST-UMEDA_20261206.csv",
            content_sha256=BAD_FILE_SHA,
        )
    write_failure(
        paths,
        "pos",
        "sales",
        "F-POS-3",
        kind="file",
        failed_at=now - 2 * h,
        error_class="invalid_file",
        cause="ST-SHINJUKU_20261206.csv lacks the columns ['数量']",
        source="ST-SHINJUKU/ST-SHINJUKU_20261206.csv",
        content_sha256=OTHER_BAD_FILE_SHA,
    )
    # a record being written when the build read the folder: not JSON yet, left out
    (paths.landing / "pos" / "sales" / "_failures" / "F-POS-4.json").write_text(
        '{"failure_id": "F-POS-4", "chan', "utf-8"
    )
    # wholesale: complete, but its last load is ten days old
    write_manifest(
        paths, "wholesale", "order_lines", "L-WHS-1", finished_at=now - 240 * h, records=4
    )
