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

Each outcome says in one line what landed, or why not: a failed asset's cause and what to
change, and each dropped file that failed whole. With a `RunLog`, each run's warnings and
errors go there with their full traces.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import dagster as dg

from ichigen.orchestration.cli_runs import (
    QUIET_RUN_CONFIG,
    cli_instance,
    cli_run_tags,
    failure_cause,
    first_failure,
    runs_can_overlap,
)
from ichigen.orchestration.ingest_assets import INGEST_ASSETS
from ichigen.orchestration.resources import resources_from
from ichigen.orchestration.run_log import RunLog
from ichigen.settings import Settings

__all__ = ["FIRST_GROUPS", "AssetOutcome", "channel_groups", "run_ingest"]

# Groups whose runs end before the others start: the file importers read the supplier catalogue.
FIRST_GROUPS = ("supplier",)


@dataclass(frozen=True)
class AssetOutcome:
    asset: str
    success: bool  # the asset landed its load (files may still have failed: `failed_files`)
    seconds: float
    received: int
    accepted: int
    quarantined: int
    error: str | None  # one line: the cause, and what to change
    # one line per dropped file that failed whole: in this run, or before and still there
    failed_files: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        """Landed, and no file failed: nothing for anyone to look at."""
        return self.success and not self.failed_files

    def describe(self) -> str:
        if not self.success:
            return f"{self.asset}: FAILED after {self.seconds:.1f} s: {self.error}"
        landed = (
            f"{self.asset}: {self.received:,} received, {self.accepted:,} accepted, "
            f"{self.quarantined:,} quarantined ({self.seconds:.1f} s)"
        )
        if not self.failed_files:
            return landed
        files = "".join(f"\n{self.asset}: FILE FAILED: {line}" for line in self.failed_files)
        return f"{landed}{files}"


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


def _lines(meta: Mapping[str, Any] | None, key: str) -> list[str]:
    """A list of lines from an asset's metadata (the file assets' ``files_failed``)."""
    value = meta[key].value if meta and key in meta else None
    return [str(line) for line in value] if isinstance(value, list) else []


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
            failed[step] = failure_cause(event.step_failure_data)
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
        files = [
            *_lines(meta, "files_failed"),
            *(f"{line} (failed before, unchanged)" for line in _lines(meta, "files_still_failing")),
        ]
        outcomes.append(
            AssetOutcome(
                asset=name,
                success=success,
                seconds=ended.get(step, 0.0) - started[step] if step in started else 0.0,
                error=error,
                failed_files=tuple(files),
                **counts,
            )
        )
    return outcomes


def run_ingest(
    settings: Settings,
    *,
    channel: str | None = None,
    on_progress: Callable[[AssetOutcome], None] = lambda _: None,
    log: RunLog | None = None,
) -> Sequence[AssetOutcome]:
    """Materialise every ingestion asset (or one channel's); each reports as its run ends.

    Outcomes come back in `INGEST_ASSETS` order whatever order the runs ended in. `log`
    gets each run's warnings and errors with their full traces.
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
                    tags=cli_run_tags(channel=group),
                    run_config=QUIET_RUN_CONFIG,
                )
                outcomes = _outcomes(result, assets, instance)
                if log is not None:
                    log.write_run(instance, result.run_id, title=group)
        except Exception as exc:  # a thread must not die with its channel unreported
            if log is not None:
                log.write_exception(f"the {group} run could not run", exc)
            cause = " ".join(f"{type(exc).__name__}: {exc}".split())
            outcomes = [
                AssetOutcome(a.key.to_user_string(), False, 0.0, 0, 0, 0, cause) for a in assets
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
