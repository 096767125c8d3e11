"""Ingest: records per second from the sandbox's APIs into the landing zone, against references.

Three measurements in one run, each in a fresh interpreter (its peak RSS its own), against the
tier's sandbox served by this process on free loopback ports:

1. ours: `oms ingest`'s code path (`run_ingest`: every landing asset through Dagster, the API
   channels and the file drops) into ``<data dir>/landing``, which is left there for the build
   benchmark. Channels are pulled one after another (``run_ingest(channel=...)``, in
   `oms ingest`'s order), so that each channel's seconds are its own, like the replay's;
   `oms ingest` itself pulls them side by side. Every request the connectors send is recorded.
   Records/s per API channel are the records its assets received over the wall time of its
   run (Dagster's per-run overhead included: it is part of what `oms ingest` costs; the
   imports before the first run are reported apart as start-up).
2. the ceiling: the recorded requests replayed channel by channel with the same kind of httpx
   client, each answer decoded with orjson, nothing else (`benchmarks.ingest_child`). Target:
   ours >= 0.7 of it, per channel and overall.
3. dlt: its ``rest_api`` source loading into DuckDB the endpoints it can express
   (`benchmarks.ingest_dlt` says which). Target: ours faster, over those same endpoints.

Pacing is taken out of both sides, so that the ratios measure our code, not a channel's
allowance: the simulators run with their rate limits lifted (``start_sandbox(unthrottled=
True)``), and the connectors, which keep to each API's published rate, see that: Amazon's
adopt the rate its answers announce, Shopify's the pace its bucket's announced capacity
implies, and Rakuten's run at `RATE_MULTIPLIER` times RMS's published rate, the supplier's
at that multiple of its client's own pace (the supplier API limits nothing). The replay sends
nothing to pace. Real channels are slower than any of this: what is left to compare is what
our code adds to each request.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from ichigen.benchmarks.ingest_child import API_CHANNELS
from ichigen.benchmarks.report import BenchContext, Figure

__all__ = ["CEILING_SHARE", "PEAK_MIB", "RATE_MULTIPLIER", "ingest_section"]

CEILING_SHARE: Final = 0.7
PEAK_MIB: Final = 1024.0  # under 1 GiB at the large tier
RATE_MULTIPLIER: Final = 10_000.0  # far past any allowance the simulators would enforce
_COMMAND: Final = "oms bench --tier {tier} --only ingest"


def _child(mode: str, *args: str, env: Mapping[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", f"ichigen.benchmarks.{mode}", *args],
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{mode} {args[:1]} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _sandbox_env(data_dir: Path, urls: Mapping[str, str]) -> dict[str, str]:
    env = {f"ICHIGEN_{name.upper()}_URL": url for name, url in urls.items()}
    env["ICHIGEN_AMAZON_LWA_URL"] = f"{urls['amazon']}/auth/o2/token"
    env["ICHIGEN_DATA_DIR"] = str(data_dir)
    env["ICHIGEN_RATE_MULTIPLIER"] = f"{RATE_MULTIPLIER:g}"
    return env


def _per_channel(ours: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Records each API channel's assets received, over the wall time of its run."""
    channels: dict[str, dict[str, float]] = {}
    for asset in ours["assets"]:
        channel = str(asset["channel"])
        if channel in API_CHANNELS:
            seconds = float(ours["channel_seconds"][channel])
            seen = channels.setdefault(channel, {"records": 0.0, "seconds": seconds})
            seen["records"] += asset["received"]
    return channels


def _rate(records: float, seconds: float) -> float:
    return records / seconds if seconds > 0 else 0.0


def ingest_section(context: BenchContext) -> list[Figure]:
    """Ours, the ceiling and dlt, side by side on the tier's sandbox; the landing zone stays."""
    from ichigen.sandbox.build import ensure_sandbox
    from ichigen.sandbox.simulators.credentials import Credentials
    from ichigen.sandbox.simulators.serve import start_sandbox
    from ichigen.settings import load_settings

    data_dir = context.data_dir
    for kept in ("landing", "quarantine"):  # a fresh pull, not an increment on the last run
        shutil.rmtree(data_dir / kept, ignore_errors=True)
    world = ensure_sandbox(data_dir / "sandbox")
    running = start_sandbox(world, credentials=Credentials.of(load_settings()), unthrottled=True)
    try:
        ports = json.dumps(
            {server.base_url.rsplit(":", 1)[1]: n for n, server in running.servers.items()}
        )
        env = _sandbox_env(data_dir, running.urls)
        with tempfile.TemporaryDirectory(prefix="ichigen-bench-ingest-") as tmp:
            record = Path(tmp) / "requests.jsonl"
            context.echo("ingest: oms ingest's assets, recording their requests ...")
            ours = _child("ingest_child", "ingest", str(record), ports, env=env)
            failed = [a["asset"] for a in ours["assets"] if not a["success"]]
            if failed:
                raise RuntimeError(f"ingest failed for {', '.join(failed)}: {ours['assets']}")
            context.echo("ingest: replaying the same requests (the ceiling) ...")
            ceiling = _child("ingest_child", "replay", str(record), ports, env=env)
        context.echo("ingest: dlt's rest_api source into DuckDB ...")
        dlt = _dlt(data_dir, env)
    finally:
        running.stop()
    return _figures(context.tier, ours, ceiling, dlt)


