"""Errors raised by ingestion. Each says what was wrong and what to do about it.

    IngestionError
    ├── ConfigurationError        a setting is missing or malformed
    ├── ChannelError              a channel's API did not give us what we asked for
    │   ├── AuthenticationError   401/403: credentials wrong, expired or lacking a scope
    │   ├── RetriesExhaustedError 429, 5xx, timeouts or broken connections, past every retry
    │   └── UnexpectedResponseError  a 2xx answer we cannot read (not JSON, missing fields)
    └── FileImportError           a dropped file cannot be imported as a whole
        ├── UndecodableFileError  its bytes are in no encoding we accept
        └── MappingError          a wholesale column mapping does not fit the sheet

Row-level problems (a bad quantity, an unknown SKU) are not exceptions: those rows are
quarantined with their reason and the rest of the file or page is accepted.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuthenticationError",
    "ChannelError",
    "ConfigurationError",
    "FileImportError",
    "IngestionError",
    "MappingError",
    "RetriesExhaustedError",
    "UndecodableFileError",
    "UnexpectedResponseError",
]


class IngestionError(Exception):
    """Base class of everything ingestion raises on purpose."""


class ConfigurationError(IngestionError):
    """A setting is missing or malformed."""


class ChannelError(IngestionError):
    """A channel's API did not give us what we asked for."""

    def __init__(self, channel: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{channel}: {message}")
        self.channel = channel
        self.status = status


class AuthenticationError(ChannelError):
    """The channel refused our credentials (check the ICHIGEN_<CHANNEL>_... variables)."""


class RetriesExhaustedError(ChannelError):
    """A request kept failing with retryable errors until the retry budget ran out."""


class UnexpectedResponseError(ChannelError):
    """A successful answer that is not what the channel's API documents."""


class FileImportError(IngestionError):
    def __init__(self, path: Path, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


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
