"""Every channel under every fault at once: the marts equal a clean run's, row for row.

On the small tier's world (whatever the tier: at the large one the faults' retries would take
hours), the simulators serve as `oms sandbox serve --faults all` does (`FaultPlan.parse("all")`:
429 bursts, 5xx, slow answers, resets, truncated bodies, records repeated across pages, late
updates) and every channel is ingested into one data dir, as `oms ingest` does it (Dagster's
retries of a failed asset included), one channel after another so that each one's seconds are
its own. Then, with the faults off, that data dir is ingested once more: the late updates the
faults made are real changes of the channels, which the next pull must see, as it would in
production. A second data dir is then ingested cleanly from the same simulators (which now hold
those late updates), both are built with `oms build`, and the marts are compared row for row,
without the columns that say when and by which load a row landed (those starting with ``_``)
or when the build ran (``forecast_made_at``),
doubles within a millionth of their size or 1e-9 (their last digits vary from build to
build).

The warehouses' marts are compared rather than the published snapshots: a snapshot masks
personal data with a key of its own data dir (`orchestration.serving`), so two snapshots of the
same rows differ in every masked column; the marts hold the clear values the snapshot is made
from.

The clients keep to each API's published rate times ``ICHIGEN_RATE_MULTIPLIER=10`` (what the
test sessions use) against simulators that enforce theirs, as `oms sandbox serve` does: at the
published rates alone, Amazon's getOrders at one a minute would take hours for the small tier.

    oms bench --tier small --only faults
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import duckdb

from ichigen.benchmarks.report import BenchContext, Figure

__all__ = ["COMPARED_MARTS", "RATE_MULTIPLIER", "compare_marts", "faults_section"]

RATE_MULTIPLIER: Final = 10.0
# The published marts made from what the channels sent. The operations marts (loads, failures,
# completeness, quarantine) describe the pulls themselves and differ by design; the forecasts
# are a model's output, compared through their input (fct_demand_daily).
COMPARED_MARTS: Final = (
    "fct_orders",
    "fct_order_lines",
    "fct_returns",
    "fct_return_rates",
    "fct_inventory",
    "fct_reorder_signals",
    "fct_channel_availability",
    "fct_demand_daily",
    "agg_demand_channel_daily",
    "dim_customers",
    "map_customer_identities",
    "dim_products",
    "dim_locations",
)
_SCHEMA: Final = "marts"
# Doubles agree within a millionth of their column's largest value (or 1e-9, near zero): their
# last bits depend on the order DuckDB's threads add them up in and on the forecasting engine's
# numerics (two builds of the same landing zone differ there: 6.941258828565535 and
# 6.94125882856554; a forecast's dispersion 0.00019140585 and 0.00019140583; a standard
# deviation 4.97e-17 and 0), not on what landed. The column's scale, not the value's own: a
# difference of two near-equal figures keeps their absolute noise (a reorder's rounding_added,
# 36 less a raw quantity of 35.3178433, was 0.6821567 and 0.6821579 in two builds).
_FLOATS: Final = frozenset({"DOUBLE", "FLOAT", "REAL"})
_RELATIVE: Final = 1e-6
_ABSOLUTE: Final = 1e-9
# When the build ran, not what it read: left out like the load columns.
_BUILD_TIMES: Final = frozenset({"forecast_made_at"})
_SHOWN: Final = 5  # differing rows printed per mart and side
_COMMAND: Final = "oms bench --tier small --only faults"


def _child_env(data_dir: Path, urls: Mapping[str, str], drops: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICHIGEN_")}
    env |= {f"ICHIGEN_{name.upper()}_URL": url for name, url in urls.items()}
    env["ICHIGEN_AMAZON_LWA_URL"] = f"{urls['amazon']}/auth/o2/token"
    env["ICHIGEN_DATA_DIR"] = str(data_dir)
    env["ICHIGEN_RATE_MULTIPLIER"] = f"{RATE_MULTIPLIER:g}"
    for variable, folder in (
        ("POS", "pos"),
        ("POS_MEMBERS", "pos_members"),
        ("WHOLESALE", "wholesale"),
        ("STOCK", "stock"),
    ):
        env[f"ICHIGEN_{variable}_DROP_DIR"] = str(drops / folder)
    return env


def _ingest(env: Mapping[str, str]) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ichigen.benchmarks.faults_child"],
        check=False,
        capture_output=True,
        text=True,
        env=dict(env),
    )
    if done.returncode != 0:
        raise RuntimeError(f"the ingest failed to run:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["seconds"] = time.perf_counter() - started
    return result


def _build(env: Mapping[str, str]) -> tuple[bool, float, str]:
    """`oms build` in its own process: whether it succeeded, its seconds, what it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "ichigen.cli", "build"],
        check=False,
        capture_output=True,
        text=True,
        env=dict(env),
    )
    return done.returncode == 0, time.perf_counter() - started, (done.stdout + done.stderr)


