"""Fixtures shared by the whole suite: a small generated world, the simulators serving it, and
that world ingested and built once per session (the warehouse and app tests share it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest

from ichigen.orchestration.build_run import BuildOutcome, run_build
from ichigen.orchestration.ingest_run import run_ingest
from ichigen.sandbox.drops import write_drops
from ichigen.sandbox.simulators.amazon import AmazonApp
from ichigen.sandbox.simulators.serve import RunningSandbox, start_sandbox
from ichigen.sandbox.world import World
from ichigen.settings import Settings, load_settings

# Short enough to generate in a second or two, long enough for every lifecycle event to occur.
TEST_DAYS = 60
TEST_SEED = 7


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
    running = start_sandbox(world, settings)
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
        return self.settings.data_dir / "warehouse" / "ichigen.duckdb"


@pytest.fixture(scope="session")
def built_warehouse(
    sandbox_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BuiltWarehouse]:
    """The test world ingested through every connector and importer, then `oms build`.

    A failed build is kept rather than raised: the models that did build can still be checked,
    and each test says what it is missing.
    """
    data_dir = tmp_path_factory.mktemp("warehouse_data")
    world = World.load(sandbox_dir / "world")
    running = start_sandbox(world, load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False))
    try:
        amazon = running.servers["amazon"].app
        if isinstance(amazon, AmazonApp):
            amazon.set_rate("getOrderItems", rate_per_s=5000, burst=5000)
        # the session's sandbox is generated without its files (tests/conftest.py): drop them
        # here, as `oms sandbox generate` does, so that POS (sales and members), wholesale and
        # stock land too
        drops = data_dir / "sandbox" / "drops"
        start = datetime.fromisoformat(str(world.manifest["start"]))
        write_drops(world.tables, drops, start=start, end=world.now)
        env = running.environment(data_dir, drops) | {"ICHIGEN_RATE_MULTIPLIER": "10"}
        settings = load_settings(env, dotenv=False)
        outcomes = run_ingest(settings)
        failed = [o.describe() for o in outcomes if not o.success]
        assert not failed, failed
    finally:
        running.stop()
    yield BuiltWarehouse(settings=settings, sandbox_dir=sandbox_dir, build=run_build(settings))
