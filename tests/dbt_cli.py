"""dbt's command line on a warehouse of a test's own."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from orchestration.warehouse import DBT_PROJECT_DIR


def run_dbt(
    args: Sequence[str], *, data_dir: Path, warehouse: Path
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` on `warehouse`, over the landing zone under `data_dir`. dbt's target folder
    and logs go beside the warehouse, so tests never share them; the caller checks the result."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    command = [str(Path(sys.executable).with_name("dbt")), *args, "--quiet"]
    command += ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(warehouse.parent / "target")]
    command += ["--log-path", str(warehouse.parent / "logs")]
    env = {
        **os.environ,
        "ICHIGEN_DATA_DIR": str(data_dir),
        "ICHIGEN_WAREHOUSE_PATH": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
