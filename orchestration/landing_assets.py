"""What every landing asset shares: its result metadata and its data-quality checks.

A landing asset materialises one load (see `ingestion.landing`); its manifest says how many
records were received, accepted and quarantined, and which expectations failed. Each asset
declares the two checks with `landing_check_specs` and reports them with `landing_result`:
``loses_nothing`` (accepted + quarantined = received; an error) and
``has_no_quarantined_records`` (a warning: the rows are kept under data/quarantine).
"""

from __future__ import annotations

from typing import Any

import dagster as dg

from ichigen.ingestion.landing import LoadManifest

__all__ = ["INGEST_RETRY", "landing_check_specs", "landing_result"]

# Transient failures are retried inside the clients; a run that still fails is retried
# later (a channel's maintenance window, a dropped network).
INGEST_RETRY = dg.RetryPolicy(max_retries=2, delay=30, backoff=dg.Backoff.EXPONENTIAL)


def landing_check_specs(asset: str) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec("loses_nothing", asset=asset, blocking=True),
        dg.AssetCheckSpec("has_no_quarantined_records", asset=asset),
    ]


def landing_result(
    manifest: LoadManifest, *, extra: dict[str, Any] | None = None
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
        ],
    )
