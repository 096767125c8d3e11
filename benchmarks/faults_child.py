"""The faults benchmark's measured process: `oms ingest`'s code path, one channel at a time.

Run as ``python -m ichigen.benchmarks.faults_child`` by `benchmarks.faults`, in a fresh
interpreter configured by the environment (``ICHIGEN_DATA_DIR``, the channels' URLs, the drop
folders, ``ICHIGEN_RATE_MULTIPLIER``), so that the simulators in the parent do not share its
interpreter lock. Channels are pulled one after another, in `oms ingest`'s order (the
supplier first: the file importers check items against its catalogue), so that each
channel's seconds are its own: Dagster's retries of a failed asset and their waits included,
as `oms ingest` pays them.

Prints one JSON object on its last line of stdout: per channel its seconds and its assets'
outcomes.
"""

from __future__ import annotations

import json
import time
from typing import Any


def _ingest() -> dict[str, Any]:
    from ichigen.orchestration.ingest_run import channel_groups, run_ingest
    from ichigen.settings import load_settings

    settings = load_settings()
    channels: dict[str, dict[str, Any]] = {}
    for group in channel_groups():
        started = time.perf_counter()
        outcomes = run_ingest(settings, channel=group)
        channels[group] = {
            "seconds": time.perf_counter() - started,
            "assets": [
                {
                    "asset": o.asset,
                    "success": o.success,
                    "seconds": o.seconds,
                    "received": o.received,
                    "accepted": o.accepted,
                    "quarantined": o.quarantined,
                    "error": o.error,
                    "failed_files": list(o.failed_files),
                }
                for o in outcomes
            ],
        }
    return {"channels": channels}


if __name__ == "__main__":
    print(json.dumps(_ingest()))
