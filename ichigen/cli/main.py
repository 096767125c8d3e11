"""The `oms` commands: one entry point for the sandbox, the pipeline, the app and the benchmarks.

Each command builds the settings once (`load_settings`) and hands them to what it runs."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from ichigen.cli.demo import wait_for_interrupt
from ichigen.settings import SANDBOX_PORTS, Settings, load_settings

if TYPE_CHECKING:
    from ichigen.sandbox.simulators.serve import RunningSandbox

__all__ = ["app"]

app = typer.Typer(
    help="ichigen (一元): one place for every channel's orders, stock and customers.",
    no_args_is_help=True,
    add_completion=False,
)
sandbox_app = typer.Typer(
    help="The simulated business and its channel simulators.", no_args_is_help=True
)
app.add_typer(sandbox_app, name="sandbox")

Scale = Annotated[str, typer.Option(help="Preset size: small (demo) or large (benchmarks).")]
Days = Annotated[int | None, typer.Option(help="Days of history; overrides the preset.")]
Seed = Annotated[int, typer.Option(help="Random seed; the same seed gives the same files.")]
Faults = Annotated[
    str,
    typer.Option(help="Fault injection: off, all, or e.g. 'rate_limit=0.1,reset=0.05,duplicates'."),
]


def _settings() -> Settings:
    """The configuration, built once per command and handed down to everything it runs."""
    return load_settings()


def _prepare_dbt() -> None:
    """Parse the dbt project if its manifest is missing or stale: the warehouse's Dagster
    assets are made from it when their module loads."""
    from ichigen.orchestration.project import ensure_manifest

    ensure_manifest()


@sandbox_app.command("generate")
def sandbox_generate(scale: Scale = "small", days: Days = None, seed: Seed = 42) -> None:
    """Generate the simulated business under $ICHIGEN_DATA_DIR/sandbox (deterministic)."""
    from ichigen.sandbox.build import build_sandbox

    settings = _settings()
    started = time.perf_counter()
    summary = build_sandbox(settings.paths.sandbox, scale=scale, days=days, seed=seed)
    elapsed = time.perf_counter() - started
    typer.echo(summary.describe())
    typer.echo(f"sandbox written to {settings.paths.sandbox} in {elapsed:.1f} s")


@sandbox_app.command("serve")
def sandbox_serve(
    faults: Faults = "off",
    port_base: Annotated[
        int | None,
        typer.Option(
            help="First port; default: the ports of the configured loopback URLs (8701-8704)."
        ),
    ] = None,
) -> None:
    """Serve every channel simulator on 127.0.0.1 until interrupted."""
    running = _start_simulators(_settings(), faults=faults, port_base=port_base)
    try:
        for name, url in running.urls.items():
            typer.echo(f"{name} {url}")
        wait_for_interrupt()
    finally:
        running.stop()


def _start_simulators(settings: Settings, *, faults: str, port_base: int | None) -> RunningSandbox:
    from ichigen.sandbox.simulators.faults import FaultPlan

    try:
        plan = FaultPlan.parse(faults)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from exc
    from ichigen.sandbox.build import ensure_sandbox
    from ichigen.sandbox.simulators.credentials import Credentials
    from ichigen.sandbox.simulators.serve import start_sandbox

    world = ensure_sandbox(settings.paths.sandbox)
    ports = (
        settings.sandbox_ports()
        if port_base is None
        else {name: port_base + i for i, name in enumerate(SANDBOX_PORTS)}
    )
    return start_sandbox(
        world,
        credentials=Credentials.of(settings),
        faults=plan,
        ports=ports,
        drops_dir=settings.paths.sandbox_drops,
    )


@app.command()
def demo(
    no_ui: Annotated[
        bool, typer.Option("--no-ui", help="Run the pipeline once on the sandbox and exit.")
    ] = False,
    scale: Scale = "small",
    days: Days = None,
) -> None:
    """Run the whole system on the sandbox: simulators, pipeline, app and Dagster UI."""
    from ichigen.cli.demo import run_demo

    run_demo(_settings(), scale=scale, days=days, keep_running=not no_ui, echo=typer.echo)


def _fail_abandoned_runs() -> None:
    """Runs that a killed `oms` left in progress are marked failed before new ones start."""
    from ichigen.orchestration.cli_runs import fail_abandoned_cli_runs

    abandoned = fail_abandoned_cli_runs()
    if abandoned:
        runs = ", ".join(abandoned)
        typer.echo(f"marked {len(abandoned)} run(s) failed whose process was killed: {runs}")


def _warn_of_an_expiring_license_key(settings: Settings) -> None:
    """RMS refuses every call once the licenseKey has expired (90 days after issue)."""
    expiring = settings.rakuten.license_key_warning()
    if expiring:
        typer.secho(expiring, fg=typer.colors.YELLOW, err=True)


@app.command()
def ingest(channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None) -> None:
    """Pull every channel into the landing zone, validated; bad records go to the quarantine.

    Exits 1 when an asset failed or a dropped file failed whole: one line says why for each,
    and the log file named at the end holds the full traces."""
    from ichigen.orchestration.ingest_run import channel_groups, run_ingest
    from ichigen.orchestration.run_log import RunLog

    settings = _settings()
    try:
        channel_groups(channel)
    except ValueError as error:
        typer.secho(str(error), fg=typer.colors.RED, err=True)
        raise typer.Exit(code=2) from None
    _fail_abandoned_runs()
    if channel in (None, "rakuten"):
        _warn_of_an_expiring_license_key(settings)
    log = RunLog.create(settings.paths.logs, "ingest")
    outcomes = run_ingest(
        settings, channel=channel, on_progress=lambda o: typer.echo(o.describe()), log=log
    )
    typer.echo(
        f"landed under {settings.paths.landing}; quarantine under {settings.paths.quarantine}"
    )
    failed = [o.asset for o in outcomes if not o.complete]
    if failed:
        typer.secho(
            f"failed: {', '.join(failed)}; full traces in {log.path}",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(code=1)
    typer.echo(f"log: {log.path}")


@app.command()
def build(
    full_refresh: Annotated[
        bool,
        typer.Option(
            "--full-refresh",
            help="Build the incremental models again from every landed part, not only what "
            "landed since the last build.",
        ),
    ] = False,
) -> None:
    """Build the warehouse with dbt and publish the app's snapshot.

    Exits 1 when anything failed: one line for each failed model, test or step, and the log
    file named at the end holds the full traces. A channel whose new data could not be built is
    held back at its last good state and the others' published: that exits 1 too, naming it
    and why."""
    settings = _settings()
    _prepare_dbt()
    from ichigen.orchestration.build_run import run_build
    from ichigen.orchestration.run_log import RunLog

    _fail_abandoned_runs()
    log = RunLog.create(settings.paths.logs, "build")
    outcome = run_build(settings, full_refresh=full_refresh, log=log)
    if outcome.success and outcome.held:
        # the others' new data is published; the held channel's waits for a fix
        for held in outcome.held:
            typer.secho(held.describe(), fg="red", err=True)
        typer.secho(
            f"snapshot published at {outcome.snapshot} with {len(outcome.held)} channel(s) "
            f"held back at their last good state; full traces in {log.path}",
            fg="red",
            err=True,
        )
        raise typer.Exit(code=1)
    if not outcome.success or outcome.failures:
        for line in outcome.failures or (outcome.error or "the build failed",):
            typer.secho(line, fg="red", err=True)
        kept = "" if outcome.success else ", the previous snapshot stays"
        typer.secho(f"build failed{kept}; full traces in {log.path}", fg="red", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"warehouse built; snapshot published at {outcome.snapshot}")
    typer.echo(f"log: {log.path}")


@app.command("app")
def app_command(
    port: Annotated[int | None, typer.Option(help="Port (default $ICHIGEN_APP_PORT).")] = None,
) -> None:
    """Serve the Streamlit app on 127.0.0.1 (it reads the published snapshot)."""
    from ichigen.app.launch import run_app

    settings = _settings()
    chosen = port or settings.app_port
    typer.echo(f"app http://127.0.0.1:{chosen}")
    run_app(settings, port=chosen)


@app.command()
def bench(
    tier: Annotated[str, typer.Option(help="small or large")] = "small",
    only: Annotated[
        list[str] | None,
        typer.Option(help="Only this section (repeatable); its inputs must exist from a run."),
    ] = None,
) -> None:
    """Run the benchmarks of a tier, print a table and write it to data/bench/*.json.

    Sections, in order: generate, ingest, build, orchestration, app, end_to_end, forecasting,
    faults.
    """
    if tier not in ("small", "large"):
        raise typer.BadParameter("choose small or large", param_hint="--tier")
    settings = _settings()
    _prepare_dbt()
    from ichigen.benchmarks.run import run_benchmarks

    try:
        run_benchmarks(tier, out_dir=settings.paths.bench, echo=typer.echo, only=tuple(only or ()))
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--only") from exc
