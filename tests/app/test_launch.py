"""`oms app` runs streamlit on 127.0.0.1 with the pipeline's environment."""

from __future__ import annotations

from pathlib import Path

from ichigen.app.launch import APP_SCRIPT, app_command, app_environment
from ichigen.settings import load_settings


def test_the_app_runs_headless_on_the_loopback_address_and_the_given_port() -> None:
    command = app_command(port=8599)
    assert command[1:5] == ["-m", "streamlit", "run", str(APP_SCRIPT)]
    options = dict(zip(command[5::2], command[6::2], strict=True))
    assert options["--server.address"] == "127.0.0.1"
    assert options["--server.port"] == "8599"
    assert options["--server.headless"] == "true"
    assert APP_SCRIPT.exists()


def test_the_app_gets_the_data_dir_and_the_channel_urls_of_the_settings(tmp_path: Path) -> None:
    settings = load_settings(
        {"ICHIGEN_DATA_DIR": str(tmp_path), "ICHIGEN_SUPPLIER_URL": "http://127.0.0.1:9"},
        dotenv=False,
    )
    env = app_environment(settings)
    assert env["ICHIGEN_DATA_DIR"] == str(tmp_path.resolve())
    assert env["ICHIGEN_SUPPLIER_URL"] == "http://127.0.0.1:9"
    assert str(APP_SCRIPT.parents[2]) in env["PYTHONPATH"]
