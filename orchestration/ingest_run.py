"""`oms ingest`: materialise the ingestion assets from the command line, one at a time.

The same asset definitions as the Dagster schedules, run in dependency order with the
resources configured from the environment, so a command-line pull and a scheduled one land
exactly the same way. Each asset reports as it finishes, which is the progress a person at a
terminal wants. With $DAGSTER_HOME set the runs are recorded in that instance (and show in the
Dagster UI); without it they run in a throwaway one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import dagster as dg

from ichigen.settings import Settings
from orchestration.cli_runs import QUIET_RUN_CONFIG, cli_instance, first_failure
from orchestration.definitions import INGEST_ASSETS
from orchestration.resources import resources_from

__all__ = ["AssetOutcome", "run_ingest"]


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


def _selected(channel: str | None) -> list[dg.AssetsDefinition]:
    if channel is None:
        return list(INGEST_ASSETS)
    chosen = [a for a in INGEST_ASSETS if a.group_names_by_key[a.key] == channel]
    if not chosen:
        groups = sorted({a.group_names_by_key[a.key] for a in INGEST_ASSETS})
        raise ValueError(f"unknown channel {channel!r}: choose one of {', '.join(groups)}")
    return chosen


def run_ingest(
    settings: Settings,
    *,
    channel: str | None = None,
    on_progress: Callable[[AssetOutcome], None] = lambda _: None,
) -> Sequence[AssetOutcome]:
    """Materialise every ingestion asset (or one channel's), reporting each as it ends."""
    resources = resources_from(settings)
    outcomes: list[AssetOutcome] = []
    with cli_instance() as instance:
        for asset in _selected(channel):
            name = asset.key.to_user_string()
            started = time.perf_counter()
            result = dg.materialize(
                [asset],
                resources=resources,
                instance=instance,
                raise_on_error=False,
                tags={"channel": asset.group_names_by_key[asset.key], "ichigen/trigger": "cli"},
                run_config=QUIET_RUN_CONFIG,
            )
            meta: dict[str, int] = {}
            entry = instance.get_latest_materialization_event(asset.key)
            materialization = entry.asset_materialization if entry else None
            if result.success and materialization is not None:
                for field in ("received", "accepted", "quarantined"):
                    value = materialization.metadata.get(field)
                    meta[field] = int(value.value) if value is not None else 0  # type: ignore[arg-type]
            error = None if result.success else first_failure(result, default="the run failed")
            outcome = AssetOutcome(
                asset=name,
                success=result.success,
                seconds=time.perf_counter() - started,
                received=meta.get("received", 0),
                accepted=meta.get("accepted", 0),
                quarantined=meta.get("quarantined", 0),
                error=error,
            )
            on_progress(outcome)
            outcomes.append(outcome)
    return outcomes
