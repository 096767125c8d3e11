"""dbt's command line on a warehouse of a test's own."""

from __future__ import annotations

import subprocess
from pathlib import Path

from ichigen.orchestration.project import dbt_command


def run_dbt(
    args: list[str], *, data_dir: Path, warehouse: Path
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` on `warehouse`, over the landing zone under `data_dir` (dbt's target folder
    and logs beside the warehouse, so tests never share them); the caller checks the result."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    command, env = dbt_command(args, data_dir=data_dir, warehouse=warehouse)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=False)
