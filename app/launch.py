"""`oms app`: serve the Streamlit app on 127.0.0.1 with the pipeline's environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ichigen.settings import Settings

__all__ = ["APP_SCRIPT", "app_command", "app_environment", "run_app"]

APP_SCRIPT = Path(__file__).with_name("streamlit_app.py")


def app_command(*, port: int) -> list[str]:
    """The `streamlit run` command line (headless, loopback only)."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP_SCRIPT),
        "--server.address",
        "127.0.0.1",
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
    ]


def app_environment(settings: Settings) -> dict[str, str]:
    """The process environment plus the settings the app and its actions read.

    The app reads the snapshot under ``ICHIGEN_DATA_DIR`` and sends actions through the same
    channel and supplier URLs as the pipeline (credentials stay in the environment they came
    from: `load_settings` in the app process reads them again).
    """
    env = dict(os.environ)
    env["ICHIGEN_DATA_DIR"] = str(settings.data_dir)
    env["ICHIGEN_RATE_MULTIPLIER"] = str(settings.rate_multiplier)
    for name in ("shopify", "amazon", "rakuten", "supplier"):
        env[f"ICHIGEN_{name.upper()}_URL"] = getattr(settings, name).url
    # the pages import `ichigen.app.*` whatever directory streamlit puts first on sys.path:
    # the folder that holds the `ichigen` package (the checkout, or site-packages)
    root = str(APP_SCRIPT.parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


def run_app(settings: Settings, *, port: int) -> None:
    """Run the app in the foreground until it exits (Ctrl-C stops it)."""
    subprocess.run(app_command(port=port), env=app_environment(settings), check=True)
