"""The channels' own documented responses, landed through the real connectors, built once.

Each module of tests/documented/landers/ has `land(data_dir: Path) -> None`: it serves its
channel's documented responses (tests/fixtures/<channel>/, each file's source in that folder's
README.md) over 127.0.0.1 and runs the real connector into the landing zone under `data_dir`.
One `oms build` then runs over everything landed: the documented cases build together, as a
real store's data would, and dbt's fixed cost is paid once for every channel.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from ichigen.orchestration.build_run import BuildOutcome, run_build
from ichigen.settings import Settings, load_settings
from tests.documented import landers
from tests.once import once_per_run

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass(frozen=True)
class DocumentedWarehouse:
    settings: Settings
    build: BuildOutcome

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Rows of `sql` over the published snapshot (what the app reads)."""
        with duckdb.connect(str(self.settings.paths.snapshot), read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="session")
def documented_warehouse(tmp_path_factory: pytest.TempPathFactory) -> DocumentedWarehouse:
    """Built once per test run, whichever pytest-xdist worker asks first (tests/once.py)."""
    return once_per_run(tmp_path_factory, "documented_warehouse", _land_and_build)


def _land_and_build(data_dir: Path) -> DocumentedWarehouse:
    for found in pkgutil.iter_modules(landers.__path__):
        importlib.import_module(f"{landers.__name__}.{found.name}").land(data_dir)
    settings = load_settings({"ICHIGEN_DATA_DIR": str(data_dir)}, dotenv=False)
    return DocumentedWarehouse(settings=settings, build=run_build(settings))
