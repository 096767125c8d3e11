"""Failure records: what each error means, and one JSON file per failure in the landing zone."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from ichigen.ingestion.errors import (
    CREDENTIALS,
    AuthenticationError,
    ChannelError,
    ChannelUnreachableError,
    ConfigurationError,
    FileImportError,
    MappingError,
    RetriesExhaustedError,
    UndecodableFileError,
    UnexpectedResponseError,
)
from ichigen.ingestion.failures import (
    ERROR_CLASSES,
    classify,
    failure_records,
    failures_dir,
    file_failure_id,
    record_exception,
    record_failure,
)
from ichigen.ingestion.landing import LandingZone

CONTRACT_FIELDS = {
    "failure_id",
    "channel",
    "entity",
    "kind",
    "source",
    "content_sha256",
    "failed_at",
    "error_class",
    "cause",
    "fix",
    "load_id",
}


@pytest.fixture
def zone(tmp_path: Path) -> LandingZone:
    return LandingZone(tmp_path / "data" / "landing")


def _refused(channel: str) -> AuthenticationError:
    credentials = CREDENTIALS[channel]
    return AuthenticationError(
        channel, f"{credentials.refused} (401)", status=401, fix=credentials.fix
    )


@pytest.mark.parametrize(
    ("error", "error_class", "retryable"),
    [
        (_refused("shopify"), "auth", False),
        (
            ConfigurationError("supplier: the API URL and key are both needed"),
            "configuration",
            False,
        ),
        (
            ChannelError("rakuten", "GET /x failed (404): not found", status=404),
            "configuration",
            False,
        ),
        (
            ChannelError("shopify", "GET /x failed (400): bad limit", status=400),
            "unexpected",
            False,
        ),
        (
            ChannelUnreachableError(
                "amazon", "http://127.0.0.1:1 refused the connection", fix="check it is up"
            ),
            "unreachable",
            False,
        ),
        (
            RetriesExhaustedError("amazon", "GET /x failed 8 times; last: 503"),
            "retries_exhausted",
            True,
        ),
        (
            UnexpectedResponseError("amazon", "getOrders answered without Orders"),
            "unexpected",
            True,
        ),
        (
            UndecodableFileError(Path("a.csv"), "is neither UTF-8 nor CP932"),
            "unreadable_file",
            False,
        ),
        (MappingError(Path("a.csv"), "no column 数量", row=1), "invalid_file", False),
        (FileImportError(Path("a.csv"), "header lacks the columns"), "invalid_file", False),
        (KeyError("orders"), "unexpected", True),
    ],
)
def test_each_error_is_classed_and_only_what_can_pass_later_is_retried(
    error: Exception, error_class: str, retryable: bool
) -> None:
    classified = classify(error, channel="shopify")
    assert (classified.error_class, classified.retryable) == (error_class, retryable)
    assert "\n" not in classified.line


def test_refused_credentials_read_as_one_line_naming_channel_cause_and_variable() -> None:
    classified = classify(_refused("shopify"), channel="shopify")
    assert classified.cause == "shopify: the access token was refused (401)"
    assert classified.fix == "set ICHIGEN_SHOPIFY_ACCESS_TOKEN"
    assert classified.line == str(_refused("shopify"))
    rakuten = classify(_refused("rakuten"), channel="rakuten")
    assert rakuten.fix == "set ICHIGEN_RAKUTEN_SERVICE_SECRET and ICHIGEN_RAKUTEN_LICENSE_KEY"


def test_a_wrong_url_is_a_configuration_error_naming_the_url_variable() -> None:
    found = classify(ChannelError("rakuten", "not found", status=404), channel="rakuten")
    assert found.fix == "check ICHIGEN_RAKUTEN_URL"


def test_an_unexpected_exception_is_still_one_line_naming_the_channel() -> None:
    classified = classify(ValueError("line one\nline two"), channel="amazon")
    assert classified.cause == "amazon: ValueError: line one line two"


def test_a_pull_failure_is_one_json_file_with_exactly_the_contracts_fields(
    zone: LandingZone,
) -> None:
    record, classified = record_exception(
        zone,
        _refused("shopify"),
        channel="shopify",
        entity="orders",
        source="https://shop.example/admin/api/2024-10/orders.json",
        load_id="20261122T031500Z-1a2b3c4d",
    )
    [path] = failures_dir(zone, "shopify", "orders").iterdir()
    assert path == zone.root / "shopify" / "orders" / "_failures" / f"{record.failure_id}.json"
    written = json.loads(path.read_text("utf-8"))
    assert set(written) == CONTRACT_FIELDS
    assert written["kind"] == "pull" and written["content_sha256"] is None
    assert written["error_class"] == "auth" == classified.error_class
    assert written["fix"] == "set ICHIGEN_SHOPIFY_ACCESS_TOKEN"
    assert written["load_id"] == "20261122T031500Z-1a2b3c4d"
    assert datetime.fromisoformat(written["failed_at"]).tzinfo is not None
    assert failure_records(zone, "shopify", "orders") == [record]


def test_every_failed_pull_is_recorded_apart_in_time_order(zone: LandingZone) -> None:
    times = [datetime(2026, 11, 22, 3, minute, tzinfo=UTC) for minute in (15, 30)]
    ids = [
        record_failure(
            zone,
            channel="amazon",
            entity="orders",
            kind="pull",
            source="https://sp-api.example/orders/v0/orders",
            error_class="retries_exhausted",
            cause="amazon: GET ... failed 8 times",
            now=at,
        ).failure_id
        for at in times
    ]
    assert ids == sorted(ids) and len(set(ids)) == 2
    assert [r.failure_id for r in failure_records(zone, "amazon", "orders")] == ids


def test_the_same_bad_file_is_recorded_once(zone: LandingZone) -> None:
    sha = "ab" * 32
    first = record_failure(
        zone,
        channel="pos",
        entity="sales",
        kind="file",
        source="ST-SHIBUYA/ST-SHIBUYA_20261031.csv",
        error_class="unreadable_file",
        cause="ST-SHIBUYA/ST-SHIBUYA_20261031.csv: is neither UTF-8 nor CP932",
        content_sha256=sha,
    )
    again = record_failure(
        zone,
        channel="pos",
        entity="sales",
        kind="file",
        source="ST-SHIBUYA/ST-SHIBUYA_20261031.csv",
        error_class="unreadable_file",
        cause="a second telling",
        content_sha256=sha,
        now=datetime(2030, 1, 1, tzinfo=UTC),
    )
    assert again == first and first.failure_id == file_failure_id(sha)
    assert failure_records(zone, "pos", "sales") == [first]


def test_a_failure_id_cannot_name_a_file_outside_its_folder(zone: LandingZone) -> None:
    with pytest.raises(ValueError, match="failure id"):
        record_failure(
            zone,
            channel="pos",
            entity="sales",
            kind="file",
            source="x.csv",
            error_class="invalid_file",
            cause="x",
            failure_id="../../escape",
        )
    with pytest.raises(ValueError, match="error class"):
        record_failure(
            zone,
            channel="pos",
            entity="sales",
            kind="file",
            source="x.csv",
            error_class="flaky",  # type: ignore[arg-type]
            cause="x",
        )


def test_the_failures_mart_accepts_every_error_class_the_recorder_writes() -> None:
    """A class added to ErrorClass and not to the mart's accepted values only warns in a
    build; this names it at once."""
    models = Path(__file__).resolve().parents[2] / "dbt_project/models/marts/operations"
    spec = yaml.safe_load((models / "_operations__models.yml").read_text(encoding="utf-8"))
    (mart,) = [m for m in spec["models"] if m["name"] == "fct_ingest_failures"]
    (column,) = [c for c in mart["columns"] if c["name"] == "error_class"]
    (accepted,) = [t["accepted_values"] for t in column["data_tests"] if "accepted_values" in t]
    assert sorted(accepted["arguments"]["values"]) == sorted(ERROR_CLASSES)
