"""The `oms` command line, run as a user runs it: a real process, real ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ichigen.cli import app
from ichigen.settings import load_settings

OMS = Path(sys.executable).with_name("oms")


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _env_for(data_dir: Path, ports: list[int]) -> dict[str, str]:
    names = ("SHOPIFY", "AMAZON", "RAKUTEN", "SUPPLIER")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICHIGEN_")}
    env["ICHIGEN_DATA_DIR"] = str(data_dir)
    env.update(
        {f"ICHIGEN_{n}_URL": f"http://127.0.0.1:{p}" for n, p in zip(names, ports, strict=True)}
    )
    return env


def test_every_subcommand_the_issues_name_exists() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("demo", "sandbox", "ingest", "build", "app", "bench"):
        assert command in result.output
    sandbox_help = CliRunner().invoke(app, ["sandbox", "--help"]).output
    assert "generate" in sandbox_help and "serve" in sandbox_help


def test_build_full_refresh_reaches_the_warehouse_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`oms build --full-refresh` asks the build for it, and the build's warehouse resource
    (whose flag becomes dbt's --full-refresh, tests/orchestration/test_warehouse.py) gets it."""
    from ichigen.orchestration import build_run
    from ichigen.orchestration.build_run import BuildOutcome
    from ichigen.orchestration.warehouse import warehouse_resources

    asked: list[bool] = []

    def fake_build(
        settings: object, *, full_refresh: bool = False, log: object = None
    ) -> BuildOutcome:
        asked.append(full_refresh)
        return BuildOutcome(True, tmp_path / "current.duckdb", None)

    monkeypatch.setattr(build_run, "run_build", fake_build)
    monkeypatch.setenv("ICHIGEN_DATA_DIR", str(tmp_path))
    for args, expected in ((["build"], False), (["build", "--full-refresh"], True)):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert asked.pop() is expected
    settings = load_settings({"ICHIGEN_DATA_DIR": str(tmp_path)}, dotenv=False)
    assert warehouse_resources(settings, full_refresh=True)["warehouse"].full_refresh is True
    assert warehouse_resources(settings)["warehouse"].full_refresh is False


def test_a_build_that_held_a_channel_back_exits_1_naming_it_and_why_though_it_published(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from ichigen.orchestration import build_run
    from ichigen.orchestration.build_run import BuildOutcome
    from ichigen.orchestration.held_channels import HeldChannel

    at = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)
    held = HeldChannel(
        "shopify", as_of=at, since=at, reason="model stg_shopify__order_lines: Conversion Error"
    )

    def fake_build(settings: object, **_: object) -> BuildOutcome:
        return BuildOutcome(True, tmp_path / "current.duckdb", None, held=(held,))

    monkeypatch.setattr(build_run, "run_build", fake_build)
    monkeypatch.setenv("ICHIGEN_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["build"])
    assert result.exit_code == 1
    assert (
        "shopify: new data could not be built; showing its last good state from "
        "2026-12-08 01:00:00 UTC: model stg_shopify__order_lines: Conversion Error"
    ) in result.output
    assert "snapshot published at" in result.output and "1 channel(s) held back" in result.output


def test_an_unknown_fault_is_a_clear_usage_error(tmp_path: Path) -> None:
    env = _env_for(tmp_path, _free_ports(4))
    done = subprocess.run(
        [str(OMS), "sandbox", "serve", "--faults", "meteor=1"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown fault 'meteor'" in done.stderr


@pytest.mark.slow
def test_sandbox_serve_prints_one_line_per_simulator_once_they_listen(
    sandbox_dir: Path, tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    (data_dir / "sandbox").mkdir(parents=True)
    (data_dir / "sandbox" / "world").symlink_to(sandbox_dir / "world")
    ports = _free_ports(4)
    process = subprocess.Popen(
        [str(OMS), "sandbox", "serve"],
        env=_env_for(data_dir, ports),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().split() for _ in range(4)]
        assert [name for name, _ in lines] == ["shopify", "amazon", "rakuten", "supplier"]
        for (_, url), port in zip(lines, ports, strict=True):
            assert url == f"http://127.0.0.1:{port}"
            assert httpx.get(f"{url}/_sandbox/health", timeout=5).status_code == 200
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0


@pytest.mark.slow
def test_demo_without_ui_generates_serves_checks_and_exits(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(OMS), "demo", "--no-ui", "--days", "30"],
        env=_env_for(tmp_path / "data", _free_ports(4)),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "shopify http://127.0.0.1:" in done.stdout
    assert (tmp_path / "data" / "sandbox" / "world" / "manifest.json").exists()
    assert any((tmp_path / "data" / "sandbox" / "drops" / "pos").rglob("*.csv"))
    assert "shopify_orders:" in done.stdout and "FAILED" not in done.stdout
    assert (tmp_path / "data" / "serving" / "current.duckdb").exists()


def test_ingest_warns_of_a_rakuten_license_key_about_to_expire(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from ichigen.cli.main import _warn_of_an_expiring_license_key

    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    issued = (today - timedelta(days=90)).isoformat()
    _warn_of_an_expiring_license_key(
        load_settings({"ICHIGEN_RAKUTEN_LICENSE_KEY_ISSUED_ON": issued}, dotenv=False)
    )
    assert f"expired on {today}" in capsys.readouterr().err
