"""Errors raised by ingestion. Each says what was wrong and what to do about it.

    IngestionError
    ├── ConfigurationError        a setting is missing or malformed
    ├── ChannelError              a channel's API did not give us what we asked for
    │   ├── AuthenticationError   401/403: credentials wrong, expired or lacking a scope
    │   ├── ChannelUnreachableError  connection refused: nothing listens at the channel's address
    │   ├── RetriesExhaustedError 429, 5xx, timeouts or broken connections, past every retry
    │   └── UnexpectedResponseError  a 2xx answer we cannot read (not JSON, missing fields)
    └── FileImportError           a dropped file cannot be imported as a whole
        ├── UndecodableFileError  its bytes are in no encoding we accept
        └── MappingError          a wholesale column mapping does not fit the sheet

Every one of them reads as one line, ``<cause>: <fix>`` (``shopify: the access token was
refused (401): set ICHIGEN_SHOPIFY_ACCESS_TOKEN``), and keeps the two apart in `cause` and
`fix`, so a failure record and the terminal can show them without parsing. What the channel
said in its own words, and which request it was, stay in `detail` and `endpoint`: they belong
in the log, not in the line a person reads first.

Row-level problems (a bad quantity, an unknown SKU) are not exceptions: those rows are
quarantined with their reason and the rest of the file or page is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "CREDENTIALS",
    "AuthenticationError",
    "ChannelError",
    "ChannelUnreachableError",
    "ConfigurationError",
    "Credentials",
    "FileImportError",
    "IngestionError",
    "MappingError",
    "RetriesExhaustedError",
    "UndecodableFileError",
    "UnexpectedResponseError",
    "url_variable",
]


@dataclass(frozen=True)
class Credentials:
    """What a channel's refusal is about, and the variables that hold it.

    The names are the configuration's public interface (the README's table), so a connector
    may name them without reading them: the values are still injected.
    """

    refused: str  # "the access token was refused"
    variables: tuple[str, ...]

    @property
    def fix(self) -> str:
        names = list(self.variables)
        joined = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
        return f"set {joined}"


CREDENTIALS: Final = {
    "shopify": Credentials("the access token was refused", ("ICHIGEN_SHOPIFY_ACCESS_TOKEN",)),
    "amazon": Credentials(
        "the Login with Amazon credentials were refused",
        (
            "ICHIGEN_AMAZON_CLIENT_ID",
            "ICHIGEN_AMAZON_CLIENT_SECRET",
            "ICHIGEN_AMAZON_REFRESH_TOKEN",
        ),
    ),
    "rakuten": Credentials(
        "the RMS serviceSecret and licenseKey were refused",
        ("ICHIGEN_RAKUTEN_SERVICE_SECRET", "ICHIGEN_RAKUTEN_LICENSE_KEY"),
    ),
    "supplier": Credentials("the API key was refused", ("ICHIGEN_SUPPLIER_API_KEY",)),
}


def url_variable(channel: str) -> str:
    """The variable holding a channel's base URL (``ICHIGEN_SHOPIFY_URL``)."""
    return f"ICHIGEN_{channel.upper()}_URL"


class IngestionError(Exception):
    """Base class of everything ingestion raises on purpose: a `cause` and, when a person can
    do something about it, a `fix`."""

    def __init__(self, cause: str, *, fix: str | None = None) -> None:
        super().__init__(f"{cause}: {fix}" if fix else cause)
        self.cause = cause
        self.fix = fix


class ConfigurationError(IngestionError):
    """A setting is missing or malformed."""


class ChannelError(IngestionError):
    """A channel's API did not give us what we asked for."""

    def __init__(
        self,
        channel: str,
        message: str,
        *,
        status: int | None = None,
        endpoint: str | None = None,
        detail: str | None = None,
        fix: str | None = None,
    ) -> None:
        super().__init__(f"{channel}: {message}", fix=fix)
        self.channel = channel
        self.status = status
        self.endpoint = endpoint  # "GET https://.../orders.json": never with credentials
        self.detail = detail  # what the channel answered, shortened


class AuthenticationError(ChannelError):
    """The channel refused our credentials (check the ICHIGEN_<CHANNEL>_... variables)."""


class ChannelUnreachableError(ChannelError):
    """The channel's address refused the connection: nothing listens there (the service is
    down, or the URL names the wrong host or port). Not retried: a refusal comes back at once
    and says the same thing on every try, so trying again only turns seconds into minutes."""


class RetriesExhaustedError(ChannelError):
    """A request kept failing with retryable errors until the retry budget ran out."""


class UnexpectedResponseError(ChannelError):
    """A successful answer that is not what the channel's API documents."""


class FileImportError(IngestionError):
    """A file that cannot be imported as a whole; `reason` is the cause without the path."""

    def __init__(self, path: Path, message: str, *, fix: str | None = None) -> None:
        super().__init__(f"{path}: {message}", fix=fix)
        self.path = path
        self.reason = message


class UndecodableFileError(FileImportError):
    """A file is in none of the encodings we accept (UTF-8 with or without BOM, CP932)."""


class MappingError(FileImportError):
    """A column mapping does not fit a sheet; names the file, row and column."""

    def __init__(
        self, path: Path, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        where = ", ".join(
            part
            for part in (f"row {row}" if row else "", f"column {column!r}" if column else "")
            if part
        )
        super().__init__(path, f"{where}: {message}" if where else message)
        self.row = row
        self.column = column
