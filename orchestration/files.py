"""The file channels' assets and sensors: POS exports and members, wholesale sheets, stock.

Each asset imports its drop folder's new and corrected files as one validated load (see
`ingestion.files`). A sensor per folder watches the files' names, sizes and modification
times; when they change it asks for a run keyed by that fingerprint, so the same state of a
folder never triggers twice. Items are checked against the supplier catalogue once it has
landed (SKUs and their JAN barcodes); before that, unknown SKUs cannot be told apart.
"""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import dagster as dg
import orjson
from dagster import AssetExecutionContext

from ichigen.ingestion.files import (
    Catalogue,
    ImportResult,
    import_members,
    import_pos,
    import_stock,
    import_wholesale,
)
from ichigen.ingestion.landing import LandingZone, LoadManifest
from ichigen.orchestration.landing_assets import (
    INGEST_RETRY,
    files_check,
    landing_check_specs,
    landing_result,
    recording_failure,
)
from ichigen.orchestration.resources import FileDropsResource, LandingResource

__all__ = ["ASSETS", "catalogue_from_landing", "defs", "folder_fingerprint"]

_SUFFIXES = (".csv", ".xlsx", ".xlsm")


def catalogue_from_landing(zone: LandingZone) -> Catalogue | None:
    """SKUs and JAN codes from the landed supplier catalogue, if any has landed."""
    if not any(zone.entity_dir("supplier", "catalogue").glob("*.parquet")):
        return None
    raw = zone.scan("supplier", "catalogue").select("_raw").collect()["_raw"]
    pairs: list[tuple[str, str | None]] = []
    for value in raw:
        item: dict[str, Any] = orjson.loads(value)
        if item.get("sku"):
            pairs.append((str(item["sku"]), item.get("jan")))
    return Catalogue.from_pairs(pairs) if pairs else None


def folder_fingerprint(folder: Path) -> str:
    """Changes whenever a file is added, replaced or rewritten in `folder` (recursively)."""
    digest = hashlib.sha256()
    if folder.exists():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in _SUFFIXES:
                stat = path.stat()
                digest.update(
                    f"{path.relative_to(folder)}:{stat.st_size}:{stat.st_mtime_ns}\n".encode()
                )
    return digest.hexdigest()[:16]


def _result(result: ImportResult, context: AssetExecutionContext) -> dg.MaterializeResult:
    for error in result.errors:
        # a file that cannot be read lands nothing and is named here; the others still land
        context.log.error(str(error))
    failed = [record.line for record in result.failed]
    still_failing = [record.line for record in result.still_failing]
    return landing_result(
        result.manifest or _nothing_new(),
        extra={
            "files_imported": len(result.imported),
            "files_unchanged": len(result.unchanged),
            # one line per file, as the command line prints them (`ingest_run.AssetOutcome`)
            "files_failed": dg.MetadataValue.json(failed),
            "files_still_failing": dg.MetadataValue.json(still_failing),
        },
        checks=[files_check(failed, still_failing)],
    )


def _nothing_new() -> LoadManifest:
    """No new or changed file: an empty load, so the checks still report."""
    return LoadManifest(
        load_id="(none)",
        channel="",
        entity="",
        source="",
        cursor_start=None,
        cursor_end=None,
        started_at="",
        finished_at="",
        records=0,
        accepted=0,
        quarantined=0,
        parts=0,
        max_record_updated_at=None,
        checks=[],
    )


Importer = Callable[[FileDropsResource, LandingZone, Catalogue | None], ImportResult]
Folder = Callable[[FileDropsResource], str]


def _file_asset(
    name: str, run: Importer, *, landed_as: tuple[str, str], folder: Folder
) -> dg.AssetsDefinition:
    """`name`'s asset: `run` imports the folder (`folder`) into `landed_as` (channel, entity)."""
    channel, entity = landed_as

    @dg.asset(
        name=name,
        group_name="files",
        kinds={"python", "parquet"},
        tags={"channel": channel, "cadence": "files"},
        op_tags={"channel": channel},
        retry_policy=INGEST_RETRY,
        check_specs=landing_check_specs(name, files=True),
        description=f"{name.replace('_', ' ').capitalize()} imported from their drop folder.",
    )
    def _import(
        context: AssetExecutionContext, landing: LandingResource, drops: FileDropsResource
    ) -> dg.MaterializeResult:
        zone = landing.zone()
        # a file that fails whole is one file's failure (`ImportResult.failed`); this records
        # what stops the whole folder (it cannot be listed, the load cannot be written)
        with recording_failure(context, zone, channel=channel, entity=entity, source=folder(drops)):
            return _result(run(drops, zone, catalogue_from_landing(zone)), context)

    return _import


def _wholesale(
    drops: FileDropsResource, zone: LandingZone, catalogue: Catalogue | None
) -> ImportResult:
    folder = Path(drops.wholesale_dir)
    if drops.wholesale_mappings_dir is None:  # the shipped examples, one per sandbox layout
        return import_wholesale(folder, zone, catalogue=catalogue)
    mappings = Path(drops.wholesale_mappings_dir)
    return import_wholesale(folder, zone, catalogue=catalogue, mappings=mappings)


pos_sales = _file_asset(
    "pos_sales",
    lambda d, zone, cat: import_pos(Path(d.pos_dir), zone, catalogue=cat),
    landed_as=("pos", "sales"),
    folder=lambda d: d.pos_dir,
)
pos_members = _file_asset(
    "pos_members",
    lambda d, zone, _: import_members(Path(d.pos_members_dir), zone),
    landed_as=("pos", "members"),
    folder=lambda d: d.pos_members_dir,
)
wholesale_order_lines = _file_asset(
    "wholesale_order_lines",
    _wholesale,
    landed_as=("wholesale", "order_lines"),
    folder=lambda d: d.wholesale_dir,
)
stock_snapshots = _file_asset(
    "stock_snapshots",
    lambda d, zone, cat: import_stock(Path(d.stock_dir), zone, catalogue=cat),
    landed_as=("stock", "snapshots"),
    folder=lambda d: d.stock_dir,
)
ASSETS = [pos_sales, pos_members, wholesale_order_lines, stock_snapshots]


def _sensor(
    asset: dg.AssetsDefinition, folder_of: Callable[[FileDropsResource], str]
) -> dg.SensorDefinition:
    name = asset.key.to_user_string()

    @dg.sensor(
        name=f"{name}_sensor",
        asset_selection=[asset.key],
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
    )
    def _watch(
        context: dg.SensorEvaluationContext, drops: FileDropsResource
    ) -> dg.SensorResult | dg.SkipReason:
        fingerprint = folder_fingerprint(Path(folder_of(drops)))
        if fingerprint == context.cursor:
            return dg.SkipReason("no file added or changed since the last import")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"{name}:{fingerprint}")], cursor=fingerprint
        )

    return _watch


defs = dg.Definitions(
    assets=ASSETS,
    sensors=[
        _sensor(pos_sales, lambda d: d.pos_dir),
        _sensor(pos_members, lambda d: d.pos_members_dir),
        _sensor(wholesale_order_lines, lambda d: d.wholesale_dir),
        _sensor(stock_snapshots, lambda d: d.stock_dir),
    ],
)
