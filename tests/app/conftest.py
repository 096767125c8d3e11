"""The app's fixtures: a small real snapshot built once per session, and empty data dirs.

The snapshot is made the way `oms demo` makes one, as tests/warehouse/conftest.py does: the test
world served by the simulators, every channel ingested, `oms build` run. Page tests point
$ICHIGEN_DATA_DIR at a data dir and run the page script with `AppTest`.
"""

from __future__ import annotations

import gc
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from ichigen.orchestration.serving import publish_snapshot
from ichigen.paths import DataPaths
from tests.conftest import BuiltWarehouse

APP_DIR = Path(__file__).resolve().parents[2] / "app"
TIMEOUT_S = 60

RunPage = Callable[..., AppTest]


@pytest.fixture(scope="session")
def built_data_dir(built_warehouse: BuiltWarehouse) -> Path:
    """A data dir with the test world landed and a published snapshot (read-only for tests).

    The session's warehouse (tests/conftest.py). If its build failed, the marts that did build
    are published, so that a model another area is still writing does not hide every page;
    pages whose marts are missing fail their own tests with "No data yet".
    """
    data_dir = built_warehouse.settings.data_dir
    if not built_warehouse.build.success:
        warnings.warn(
            f"the test build failed, publishing what built: {built_warehouse.build.error}",
            stacklevel=1,
        )
        gc.collect()  # a failed step's frames may still hold a warehouse connection
        try:
            publish_snapshot(built_warehouse.path, built_warehouse.settings.paths.snapshot)
        except duckdb.Error as exc:
            pytest.fail(f"the build failed and left nothing to publish: {exc}")
    return data_dir


@pytest.fixture
def app_data_dir(built_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the built data dir (landing and snapshot, not the warehouse), so a
    test that acts gets its own ops store."""
    target = tmp_path / "data"
    shutil.copytree(built_data_dir, target, ignore=shutil.ignore_patterns("warehouse", "ops"))
    return target


@pytest.fixture
def empty_data_dir(tmp_path: Path) -> Path:
    """A first run: nothing landed, nothing built."""
    path = tmp_path / "empty"
    path.mkdir()
    return path


@pytest.fixture
def empty_tables_data_dir(built_data_dir: Path, tmp_path: Path) -> Path:
    """A snapshot whose marts exist with their columns but hold no rows."""
    path = tmp_path / "empty_tables"
    snapshot = DataPaths(path).snapshot
    snapshot.parent.mkdir(parents=True)
    source = DataPaths(built_data_dir).snapshot
    with duckdb.connect(str(snapshot)) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        tables = con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = 'src' and table_schema = 'main'"
        ).fetchall()
        for (table,) in tables:
            con.execute(f'create table main."{table}" as select * from src."{table}" limit 0')
        con.execute("detach src")
    return path


@pytest.fixture
def run_page(monkeypatch: pytest.MonkeyPatch) -> RunPage:
    """Run one page (or the router) against `data_dir` as `role`; returns the AppTest."""

    def run(
        page: str,
        data_dir: Path,
        *,
        role: str = "viewer",
        user: str = "yui",
        state: dict[str, object] | None = None,
    ) -> AppTest:
        monkeypatch.setenv("ICHIGEN_DATA_DIR", str(data_dir))
        script = APP_DIR / ("streamlit_app.py" if page == "app" else f"views/{page}.py")
        at = AppTest.from_file(str(script), default_timeout=TIMEOUT_S)
        at.session_state["role"] = role
        at.session_state["user"] = user
        for key, value in (state or {}).items():
            at.session_state[key] = value
        return at.run()

    return run


@pytest.fixture(autouse=True)
def _no_dotenv(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # a developer's .env must not point the app elsewhere during tests
    monkeypatch.setattr("ichigen.settings.load_dotenv", lambda **_: False)
    yield
