"""Fixtures shared by the whole suite: a small generated world and the simulators serving it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ichigen.settings import Settings, load_settings
from sandbox.simulators.serve import RunningSandbox, start_sandbox
from sandbox.world import World

# Short enough to generate in a second or two, long enough for every lifecycle event to occur.
TEST_DAYS = 60
TEST_SEED = 7


@pytest.fixture(scope="session")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated sandbox (world + truth), shared read-only by the session's tests."""
    from sandbox.generator import generate

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
