"""`oms build`: dbt build, the demand forecasts, then the app's snapshot, as Dagster assets.

The forecasts sit between dbt models (demand history in, forecast marts out), so Dagster runs
dbt in two steps around them; it is one run and one lineage either way.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from ichigen.orchestration.cli_runs import QUIET_RUN_CONFIG, cli_instance, first_failure
from ichigen.orchestration.forecasting import demand_forecasts
from ichigen.orchestration.warehouse import (
    ichigen_dbt_assets,
    serving_snapshot,
    warehouse_resources,
)
from ichigen.settings import Settings

__all__ = ["BuildOutcome", "run_build"]


@dataclass(frozen=True)
class BuildOutcome:
    success: bool
    snapshot: Path | None
    error: str | None


def run_build(settings: Settings, *, full_refresh: bool = False) -> BuildOutcome:
    """Build the warehouse; on success publish the snapshot, on failure keep the old one.

    `full_refresh` builds the incremental models again from everything landed (after a change
    to the stock-out vars, or to rebuild fct_demand_daily in date order)."""
    with cli_instance() as instance:
        result = dg.materialize(
            [ichigen_dbt_assets, demand_forecasts, serving_snapshot],
            resources=warehouse_resources(settings, full_refresh=full_refresh),
            instance=instance,
            raise_on_error=False,
            tags={"ichigen/trigger": "cli"},
            run_config=QUIET_RUN_CONFIG,
        )
    if result.success:
        return BuildOutcome(True, settings.paths.snapshot, None)
    return BuildOutcome(False, None, first_failure(result, default="the build failed"))