def _failed(run: Mapping[str, Any]) -> dict[str, list[str]]:
    """Per channel, one line per asset that did not land (or a file that failed whole)."""
    failed: dict[str, list[str]] = {}
    for channel, measured in run["channels"].items():
        lines = [
            f"{a['asset']}: {a['error']}" if not a["success"] else f"{a['asset']}: {line}"
            for a in measured["assets"]
            for line in ([a["error"]] if not a["success"] else a["failed_files"])
        ]
        if lines:
            failed[channel] = lines
    return failed


def compare_marts(
    faulty: Path, clean: Path, marts: tuple[str, ...] = COMPARED_MARTS
) -> dict[str, dict[str, Any]]:
    """Per mart: its rows in each warehouse, the rows only one of them holds (counted with
    their multiplicity, by channel when the mart has one), and a few of them to look at.

    Rows are paired on their exact columns (the n-th of each run of equal ones with the n-th),
    and a pair is the same row when its doubles agree too (`_RELATIVE`, `_ABSOLUTE`)."""
    compared: dict[str, dict[str, Any]] = {}
    with duckdb.connect() as con:
        con.execute("set enable_progress_bar = false")
        con.execute(f"attach '{faulty}' as faulty (read_only)")
        con.execute(f"attach '{clean}' as clean (read_only)")
        for mart in marts:
            types = dict(
                con.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_catalog = 'clean' and table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    [_SCHEMA, mart],
                ).fetchall()
            )
            if not types:
                compared[mart] = {"missing": True}
                continue
            compared[mart] = _compare(con, mart, types)
    return compared


def _compare(con: duckdb.DuckDBPyConnection, mart: str, types: dict[str, str]) -> dict[str, Any]:
    kept = [c for c in types if not c.startswith("_") and c not in _BUILD_TIMES]
    exact = [c for c in kept if types[c] not in _FLOATS]
    floats = [c for c in kept if types[c] in _FLOATS]
    partition = f"partition by {_names(exact)}" if exact else ""
    order = f"order by {_names(floats)}" if floats else ""
    for side in ("faulty", "clean"):
        con.execute(
            f"create or replace temp table {side}_rows as select {_names(kept)}, "
            f"row_number() over ({partition} {order}) as _n, row_number() over () as _id "
            f"from {side}.{_SCHEMA}.{mart}"
        )
    paired = " and ".join(
        [*(f'f."{c}" is not distinct from c."{c}"' for c in exact), "f._n = c._n"]
    )
    largest = ", ".join(f'coalesce(max(abs("{c}")), 0)' for c in floats)
    found = con.execute(f"select {largest} from clean_rows").fetchone() if floats else None
    scales = found or ()
    close = " and ".join(
        f'(f."{c}" is not distinct from c."{c}" or abs(f."{c}" - c."{c}") '
        f"<= {_ABSOLUTE} + {_RELATIVE} * {float(scale)})"
        for c, scale in zip(floats, scales, strict=True)
    )
    con.execute(
        "create or replace temp table same_rows as select f._id as faulty_id, c._id as clean_id "
        f"from faulty_rows f join clean_rows c on {paired} where {close or 'true'}"
    )
    sides: dict[str, Any] = {}
    for side in ("faulty", "clean"):
        only = (
            f"select * exclude (_n, _id) from {side}_rows "
            f"where _id not in (select {side}_id from same_rows)"
        )
        sides[f"only_{side}"] = _count(con, only)
        sides[f"rows_{side}"] = _count(con, f"select * from {side}_rows")
        if "channel" in exact:
            sides[f"only_{side}_by_channel"] = dict(
                con.execute(
                    f"select channel, count(*) from ({only}) group by 1 order by 1"
                ).fetchall()
            )
        sides[f"shown_{side}"] = [
            {k: str(v) for k, v in zip(kept, row, strict=True)}
            for row in con.execute(f"{only} order by all limit {_SHOWN}").fetchall()
        ]
    return sides


def _names(columns: list[str]) -> str:
    return ", ".join(f'"{c}"' for c in columns)


def _count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    row = con.execute(f"select count(*) from ({query})").fetchone()
    return int(row[0]) if row else 0


