"""The dbt project: where it is, its `DbtProject`, its manifest, and dbt's command line.

The project ships inside the package (``ichigen/dbt_project``: a symlink to the top-level
folder in a checkout, the folder itself in an installed wheel), so it is found through the
package wherever ichigen is installed.

The warehouse's Dagster assets are made from the project's manifest when their module loads,
so the manifest exists before then: the command line (`oms build`, `oms demo`, `oms bench`)
and the test suite call `ensure_manifest` first, and under `dagster dev` the code location
prepares it itself (`prepare_if_dev`). Importing this module runs nothing, so
``dagster-dbt project prepare-and-package --file`` can load it to prepare a deployment.

dbt finds the data directory and the warehouse file through two vars, ``data_dir`` and
``warehouse_path`` (dbt_project/profiles.yml and the sources), given on its command line by
`dbt_vars_args`; the process environment is never changed for it.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Final

from dagster_dbt import DbtCliResource, DbtProject

import ichigen
from ichigen.paths import DataPaths

__all__ = [
    "DBT_EXECUTABLE",
    "DBT_PROJECT_DIR",
    "dbt_command",
    "dbt_project",
    "dbt_vars_args",
    "ensure_manifest",
    "prepare_if_dev",
]

DBT_PROJECT_DIR: Final = (Path(ichigen.__file__).parent / "dbt_project").resolve()
# the venv's dbt, whether or not the venv is on PATH
DBT_EXECUTABLE: Final = Path(sys.executable).with_name("dbt")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _stale(manifest: Path) -> bool:
    """Whether the manifest is missing or older than any model, macro, test or the project."""
    if not manifest.exists():
        return True
    sources = [p for d in ("models", "macros", "tests") for p in (DBT_PROJECT_DIR / d).rglob("*")]
    newest = max((p.stat().st_mtime for p in sources if p.is_file()), default=0.0)
    newest = max(newest, (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime)
    return manifest.stat().st_mtime < newest


def ensure_manifest() -> Path:
    """Parse the project when its manifest is missing or stale; returns the manifest's path.

    Unlike `DbtProject.prepare` (which parses every time), an up-to-date manifest is kept: every
    `oms build` would otherwise spend a parse on it.
    """
    manifest = dbt_project.manifest_path
    if _stale(manifest):
        DbtCliResource(project_dir=dbt_project, dbt_executable=str(DBT_EXECUTABLE)).cli(
            ["parse", "--quiet"], target_path=dbt_project.target_path
        ).wait()
    return manifest


def prepare_if_dev() -> None:
    """`DbtProject.prepare_if_dev`, parsing only a stale manifest, with the venv's dbt.

    Under `dagster dev` every run's process loads the code location again; dagster-dbt's own
    preparation would parse the whole project for each (every five minutes for the stock
    pulls), and with whichever `dbt` is first on PATH.
    """
    if dbt_project.preparer.using_dagster_dev():
        ensure_manifest()


def dbt_vars_args(paths: DataPaths, *, shopify_web_location: str | None = None) -> list[str]:
    """``--vars`` telling dbt the data directory (landing, forecasts) and the warehouse file,
    and where web orders without a location are fulfilled (`ShopifySettings.web_location`;
    dbt's own default, the same as the setting's, when None)."""
    return _vars_args(paths.root, paths.warehouse, shopify_web_location=shopify_web_location)


def _vars_args(
    data_dir: Path, warehouse: Path, *, shopify_web_location: str | None = None
) -> list[str]:
    found = {"data_dir": str(data_dir.resolve()), "warehouse_path": str(warehouse.resolve())}
    if shopify_web_location:
        found["shopify_web_location"] = shopify_web_location
    return ["--vars", json.dumps(found, sort_keys=True)]


def dbt_command(
    args: list[str], *, data_dir: Path, warehouse: Path
) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of `dbt <args>` outside Dagster (the benchmarks, the
    tests), on the warehouse file `warehouse` over the landing zone under `data_dir`. dbt's
    target folder and logs go beside the warehouse, as `oms build` keeps them beside its own,
    so two warehouses never share them."""
    command = [str(DBT_EXECUTABLE), *args, "--quiet", *_vars_args(data_dir, warehouse)]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(warehouse.parent / "target")]
    command += ["--log-path", str(warehouse.parent / "logs")]
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    return command, env
