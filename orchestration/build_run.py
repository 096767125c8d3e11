"""`oms build`: dbt build, the demand forecasts, then the app's snapshot, as Dagster assets.

The forecasts sit between dbt models (demand history in, forecast marts out), so Dagster runs
dbt in two steps around them; it is one run and one lineage either way.

A failed build says in one line per failed model, test or step what went wrong
(`BuildOutcome.failures`); with a `RunLog` the whole of each error goes there. A build that held
back a channel whose new data could not be built (orchestration/held_channels.py) publishes the
others' and says which channel and why (`BuildOutcome.held`): it succeeded, but not in full.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import dagster as dg
from dagster._core.execution.plan.objects import StepFailureData

from ichigen.orchestration.cli_runs import (
    QUIET_RUN_CONFIG,
    cli_instance,
    cli_run_tags,
    failure_cause,
)
from ichigen.orchestration.forecasting import demand_forecasts
from ichigen.orchestration.held_channels import ChannelStates, HeldChannel
from ichigen.orchestration.run_log import RunLog
from ichigen.orchestration.warehouse import (
    ichigen_dbt_assets,
    no_channel_is_held_back,
    serving_snapshot,
    warehouse_resources,
)
from ichigen.settings import Settings

__all__ = ["BuildOutcome", "dbt_errors", "run_build"]

# How dagster-dbt introduces the errors it read from dbt's log in its exception's message.
_DBT_ERRORS: Final = "Errors parsed from dbt logs:"
_ANSI: Final = re.compile(r"\x1b\[[0-9;]*m")  # dbt colours its log lines
_PROGRESS: Final = re.compile(r"^\d+ of \d+ ")
_NODE: Final = re.compile(r"^Failure in (.+)$")


@dataclass(frozen=True)
class BuildOutcome:
    success: bool
    snapshot: Path | None
    error: str | None  # the first failure's cause
    failures: tuple[str, ...] = ()  # one line per failed model, test or step
    # the channels whose new data this build held back (their last good state is published)
    held: tuple[HeldChannel, ...] = ()

    @property
    def complete(self) -> bool:
        """Whether it published every channel's new data without a failure."""
        return self.success and not self.failures and not self.held


def dbt_errors(message: str) -> list[str]:
    """dbt's own errors in dagster-dbt's failure message, one line per failed model or test.

    dagster-dbt ends the message with the error events of dbt's log, a blank line apart: the
    progress lines ("2 of 9 ERROR creating ..."), then per node "Failure in model b (path)"
    followed by why ("Runtime Error in model b (path) Catalog Error: ..." or "Got 3 results,
    configured to fail if != 0"). Each node becomes "model b (path): why".
    """
    _, found, errors = message.partition(_DBT_ERRORS)
    if not found:
        return []
    blocks = [" ".join(_ANSI.sub("", block).split()) for block in errors.split("\n\n")]
    blocks = [block for block in blocks if block]
    lines = []
    for at, block in enumerate(blocks):
        node = _NODE.match(block)
        if node is None:
            continue
        after = blocks[at + 1] if at + 1 < len(blocks) else ""
        told = after and not _NODE.match(after) and not _PROGRESS.match(after)
        why = after.replace(f" in {node[1]}", ":") if told else ""
        lines.append(f"{node[1]}: {why}" if why else node[1])
    return lines or [block for block in blocks if not _PROGRESS.match(block)] or blocks


def _step_failures(step: str, data: StepFailureData | None) -> list[str]:
    error = data.error if data is not None else None
    while error is not None:
        found = dbt_errors(error.message)
        if found:
            return [f"dbt: {line}" for line in found]
        error = error.cause
    return [f"{step}: {failure_cause(data)}"]


def run_build(
    settings: Settings, *, full_refresh: bool = False, log: RunLog | None = None
) -> BuildOutcome:
    """Build the warehouse; on success publish the snapshot, on failure keep the old one. A
    channel whose new data cannot be built is held back at its last good state
    (`BuildOutcome.held`) and the others' is published.

    `full_refresh` builds the incremental models again from everything landed (after a change
    to the stock-out vars, or to rebuild fct_demand_daily in date order). `log` gets the run's
    warnings and errors with their full traces."""
    with cli_instance() as instance:
        result = dg.materialize(
            [ichigen_dbt_assets, demand_forecasts, serving_snapshot, no_channel_is_held_back],
            resources=warehouse_resources(settings, full_refresh=full_refresh),
            instance=instance,
            raise_on_error=False,
            tags=cli_run_tags(),
            run_config=QUIET_RUN_CONFIG,
        )
        if log is not None:
            log.write_run(instance, result.run_id, title="build")
    failures = tuple(
        line
        for event in result.all_events
        if event.is_step_failure
        for line in _step_failures(event.step_key or "build", event.step_failure_data)
    )
    if result.success:
        held = tuple(ChannelStates.read(settings.paths.channel_states).held.values())
        return BuildOutcome(True, settings.paths.snapshot, None, failures, held)
    return BuildOutcome(False, None, failures[0] if failures else "the build failed", failures)
