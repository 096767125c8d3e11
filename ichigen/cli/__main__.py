"""``python -m ichigen.cli``: `oms` without its console script (the demo starts the simulators
so, with the interpreter it runs in)."""

from __future__ import annotations

from ichigen.cli.main import app

app()