def faults_section(context: BenchContext) -> list[Figure]:
    """Faulty ingest, catch-up, clean ingest, two builds, the marts compared (module's note)."""
    from ichigen.sandbox.build import ensure_sandbox
    from ichigen.sandbox.simulators.credentials import Credentials
    from ichigen.sandbox.simulators.faults import FaultPlan
    from ichigen.sandbox.simulators.serve import start_sandbox
    from ichigen.settings import load_settings

    small = context.out_dir / "small"  # the small tier's data dir: its sandbox, if generated
    root = context.out_dir / "faults"
    faulty_dir, clean_dir = root / "faulty", root / "clean"
    for fresh in (faulty_dir, clean_dir):
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
    world = ensure_sandbox(small / "sandbox")
    drops = small / "sandbox" / "drops"
    plan = FaultPlan.parse("all")
    running = start_sandbox(world, credentials=Credentials.of(load_settings()), faults=plan)
    try:
        faulty_env = _child_env(faulty_dir, running.urls, drops)
        clean_env = _child_env(clean_dir, running.urls, drops)
        context.echo("faults: every channel ingested under --faults all ...")
        faulty = _ingest(faulty_env)
        _echo_run(context, "under faults", faulty)
        running.set_faults(FaultPlan())
        context.echo("faults: the same data dir again, faults off (the late updates) ...")
        catch_up = _ingest(faulty_env)
        _echo_run(context, "catch-up", catch_up)
        context.echo("faults: a clean data dir from the same simulators ...")
        clean = _ingest(clean_env)
        _echo_run(context, "clean", clean)
    finally:
        running.stop()
    builds = {}
    for name, env in (("faulty", faulty_env), ("clean", clean_env)):
        context.echo(f"faults: oms build ({name}) ...")
        builds[name] = _build(env)
        if not builds[name][0]:
            context.echo(builds[name][2][-3000:])
    compared = (
        compare_marts(
            faulty_dir / "warehouse" / "ichigen.duckdb", clean_dir / "warehouse" / "ichigen.duckdb"
        )
        if all(built for built, _, _ in builds.values())
        else {}
    )
    _echo_differences(context, compared)
    return _figures(faulty, catch_up, clean, builds, compared, plan.to_dict())


def _echo_run(context: BenchContext, label: str, run: Mapping[str, Any]) -> None:
    for channel, measured in run["channels"].items():
        landed = all(a["success"] for a in measured["assets"])
        context.echo(
            f"faults: {label}: {channel} {measured['seconds']:.1f} s"
            + ("" if landed else " (NOT LANDED)")
        )
    for channel, lines in _failed(run).items():
        for line in lines:
            context.echo(f"faults: {label}: {channel}: {line}")


def _echo_differences(context: BenchContext, compared: Mapping[str, Mapping[str, Any]]) -> None:
    for mart, sides in compared.items():
        if sides.get("missing"):
            context.echo(f"faults: {mart}: not in the clean warehouse")
            continue
        if not sides["only_faulty"] and not sides["only_clean"]:
            continue
        context.echo(
            f"faults: {mart}: {sides['only_faulty']} rows only under faults, "
            f"{sides['only_clean']} only clean "
            f"(by channel: {sides.get('only_faulty_by_channel', {})} / "
            f"{sides.get('only_clean_by_channel', {})})"
        )
        for side in ("faulty", "clean"):
            for row in sides[f"shown_{side}"]:
                context.echo(f"faults:   only {side}: {row}")


def _figures(
    faulty: Mapping[str, Any],
    catch_up: Mapping[str, Any],
    clean: Mapping[str, Any],
    builds: Mapping[str, tuple[bool, float, str]],
    compared: Mapping[str, Mapping[str, Any]],
    plan: Mapping[str, Any],
) -> list[Figure]:
    figures: list[Figure] = []
    not_landed = _failed(faulty)
    for channel, measured in faulty["channels"].items():
        clean_s = float(clean["channels"][channel]["seconds"])
        figures.append(
            Figure(
                benchmark=f"faults: ingest {channel} (s)",
                value=float(measured["seconds"]),
                reference=clean_s,
                target="lands under faults",
                met=channel not in not_landed,
                command=_COMMAND,
                details={
                    "faulty": measured,
                    "catch_up": catch_up["channels"][channel],
                    "clean": clean["channels"][channel],
                },
            )
        )
    for name, (built, seconds, output) in builds.items():
        figures.append(
            Figure(
                benchmark=f"faults: oms build {name} (s)",
                value=seconds,
                reference=None,
                target="builds",
                met=built,
                command=_COMMAND,
                details={} if built else {"output": output[-3000:]},
            )
        )
    for mart, sides in compared.items():
        differing = 0 if sides.get("missing") else sides["only_faulty"] + sides["only_clean"]
        figures.append(
            Figure(
                benchmark=f"faults: {mart} rows differing",
                value=float(differing),
                reference=None if sides.get("missing") else float(sides["rows_clean"]),
                target="0 (rows: clean's)",
                met=not sides.get("missing") and differing == 0,
                command=_COMMAND,
                details={**sides, "plan": dict(plan)},
            )
        )
    return figures