def _dlt(data_dir: Path, env: Mapping[str, str]) -> dict[str, Any] | None:
    try:
        import dlt  # noqa: F401
    except ImportError:
        return None  # `make bench` installs it (the bench dependency group)
    with tempfile.TemporaryDirectory(prefix="ichigen-bench-dlt-") as tmp:
        return _child("ingest_dlt", tmp, env=env)


def _figures(
    tier: str,
    ours: dict[str, Any],
    ceiling: dict[str, Any],
    dlt: dict[str, Any] | None,
) -> list[Figure]:
    command = _COMMAND.format(tier=tier)
    channels = _per_channel(ours)
    replayed = ceiling["channels"]
    figures: list[Figure] = []
    total_records = total_ours = total_ceiling = 0.0
    for channel in API_CHANNELS:
        if channel not in channels:
            continue
        records, seconds = channels[channel]["records"], channels[channel]["seconds"]
        ceiling_s = float(replayed.get(channel, {}).get("seconds", 0.0))
        total_records += records
        total_ours += seconds
        total_ceiling += ceiling_s
        figures.append(
            _vs_ceiling(
                f"ingest {channel} (records/s)",
                _rate(records, seconds),
                _rate(records, ceiling_s),
                command,
                {"records": records, "seconds": seconds, "ceiling": replayed.get(channel)},
            )
        )
    figures.append(
        _vs_ceiling(
            "ingest API channels (records/s)",
            _rate(total_records, total_ours),
            _rate(total_records, total_ceiling),
            command,
            {
                "records": total_records,
                "seconds": total_ours,
                "ceiling_seconds": total_ceiling,
                "all_assets": ours["assets"],
                "ingest_seconds": ours["seconds"],
                "startup_seconds": ours["startup_seconds"],
                "channel_seconds": ours["channel_seconds"],
            },
        )
    )
    figures.append(_vs_dlt(channels, dlt, command))
    figures.append(
        Figure(
            benchmark="ingest peak RSS (MiB)",
            value=ours["peak_rss_mib"],
            reference=None,
            target=f"< {PEAK_MIB:.0f} MiB at large",
            met=ours["peak_rss_mib"] < PEAK_MIB if tier == "large" else None,
            command=command,
            details={"ceiling_peak_rss_mib": ceiling["peak_rss_mib"]},
        )
    )
    return figures


def _vs_ceiling(
    benchmark: str, value: float, reference: float, command: str, details: dict[str, Any]
) -> Figure:
    return Figure(
        benchmark=benchmark,
        value=value,
        reference=reference,
        target=f">= {CEILING_SHARE} of ceiling",
        met=reference > 0 and value >= CEILING_SHARE * reference,
        command=command,
        details=details,
    )


def _vs_dlt(
    channels: Mapping[str, Mapping[str, float]], dlt: dict[str, Any] | None, command: str
) -> Figure:
    if dlt is None:
        return Figure(
            benchmark="ingest vs dlt (records/s)",
            value=0.0,
            reference=None,
            target="faster than dlt",
            met=None,
            command=command,
            details={"skipped": "dlt is not installed: make bench installs the bench group"},
        )
    compared = [c for c in dlt["channels"] if c in channels]
    records = sum(channels[c]["records"] for c in compared)
    seconds = sum(channels[c]["seconds"] for c in compared)
    reference = _rate(float(dlt["records"]), float(dlt["seconds"]))
    value = _rate(records, seconds)
    return Figure(
        benchmark=f"ingest vs dlt, {'+'.join(compared)} (records/s)",
        value=value,
        reference=reference,
        target="faster than dlt",
        met=value > reference,
        command=command,
        details=dlt,
    )
