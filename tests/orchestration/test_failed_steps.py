"""How a failed step reads: one line with its cause, a record of it, and Dagster's retries only
where another try can do better."""

# No `from __future__ import annotations`: Dagster compares the context annotation itself.

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import dagster as dg
import pytest
from dagster_dbt import DbtCliResource, DbtProject, dbt_assets

from ichigen.ingestion.errors import (
    CREDENTIALS,
    AuthenticationError,
    ChannelUnreachableError,
    RetriesExhaustedError,
)
from ichigen.ingestion.failures import failure_records
from ichigen.ingestion.landing import LandingZone
from ichigen.orchestration.build_run import dbt_errors
from ichigen.orchestration.cli_runs import QUIET_RUN_CONFIG, failure_cause
from ichigen.orchestration.landing_assets import recording_failure
from ichigen.orchestration.run_log import RunLog

DBT = Path(sys.executable).with_name("dbt")


def _refused() -> AuthenticationError:
    shopify = CREDENTIALS["shopify"]
    return AuthenticationError("shopify", f"{shopify.refused} (401)", status=401, fix=shopify.fix)


def _exhausted() -> RetriesExhaustedError:
    return RetriesExhaustedError("shopify", "GET /orders.json failed 8 times; last: 503")


def _unreachable() -> ChannelUnreachableError:
    return ChannelUnreachableError(
        "shopify",
        "http://127.0.0.1:1 refused the connection (nothing is listening there)",
        fix="check that the channel is up and that ICHIGEN_SHOPIFY_URL is its address",
    )


@pytest.mark.parametrize(
    ("error", "tries"),
    [(_refused, 1), (_unreachable, 1), (_exhausted, 2)],
    ids=[
        "refused credentials: no retry",
        "nothing listening: no retry",
        "a channel failing past the client's retries: retried",
    ],
)
def test_a_failed_pull_is_recorded_per_try_and_retried_only_when_it_may_pass(
    tmp_path: Path, error: Callable[[], Exception], tries: int
) -> None:
    zone = LandingZone(tmp_path / "landing")
    attempts: list[int] = []

    @dg.asset(name="shopify_orders", retry_policy=dg.RetryPolicy(max_retries=1, delay=0))
    def pull(context: dg.AssetExecutionContext) -> None:
        attempts.append(context.retry_number)
        with recording_failure(context, zone, channel="shopify", entity="orders", source="x"):
            raise error()

    log = RunLog.create(tmp_path / "logs", "ingest")
    with dg.DagsterInstance.ephemeral() as instance:
        result = dg.materialize(
            [pull], instance=instance, raise_on_error=False, run_config=QUIET_RUN_CONFIG
        )
        log.write_run(instance, result.run_id, title="shopify")
    assert len(attempts) == tries
    [failed] = [event for event in result.all_events if event.is_step_failure]
    assert failure_cause(failed.step_failure_data) == str(error())
    records = failure_records(zone, "shopify", "orders")
    assert len(records) == tries and {r.line for r in records} == {str(error())}
    logged = log.path.read_text("utf-8")
    assert "Traceback" in logged and type(error()).__name__ in logged


DBT_PROJECT = {
    "dbt_project.yml": "name: tiny\nversion: '1.0'\nprofile: tiny\n",
    "models/good.sql": "select 1 as id union all select null as id\n",
    "models/broken.sql": "select * from a_table_nobody_made\n",
    "models/schema.yml": (
        "models:\n  - name: good\n    columns:\n      - name: id\n        data_tests: [not_null]\n"
    ),
}


def test_a_failed_dbt_build_reads_as_one_line_per_failed_model_and_test(tmp_path: Path) -> None:
    project_dir = tmp_path / "tiny"
    for name, text in DBT_PROJECT.items():
        (project_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (project_dir / name).write_text(text)
    (project_dir / "profiles.yml").write_text(
        "tiny:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n"
        f"      path: {tmp_path / 'tiny.duckdb'}\n"
    )
    project = DbtProject(project_dir=project_dir, profiles_dir=project_dir)
    subprocess.run(
        [str(DBT), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir)],
        check=True,
        capture_output=True,
    )

    @dbt_assets(manifest=project.manifest_path, project=project)
    def tiny(context: dg.AssetExecutionContext, dbt: DbtCliResource):  # type: ignore[no-untyped-def]
        yield from dbt.cli(["build"], context=context).stream()

    result = dg.materialize(
        [tiny],
        resources={"dbt": DbtCliResource(project_dir=project, dbt_executable=str(DBT))},
        raise_on_error=False,
        run_config=QUIET_RUN_CONFIG,
    )
    [failed] = [event for event in result.all_events if event.is_step_failure]
    data = failed.step_failure_data
    assert data is not None and data.error is not None
    error = data.error
    while error.cause is not None and "dbt logs" not in error.message:
        error = error.cause
    lines = dbt_errors(error.message)
    assert len(lines) == 2, lines
    broken, test = sorted(lines)
    assert broken.startswith("model broken (models/broken.sql): Runtime Error:")
    assert "a_table_nobody_made" in broken
    assert (
        test
        == "test not_null_good_id (models/schema.yml): Got 1 result, configured to fail if != 0"
    )
