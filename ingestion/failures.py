"""Failed pulls and files that failed whole, recorded beside the loads they did not make.

    landing/<channel>/<entity>/_failures/<failure_id>.json

One JSON file per failure, written atomically, so that what went wrong outlives the run that
met it: the terminal and Dagster's event log are gone by the time someone opens Data health.
The fields are a contract other parts read (the warehouse's completeness, the app):

    failure_id      pulls: sortable by time (20261122T031500Z-1a2b3c4d); files: from the hash
    channel, entity
    kind            "pull" (an attempt to land an entity) | "file" (one dropped file)
    source          the endpoint or the drop folder; a file's name in its drop folder
    content_sha256  a file's bytes; null for pulls
    failed_at       UTC, ISO-8601
    error_class     auth | configuration | unreachable | retries_exhausted |
                    unreadable_file | invalid_file | unexpected
    cause           one line a person can act on
    fix             what to change, when a person can (``set ICHIGEN_SHOPIFY_ACCESS_TOKEN``)
    load_id         the load that did not complete, if one had started

A channel/entity is complete when its latest completed load is newer than its latest pull
failure. A file is recorded once per content: its id is made from its hash, the importers
skip bytes that failed before (`ingestion.files.folder`), and recording it again keeps the
first record, so the same bad file sent twice is one failure, not two.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, get_args

from ichigen.atomic import write_text_atomically
from ichigen.ingestion.errors import (
    AuthenticationError,
    ChannelError,
    ChannelUnreachableError,
    ConfigurationError,
    FileImportError,
    IngestionError,
    RetriesExhaustedError,
    UndecodableFileError,
    url_variable,
)
from ichigen.ingestion.landing import LandingZone

__all__ = [
    "ERROR_CLASSES",
    "Classified",
    "ErrorClass",
    "FailureRecord",
    "Kind",
    "classify",
    "failure_records",
    "failures_dir",
    "file_failure_id",
    "record_exception",
    "record_failure",
    "recorded_failure",
]

ErrorClass = Literal[
    "auth",
    "configuration",
    "unreachable",
    "retries_exhausted",
    "unreadable_file",
    "invalid_file",
    "unexpected",
]
ERROR_CLASSES: tuple[ErrorClass, ...] = get_args(ErrorClass)
Kind = Literal["pull", "file"]

_MAX_CAUSE = 400  # characters: a line, not a page


@dataclass(frozen=True)
class FailureRecord:
    failure_id: str
    channel: str
    entity: str
    kind: Kind
    source: str
    content_sha256: str | None
    failed_at: str
    error_class: ErrorClass
    cause: str
    fix: str | None
    load_id: str | None

    @property
    def line(self) -> str:
        """The cause and the fix as one line: what the terminal prints."""
        return f"{self.cause}: {self.fix}" if self.fix else self.cause


@dataclass(frozen=True)
class Classified:
    """What an exception means for whoever meets it: its class, cause, fix, and whether
    trying the same thing again later can succeed."""

    error_class: ErrorClass
    cause: str
    fix: str | None
    retryable: bool

    @property
    def line(self) -> str:
        return f"{self.cause}: {self.fix}" if self.fix else self.cause


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= _MAX_CAUSE else line[: _MAX_CAUSE - 3] + "..."


def classify(exc: BaseException, *, channel: str) -> Classified:
    """Sort an exception into the contract's classes.

    Refused credentials and configuration fail for good until a person changes something (a
    refused connection too: the channel must come back first, or its URL be put right), and
    so does a 4xx the channel will answer the same way again (a 404 is a wrong URL far more
    often than a moved API). What ran out of retries, or was never expected, may pass later.
    """
    if isinstance(exc, IngestionError):
        cause, fix = _one_line(exc.cause), exc.fix
    else:
        cause, fix = _one_line(f"{channel}: {type(exc).__name__}: {exc}"), None
    if isinstance(exc, AuthenticationError):
        return Classified("auth", cause, fix, retryable=False)
    if isinstance(exc, ConfigurationError):
        return Classified("configuration", cause, fix, retryable=False)
    if isinstance(exc, ChannelUnreachableError):
        # nothing listens at the address: a retry half a minute later finds the same, and a
        # channel down for an hour would hold `oms ingest` for minutes per asset; the next
        # scheduled run goes on with the load where it stopped
        return Classified("unreachable", cause, fix, retryable=False)
    if isinstance(exc, RetriesExhaustedError):
        return Classified("retries_exhausted", cause, fix, retryable=True)
    if isinstance(exc, UndecodableFileError):
        return Classified("unreadable_file", cause, fix, retryable=False)
    if isinstance(exc, FileImportError):
        return Classified("invalid_file", cause, fix, retryable=False)
    if isinstance(exc, ChannelError) and exc.status == 404:
        return Classified(
            "configuration", cause, fix or f"check {url_variable(channel)}", retryable=False
        )
    if isinstance(exc, ChannelError) and exc.status is not None and 400 <= exc.status < 500:
        return Classified("unexpected", cause, fix, retryable=False)
    return Classified("unexpected", cause, fix, retryable=True)


def failures_dir(zone: LandingZone, channel: str, entity: str) -> Path:
    return zone.entity_dir(channel, entity) / "_failures"


def file_failure_id(sha256: str, *, reader: str = "") -> str:
    """A file's failure id: the same bytes read the same way fail the same way.

    `reader` names how the file was read when that can change without the file (the
    wholesale mappings): a corrected mapping reads the same bytes anew.
    """
    return f"file-{sha256[:24]}" + (f"-{reader[:12]}" if reader else "")


def _pull_failure_id(now: datetime) -> str:
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def _path(zone: LandingZone, channel: str, entity: str, failure_id: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", failure_id) or failure_id.startswith("."):
        raise ValueError(f"a failure id is a file name, not {failure_id!r}")
    return failures_dir(zone, channel, entity) / f"{failure_id}.json"


def recorded_failure(
    zone: LandingZone, channel: str, entity: str, failure_id: str
) -> FailureRecord | None:
    """The record of `failure_id`, if one was written."""
    path = _path(zone, channel, entity, failure_id)
    if not path.exists():
        return None
    return FailureRecord(**json.loads(path.read_text("utf-8")))


def failure_records(zone: LandingZone, channel: str, entity: str) -> list[FailureRecord]:
    """Every failure recorded for an entity, oldest first."""
    folder = failures_dir(zone, channel, entity)
    if not folder.exists():
        return []
    records = [
        FailureRecord(**json.loads(path.read_text("utf-8")))
        for path in folder.glob("*.json")
        if not path.name.startswith(".")
    ]
    return sorted(records, key=lambda r: (r.failed_at, r.failure_id))


def record_failure(
    zone: LandingZone,
    *,
    channel: str,
    entity: str,
    kind: Kind,
    source: str,
    error_class: ErrorClass,
    cause: str,
    fix: str | None = None,
    content_sha256: str | None = None,
    load_id: str | None = None,
    failure_id: str | None = None,
    now: datetime | None = None,
) -> FailureRecord:
    """Write one failure record; a record with the same `failure_id` already there is kept
    (and returned) rather than written again.

    Without a `failure_id`, a file's comes from its hash (`file_failure_id`) and a pull's is
    new and sortable by time.
    """
    if error_class not in ERROR_CLASSES:
        raise ValueError(f"unknown error class {error_class!r}: one of {ERROR_CLASSES}")
    at = now or datetime.now(UTC)
    if failure_id is None:
        if kind == "file" and content_sha256:
            failure_id = file_failure_id(content_sha256)
        else:
            failure_id = _pull_failure_id(at)
    existing = recorded_failure(zone, channel, entity, failure_id)
    if existing is not None:
        return existing
    record = FailureRecord(
        failure_id=failure_id,
        channel=channel,
        entity=entity,
        kind=kind,
        source=source,
        content_sha256=content_sha256,
        failed_at=at.astimezone(UTC).isoformat(),
        error_class=error_class,
        cause=_one_line(cause),
        fix=fix,
        load_id=load_id,
    )
    write_text_atomically(
        _path(zone, channel, entity, failure_id),
        json.dumps(asdict(record), ensure_ascii=False, indent=2),
    )
    return record


def record_exception(
    zone: LandingZone,
    exc: BaseException,
    *,
    channel: str,
    entity: str,
    source: str,
    kind: Kind = "pull",
    content_sha256: str | None = None,
    load_id: str | None = None,
    failure_id: str | None = None,
) -> tuple[FailureRecord, Classified]:
    """Classify `exc` and record it; the classification says whether to try again."""
    classified = classify(exc, channel=channel)
    record = record_failure(
        zone,
        channel=channel,
        entity=entity,
        kind=kind,
        source=source,
        error_class=classified.error_class,
        cause=classified.cause,
        fix=classified.fix,
        content_sha256=content_sha256,
        load_id=load_id,
        failure_id=failure_id,
    )
    return record, classified
