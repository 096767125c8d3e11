"""`oms ingest`: materialise the ingestion assets from the command line, channels side by side.

The same asset definitions as the Dagster schedules, with the resources configured from the
environment, so a command-line pull and a scheduled one land exactly the same way. Each channel
(asset group) is one in-process Dagster run; the supplier's goes first, because the file
importers check items against its catalogue, then every other channel's run at the same time,
each in its own thread. The pulls mostly wait on the channels' rate limits, so running them side
by side costs little CPU, and in-process runs need no extra interpreter per step (the
multiprocess executor's cost on two cores: see benchmarks/orchestration.py). Each asset reports
when its channel's run ends. With $DAGSTER_HOME set the runs are recorded in that instance (and
show in the Dagster UI); without it they run in a throwaway one. When that instance has settings
(a dagster.yaml) the channels run one after another instead: Dagster then reconfigures the
process's logging at every run start, which deadlocks threads that are logging
(`orchestration.cli_runs.runs_can_overlap`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dagster as dg

from ichigen.orchestration.cli_runs import (
    QUIET_RUN_CONFIG,
    cli_instance,
    first_failure,
    runs_can_overlap,
)
from ichigen.orchestration.ingest_assets import INGEST_ASSETS
from ichigen.orchestration.resources import resources_from
from ichigen.settings import Settings

__all__ = ["FIRST_GROUPS", "AssetOutcome", "channel_groups", "run_ingest"]

# Groups whose runs end before the others start: the file importers read the supplier catalogue.
FIRST_GROUPS = ("supplier",)


@dataclass(frozen=True)
class AssetOutcome:
    asset: str
    success: bool
    seconds: float
    received: int
    accepted: int
    quarantined: int
    error: str | None

    def describe(self) -> str:
        if not self.success:
            return f"{self.asset}: FAILED after {self.seconds:.1f} s: {self.error}"
        return (
            f"{self.asset}: {self.received:,} received, {self.accepted:,} accepted, "
            f"{self.quarantined:,} quarantined ({self.seconds:.1f} s)"
        )


def channel_groups(channel: str | None = None) -> dict[str, list[dg.AssetsDefinition]]:
    """The ingestion assets by group (channel), in the order `INGEST_ASSETS` lists them."""
    groups: dict[str, list[dg.AssetsDefinition]] = {}
    for asset in INGEST_ASSETS:
        groups.setdefault(asset.group_names_by_key[asset.key], []).append(asset)
    if channel is None:
        return groups
    if channel not in groups:
        raise ValueError(f"unknown channel {channel!r}: choose one of {', '.join(sorted(groups))}")
    return {channel: groups[channel]}


def _outcomes(
    result: dg.ExecuteInProcessResult,
    assets: Sequence[dg.AssetsDefinition],
    instance: dg.DagsterInstance,
) -> list[AssetOutcome]:
    """One outcome per asset of a run, from its step events and materialisations."""
    started: dict[str, float] = {}
    ended: dict[str, float] = {}
    failed: dict[str, str] = {}
    for entry in instance.all_logs(result.run_id):
        event = entry.dagster_event
        step = entry.step_key
        if event is None or step is None:
            continue
        if event.is_step_start:
            started[step] = entry.timestamp
        elif event.is_step_success or event.is_step_failure or event.is_step_skipped:
            ended[step] = entry.timestamp
        if event.is_step_failure:
            data = event.step_failure_data
            failed[step] = data.error.message.strip() if data and data.error else "it failed"
    metadata = {
        event.asset_key: event.materialization.metadata
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    }
    outcomes = []
    for asset in assets:
        name = asset.key.to_user_string()
        step = asset.op.name
        meta = metadata.get(asset.key)
        counts = {
            field: int(meta[field].value) if meta and field in meta else 0  # type: ignore[arg-type]
            for field in ("received", "accepted", "quarantined")
        }
        success = meta is not None and step not in failed
        error = None
        if not success:
            error = failed.get(step) or (
                "not run: a step before it failed"
                if step not in started
                else first_failure(result, default="the run failed")
            )
        outcomes.append(
            AssetOutcome(
                asset=name,
                success=success,
                seconds=ended.get(step, 0.0) - started[step] if step in started else 0.0,
                error=error,
                **counts,
            )
        )
    return outcomes


def run_ingest(
    settings: Settings,
    *,
    channel: str | None = None,
    on_progress: Callable[[AssetOutcome], None] = lambda _: None,
) -> Sequence[AssetOutcome]:
    """Materialise every ingestion asset (or one channel's); each reports as its run ends.

    Outcomes come back in `INGEST_ASSETS` order whatever order the runs ended in.
    """
    groups = channel_groups(channel)
    resources = resources_from(settings)
    reported = threading.Lock()
    by_asset: dict[str, AssetOutcome] = {}

    def run_group(group: str) -> None:
        assets = groups[group]
        try:
            # an instance per run: the throwaway one is an in-memory database that two
            # threads cannot write at once ("database table is locked")
            with cli_instance() as instance:
                result = dg.materialize(
                    assets,
                    resources=resources,
                    instance=instance,
                    raise_on_error=False,
                    tags={"channel": group, "ichigen/trigger": "cli"},
                    run_config=QUIET_RUN_CONFIG,
                )
                outcomes = _outcomes(result, assets, instance)
        except Exception as exc:  # a thread must not die with its channel unreported
            outcomes = [
                AssetOutcome(a.key.to_user_string(), False, 0.0, 0, 0, 0, str(exc)) for a in assets
            ]
        for outcome in outcomes:
            with reported:
                by_asset[outcome.asset] = outcome
                on_progress(outcome)

    for group in (g for g in groups if g in FIRST_GROUPS):
        run_group(group)
    later = [g for g in groups if g not in FIRST_GROUPS]
    if runs_can_overlap():
        threads = [threading.Thread(target=run_group, args=(g,), name=f"ingest-{g}") for g in later]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    else:
        for group in later:
            run_group(group)

    return [
        by_asset[a.key.to_user_string()]
        for assets in groups.values()
        for a in assets
        if a.key.to_user_string() in by_asset
    ]
