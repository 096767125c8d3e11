"""What every landing asset shares: its result metadata, its checks, and how it fails.

A landing asset materialises one load (see `ingestion.landing`); its manifest says how many
records were received, accepted and quarantined, and which expectations failed. Each asset
declares the two checks with `landing_check_specs` and reports them with `landing_result`:
``loses_nothing`` (accepted + quarantined = received; an error) and
``has_no_quarantined_records`` (a warning: the rows are kept under data/quarantine).

A pull runs inside `recording_failure`: a failure is recorded in the landing zone
(`ingestion.failures`), its full trace goes to the run's event log, and the step fails with
one line, the cause and what to change. Dagster retries the step (`INGEST_RETRY`) only when
a later try can do better: retries exhausted on a channel that keeps failing (429s, 5xx,
resets), or something unexpected; refused credentials, a wrong setting or a channel that
refuses the connection (down: nothing listens at its URL) fail at once
(``allow_retries=False``), and the next run goes on with the load where it stopped.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from ichigen.ingestion.errors import ChannelError
from ichigen.ingestion.failures import record_exception
from ichigen.ingestion.landing import LandingZone, LoadManifest

__all__ = [
    "INGEST_RETRY",
    "files_check",
    "landing_check_specs",
    "landing_result",
    "recording_failure",
]

# Transient failures are retried inside the clients; a run that still fails is retried
# later (a channel's maintenance window, a dropped network), and goes on where it stopped.
INGEST_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


@contextmanager
def recording_failure(
    context: dg.AssetExecutionContext,
    zone: LandingZone,
    *,
    channel: str,
    entity: str,
    source: str,
) -> Iterator[None]:
    """Record a pull that fails, and fail the step with one line (see the module's note).

    `source` is where the entity is pulled from (a base URL, a drop folder); the failing
    request's endpoint is recorded instead when the error names it.
    """
    try:
        yield
    except Exception as exc:
        pending = zone.pending_loads(channel, entity)
        endpoint = exc.endpoint if isinstance(exc, ChannelError) else None
        record, classified = record_exception(
            zone,
            exc,
            channel=channel,
            entity=entity,
            source=endpoint.split(" ", 1)[-1] if endpoint else source,  # the URL, no method
            load_id=pending[-1] if pending else None,
        )
        answered = exc.detail if isinstance(exc, ChannelError) else None
        context.log.error(
            "\n".join(
                filter(
                    None,
                    (
                        classified.line,
                        f"request: {endpoint}" if endpoint else "",
                        f"the channel answered: {answered}" if answered else "",
                        f"recorded as {record.failure_id} ({record.error_class})",
                        "".join(traceback.format_exception(exc)),
                    ),
                )
            )
        )
        raise dg.Failure(
            description=classified.line,
            metadata={
                "error_class": record.error_class,
                "failure_id": record.failure_id,
                "fix": record.fix or "",
            },
            allow_retries=classified.retryable,
        ) from exc


def landing_check_specs(asset: str, *, files: bool = False) -> list[dg.AssetCheckSpec]:
    """The landing checks; with `files`, also ``has_no_failed_files`` (see `files_check`)."""
    specs = [
        dg.AssetCheckSpec("loses_nothing", asset=asset, blocking=True),
        dg.AssetCheckSpec("has_no_quarantined_records", asset=asset),
    ]
    if files:
        specs.append(dg.AssetCheckSpec("has_no_failed_files", asset=asset))
    return specs


def files_check(failed: list[str], still_failing: list[str]) -> dg.AssetCheckResult:
    """Whether every dropped file could be read: those that failed whole land nothing."""
    return dg.AssetCheckResult(
        check_name="has_no_failed_files",
        passed=not failed and not still_failing,
        metadata={
            "failed": dg.MetadataValue.json(failed),
            "still_failing": dg.MetadataValue.json(still_failing),
        },
        description="A file that fails whole is recorded under _failures and read again "
        "only once its bytes change.",
    )


def landing_result(
    manifest: LoadManifest,
    *,
    extra: dict[str, Any] | None = None,
    checks: list[dg.AssetCheckResult] | None = None,
) -> dg.MaterializeResult:
    failed = [c for c in manifest.checks if not c.get("success", True)]
    counts = {
        "received": manifest.records,
        "accepted": manifest.accepted,
        "quarantined": manifest.quarantined,
    }
    return dg.MaterializeResult(
        metadata={
            "load_id": manifest.load_id,
            **counts,
            "parts": manifest.parts,
            "cursor_start": manifest.cursor_start or "(full pull)",
            "cursor_end": manifest.cursor_end or "(open)",
            "max_record_updated_at": manifest.max_record_updated_at or "",
            "failed_expectations": dg.MetadataValue.json(failed),
            **(extra or {}),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="loses_nothing",
                passed=manifest.records == manifest.accepted + manifest.quarantined,
                metadata=counts,
            ),
            dg.AssetCheckResult(
                check_name="has_no_quarantined_records",
                passed=manifest.quarantined == 0,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={"quarantined": manifest.quarantined},
                description="Quarantined records are kept under data/quarantine with reasons.",
            ),
            *(checks or []),
        ],
    )
