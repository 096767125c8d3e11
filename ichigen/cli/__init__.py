"""The roof: the `oms` command line and the demo launcher, which build the settings once and
wire the layers below (sandbox, orchestration, app, benchmarks). Nothing below imports them.

`app` is the `oms` console script (pyproject.toml's ``[project.scripts]``).
"""

from __future__ import annotations

from ichigen.cli.main import app

__all__ = ["app"]
