"""The warehouse: dbt models as Dagster assets (dagster-dbt), then the app's snapshot.

dbt sources are the landing assets (``source('shopify', 'orders')`` is ``shopify_orders``),
so ingestion and the models form one lineage graph. The dbt asset body only streams
``dbt build``; its arguments come from `dbt_build_args`, and the warehouse's paths reach dbt as
vars on its command line (`WarehouseResource.dbt_args`). A channel with nothing landed yet
builds empty models (dbt_project/macros/locations.sql), so a build writes nothing into the
landing zone. A channel whose new data cannot be built is held back at its last good state and
the build goes on with the others (`held_channels.build_holding_back`), for `oms build` and the
scheduled job alike; the check `no_channel_is_held_back` on the snapshot says which and why.
"""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ichigen.orchestration.held_channels import ChannelStates, HeldChannel, build_holding_back
from ichigen.orchestration.project import (
    DBT_EXECUTABLE,
    dbt_project,
    dbt_vars_args,
    prepare_if_dev,
)
from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from ichigen.settings import Settings

__all__ = [
    "WarehouseResource",
    "dbt_build_args",
    "defs",
    "ichigen_dbt_assets",
    "no_channel_is_held_back",
    "parse_ahead",
    "serving_snapshot",
    "warehouse_resources",
]

# Under `dagster dev` a stale manifest is parsed again as the code location loads (model edits
# show at once); anywhere else the command line has prepared it (`project.ensure_manifest`).
prepare_if_dev()


def dbt_build_args(
    *,
    full_refresh: bool = False,
    select: str | None = None,
    after_forecasts: bool = False,
    threads: int | None = None,
    unit_tests: bool = False,
) -> list[str]:
    """`dbt build` arguments for one step of a run.

    Dagster runs dbt in two steps around the forecasts. The first step runs only the tests it
    can build (``buildable``): a relationship from a forecast mart to dim_products cannot run
    before the forecasts exist. The step after the forecasts runs every test that touches its
    models (``eager``), so such a test runs there, once both sides are built.

    The staging models over each channel's orders, the customers of Shopify, Amazon and
    Rakuten, the POS receipts, returns and member master and the stock snapshots are
    incremental (dbt_project/macros/landing.sql): a build reads only what landed since the last
    one; so are the order and demand marts (each model's header says how). ``full_refresh``
    rebuilds them from every part.
    `threads` overrides the profile's (2: on two cores, see benchmarks/build.py).

    Unit tests check the models' logic on fixed inputs, not the data, so a build leaves them out
    unless `unit_tests` (tests/orchestration/test_warehouse.py runs them): in a build they took
    about a second each, a tenth of dbt's own cost on the small sandbox (benchmarks/build.py).
    """
    args = ["build", "--indirect-selection", "eager" if after_forecasts else "buildable"]
    if not unit_tests:
        args += ["--exclude-resource-type", "unit_test"]
    if full_refresh:
        args.append("--full-refresh")
    if select:
        args += ["--select", select]
    if threads is not None:
        args += ["--threads", str(threads)]
    return args


