"""`oms ingest` fails loudly and briefly: a non-zero exit, one line per failure saying what to
change, the traces in a log file it names, and a failure record in the landing zone."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ichigen.cli import app
from ichigen.ingestion.landing import LandingZone
from ichigen.sandbox.simulators.serve import RunningSandbox
from ichigen.settings import Settings

OMS = Path(sys.executable).with_name("oms")
SHOPIFY_ENTITIES = ("orders", "customers", "products", "locations", "inventory_levels")
REFUSED = "shopify: the access token was refused (401): set ICHIGEN_SHOPIFY_ACCESS_TOKEN"


def _environment(**variables: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ICHIGEN_", "DAGSTER_"))}
    return env | variables


def _log_named_in(output: str) -> Path:
    [named] = re.findall(r"full traces in (\S+\.log)", output)
    return Path(named)


def test_a_wrong_shopify_token_fails_at_once_with_one_line_per_asset(
    sandbox: RunningSandbox, settings: Settings
) -> None:
    env = _environment(
        ICHIGEN_DATA_DIR=str(settings.data_dir),
        ICHIGEN_SHOPIFY_ACCESS_TOKEN="shpat_wrong",
        **sandbox.url_environment,
    )
    # Dagster's retries of an asset wait 30 s and then 60 s: five assets tried three times
    # each would not be done inside the timeout
    done = subprocess.run(
        [str(OMS), "ingest", "--channel", "shopify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert [line.split(":")[0] for line in failed] == [f"shopify_{e}" for e in SHOPIFY_ENTITIES]
    assert all(line.endswith(f": {REFUSED}") for line in failed), failed
    output = done.stdout + done.stderr
    assert "Traceback" not in output and "max_retries" not in output
    assert len(output.splitlines()) <= len(SHOPIFY_ENTITIES) + 3, output
    log = _log_named_in(done.stderr)
    assert log.parent == settings.paths.logs
    assert "AuthenticationError" in log.read_text("utf-8")
    zone = LandingZone.under(settings.paths)
    for entity in SHOPIFY_ENTITIES:
        # one record per asset: Dagster did not try the step again
        [record] = (zone.entity_dir("shopify", entity) / "_failures").glob("*.json")
        written = json.loads(record.read_text("utf-8"))
        assert (written["kind"], written["error_class"]) == ("pull", "auth")
        assert written["fix"] == "set ICHIGEN_SHOPIFY_ACCESS_TOKEN"
        assert written["source"].startswith(sandbox.urls["shopify"])
        assert "shpat_wrong" not in record.read_text("utf-8")


def test_a_shopify_that_is_down_fails_each_asset_at_once_with_one_line_naming_its_url(
    settings: Settings,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:  # free a moment ago, nobody listens now
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = _environment(ICHIGEN_DATA_DIR=str(settings.data_dir), ICHIGEN_SHOPIFY_URL=down)
    # eight tries per request, then Dagster's two retries after 30 s and 60 s, for each of
    # the five assets, would take many times the timeout
    done = subprocess.run(
        [str(OMS), "ingest", "--channel", "shopify"],
        env=env,
        capture_output=True,
        text=True,
        timeout=150,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = [line for line in done.stdout.splitlines() if "FAILED" in line]
    assert [line.split(":")[0] for line in failed] == [f"shopify_{e}" for e in SHOPIFY_ENTITIES]
    unreachable = (
        f"shopify: {down} refused the connection (nothing is listening there): "
        "check that the channel is up and that ICHIGEN_SHOPIFY_URL is its address"
    )
    assert all(line.endswith(f": {unreachable}") for line in failed), failed
    output = done.stdout + done.stderr
    assert "Traceback" not in output and len(output.splitlines()) <= len(SHOPIFY_ENTITIES) + 3
    zone = LandingZone.under(settings.paths)
    for entity in SHOPIFY_ENTITIES:
        # one record per asset: neither the client nor Dagster tried again
        [record] = (zone.entity_dir("shopify", entity) / "_failures").glob("*.json")
        written = json.loads(record.read_text("utf-8"))
        assert (written["kind"], written["error_class"]) == ("pull", "unreachable")
        assert written["source"].startswith(down)


def _pos_export(rows: int) -> bytes:
    """A till's day in CP932: `rows` sales of one shirt."""
    from ichigen.ingestion.files.pos import POS_COLUMNS

    sale = {
        "取引日時": "2026/10/31 13:05:22",
        "店舗コード": "ST-SHIBUYA",
        "レジ番号": "1",
        "取引区分": "売上",
        "JANコード": "4901000000028",
        "商品コード": "P0001-NVY-M",
        "商品名": "リネンシャツ",
        "数量": "1",
        "単価": "3300",
        "値引額": "0",
        "金額": "3300",
    }
    lines = [",".join(POS_COLUMNS)]
    for i in range(rows):
        row = sale | {"取引番号": f"SHB{i:07d}", "明細番号": "1"}
        lines.append(",".join(row.get(column, "") for column in POS_COLUMNS))
    return "\r\n".join([*lines, ""]).encode("cp932")


def test_a_file_that_fails_whole_is_recorded_once_and_fails_the_command_until_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in list(os.environ):
        if name.startswith(("ICHIGEN_", "DAGSTER_")):
            monkeypatch.delenv(name)
    data = tmp_path / "data"
    drops = tmp_path / "drops"
    env = {
        "ICHIGEN_DATA_DIR": str(data),
        **{
            f"ICHIGEN_{folder.upper()}_DROP_DIR": str(drops / folder)
            for folder in ("pos", "pos_members", "wholesale", "stock")
        },
    }
    good = drops / "pos" / "ST-UMEDA" / "ST-UMEDA_20261031.csv"
    good.parent.mkdir(parents=True)
    good.write_bytes(_pos_export(3))
    broken = drops / "pos" / "ST-SHIBUYA" / "ST-SHIBUYA_20261031.csv"
    broken.parent.mkdir(parents=True)
    whole = _pos_export(4)
    broken.write_bytes(whole + "リ".encode("cp932")[:1])  # cut inside a CP932 character
    runner = CliRunner()

    first = runner.invoke(app, ["ingest", "--channel", "files"], env=env)
    assert first.exit_code == 1, first.output
    [line] = [line for line in first.output.splitlines() if "FILE FAILED" in line]
    assert line.startswith("pos_sales: FILE FAILED: ST-SHIBUYA/ST-SHIBUYA_20261031.csv: ")
    assert "pos_sales: 3 received, 3 accepted" in first.output  # the good file still landed
    assert _log_named_in(first.output).exists()
    failures = data / "landing" / "pos" / "sales" / "_failures"
    [record] = failures.glob("*.json")
    written = json.loads(record.read_text("utf-8"))
    assert (written["kind"], written["error_class"]) == ("file", "unreadable_file")
    assert written["source"] == "ST-SHIBUYA/ST-SHIBUYA_20261031.csv"

    again = runner.invoke(app, ["ingest", "--channel", "files"], env=env)
    assert again.exit_code == 1, again.output
    assert "(failed before, unchanged)" in again.output
    assert list(failures.glob("*.json")) == [record]

    broken.write_bytes(whole)  # exported again, whole
    fixed = runner.invoke(app, ["ingest", "--channel", "files"], env=env)
    assert fixed.exit_code == 0, fixed.output
    assert "pos_sales: 4 received, 4 accepted" in fixed.output
