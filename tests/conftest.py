"""Fixtures shared by the whole suite: a small generated world, the simulators serving it, and
that world ingested and built once per session (the warehouse and app tests share it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ichigen.orchestration.ingest_run import run_ingest
from ichigen.orchestration.project import ensure_manifest
from ichigen.sandbox.drops import write_drops
from ichigen.sandbox.simulators.amazon import AmazonApp
from ichigen.sandbox.simulators.credentials import Credentials
from ichigen.sandbox.simulators.serve import RunningSandbox, start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings
from tests.once import once_per_run

if TYPE_CHECKING:
    from ichigen.orchestration.build_run import BuildOutcome

# Short enough to generate in a second or two, long enough for every lifecycle event to occur.
TEST_DAYS = 60
TEST_SEED = 7


def pytest_configure(config: pytest.Config) -> None:
    """The dbt project's manifest, parsed if stale, before any test module imports the
    warehouse's Dagster assets (they are made from it as their module loads), as the command
    line prepares it before a build. Under pytest-xdist the controller runs this before it
    starts the workers, so they find the manifest fresh and never parse it at once."""
    ensure_manifest()


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated sandbox (world + truth), shared read-only by the session's tests."""
    from ichigen.sandbox.generator import generate

    out = tmp_path_factory.mktemp("sandbox")
    generate(out, scale="small", days=TEST_DAYS, seed=TEST_SEED)
    return out


@pytest.fixture
def world(sandbox_dir: Path) -> World:
    """A fresh World per test, so tests that push stock or advance time stay independent."""
    return World.load(sandbox_dir / "world")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({"ICHIGEN_DATA_DIR": str(tmp_path / "data")}, dotenv=False)


@pytest.fixture
def sandbox(world: World, settings: Settings) -> Iterator[RunningSandbox]:
    """Every simulator listening on a free port of 127.0.0.1, faults off."""
    running = start_sandbox(world, credentials=Credentials.of(settings))
    try:
        yield running
    finally:
        running.stop()


@dataclass(frozen=True)
class BuiltWarehouse:
    settings: Settings
    sandbox_dir: Path  # world/ and truth/ of the generated sandbox
    build: BuildOutcome

    @property
    def path(self) -> Path:
        return self.settings.paths.warehouse


@pytest.fixture(scope="session")
def built_warehouse(sandbox_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The test world ingested through every connector and importer, then `oms build`, once
    per test run (tests/once.py).

    A failed build is kept rather than raised: the models that did build can still be checked,
    and each test says what it is missing.
    """
    return once_per_run(
        tmp_path_factory, "built_warehouse", lambda folder: _build_test_world(sandbox_dir, folder)
    )


def _build_test_world(sandbox_dir: Path, data_dir: Path) -> BuiltWarehouse:
    world = World.load(sandbox_dir / "world")
    base = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    running = start_sandbox(world, credentials=Credentials.of(base))
    try:
        amazon = running.servers["amazon"].app
        if isinstance(amazon, AmazonApp):
            amazon.set_rate("getOrderItems", rate_per_s=5000, burst=5000)
        # the session's sandbox is generated without its files (tests/conftest.py): drop them
        # here, as `oms sandbox generate` does, so that POS (sales and members), wholesale and
        # stock land too
        drops = base.paths.sandbox_drops
        start = datetime.fromisoformat(str(world.manifest["start"]))
        write_drops(world.tables, drops, start=start, end=world.now)
        env = running.environment(data_dir, drops) | {"ICHIGEN_RATE_MULTIPLIER": "10"}
        settings = load_settings(env, dotenv=False)
        outcomes = run_ingest(settings)
        failed = [o.describe() for o in outcomes if not o.success]
        assert not failed, failed
    finally:
        running.stop()
    from ichigen.orchestration.build_run import run_build

    return BuiltWarehouse(settings=settings, sandbox_dir=sandbox_dir, build=run_build(settings))