class _Translator(DagsterDbtTranslator):
    """Sources are the landing assets: ``<source name>_<table name>``."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey(f"{dbt_resource_props['source_name']}_{dbt_resource_props['name']}")
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """Where the warehouse and the published snapshot live, under the data directory."""

    data_dir: str
    # the ichigen location of Shopify web orders without one (ICHIGEN_SHOPIFY_WEB_LOCATION)
    shopify_web_location: str | None = None
    # rebuild the incremental models from every landed part instead of what landed since
    full_refresh: bool = False

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir))

    @property
    def warehouse_path(self) -> Path:
        return self.paths.warehouse

    @property
    def dbt_target_path(self) -> Path:
        """dbt's target folder for this warehouse, kept from build to build.

        Its partial-parse file lets the next build skip the full parse (dbt parses everything
        again when the profile's warehouse path differs from the file's, so the project's own
        target/, parsed without this warehouse's path, does not serve)."""
        return self.paths.dbt_target

    def dbt_args(
        self, args: list[str], *, held: Mapping[str, HeldChannel] | None = None
    ) -> list[str]:
        """`args` for dbt on this warehouse: the paths go on its command line as vars (see
        `project.dbt_vars_args`), so the process environment stays as it was; so do where web
        orders without a location are fulfilled and the channels `held` back
        (dbt_project/macros/held_channels.sql), when there are any."""
        extra: dict[str, Any] = {}
        if self.shopify_web_location:
            extra["shopify_web_location"] = self.shopify_web_location
        if held:
            extra["held_channels"] = {c: h.var() for c, h in held.items()}
        return [*args, *dbt_vars_args(self.paths, extra=extra)]


_DEMAND_HISTORY = dg.AssetKey("fct_demand_daily")


@dbt_assets(
    manifest=dbt_project.manifest_path, project=dbt_project, dagster_dbt_translator=_Translator()
)
def ichigen_dbt_assets(
    context: AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
) -> Iterator[Any]:
    warehouse.paths.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # the demand history feeds the forecasts: a step without it comes after them
    after_forecasts = _DEMAND_HISTORY not in context.selected_asset_keys
    args = dbt_build_args(after_forecasts=after_forecasts, full_refresh=warehouse.full_refresh)
    yield from build_holding_back(
        lambda held: dbt.cli(
            warehouse.dbt_args(args, held=held),
            context=context,
            target_path=warehouse.dbt_target_path,
            raise_on_error=False,
        ),
        states_path=warehouse.paths.channel_states,
        models=[key.path[-1] for key in context.selected_asset_keys],
        log=context.log,
    )


@dg.asset(
    deps=list(ichigen_dbt_assets.keys),
    group_name="warehouse",
    kinds={"duckdb"},
    description="The marts, published read-only for the app at serving/current.duckdb.",
)
def serving_snapshot(warehouse: WarehouseResource) -> dg.MaterializeResult:
    path = publish_snapshot(warehouse.warehouse_path, warehouse.paths.snapshot)
    return dg.MaterializeResult(metadata={"path": str(path)})


@dg.asset_check(
    asset=serving_snapshot,
    description="Every channel's new data was built: none is held back at its last good state.",
)
def no_channel_is_held_back(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    held = ChannelStates.read(warehouse.paths.channel_states).held
    return dg.AssetCheckResult(
        passed=not held,
        severity=dg.AssetCheckSeverity.ERROR,
        description="; ".join(h.describe() for h in held.values()) or None,
        metadata={"held": sorted(held)},
    )


def warehouse_resources(settings: Settings, *, full_refresh: bool = False) -> dict[str, Any]:
    return {
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE)),
        "warehouse": WarehouseResource(
            data_dir=str(settings.data_dir),
            shopify_web_location=settings.shopify.web_location,
            full_refresh=full_refresh,
        ),
    }


def parse_ahead(settings: Settings) -> None:
    """Parse the project into the warehouse's dbt target folder, as its builds will see it.

    A fresh warehouse's first build otherwise parses the whole project on its way (3.7 s of
    `oms demo`'s 40 s build on the small sandbox): the project's own partial-parse file, which
    dagster-dbt copies in, was written with another warehouse path in the profile, so dbt
    rejects it ("profile has changed"). The parse runs through the same resource and
    arguments as the build, so the build accepts the file it leaves. `oms demo` calls this
    while the channels are pulled; a folder that already has the file is left alone.
    """
    resources = warehouse_resources(settings)
    warehouse: WarehouseResource = resources["warehouse"]
    if (warehouse.dbt_target_path / "partial_parse.msgpack").exists():
        return
    dbt: DbtCliResource = resources["dbt"]
    dbt.cli(
        warehouse.dbt_args(["parse"]),
        manifest=dbt_project.manifest_path,
        target_path=warehouse.dbt_target_path,
    ).wait()


warehouse_build_job = dg.define_asset_job(
    "warehouse_build_job",
    selection=dg.AssetSelection.assets(ichigen_dbt_assets, serving_snapshot),
)

defs = dg.Definitions(
    assets=[ichigen_dbt_assets, serving_snapshot],
    asset_checks=[no_channel_is_held_back],
    jobs=[warehouse_build_job],
    schedules=[
        # after the quarter-hourly order pulls have had a few minutes to land
        dg.ScheduleDefinition(
            name="warehouse_build_schedule", job=warehouse_build_job, cron_schedule="5,35 * * * *"
        )
    ],
)
