"""Login with Amazon (LWA): the refresh token is exchanged for short-lived access tokens.

SP-API calls carry an access token (``x-amz-access-token``) that LWA issues for an hour in
exchange for the seller's refresh token and the app's client id and secret (form-encoded
``grant_type=refresh_token`` at ``ICHIGEN_AMAZON_LWA_URL``). `LwaTokens` holds the current
token and gets a new one shortly before it expires, or at once when the API says the token
it holds is no longer good (`invalidate`). The secrets go into the form body only: never into
a URL, a log line or an error message.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

import orjson

from ichigen.ingestion.errors import (
    CREDENTIALS,
    AuthenticationError,
    ChannelError,
    UnexpectedResponseError,
)
from ichigen.ingestion.http import ResilientClient

__all__ = ["LwaTokens"]

CHANNEL: Final = "amazon"
# Refresh this long before expiry (or a tenth of the lifetime, for short-lived tokens), so a
# request never leaves with a token that dies on the way.
_EARLY_S: Final = 60.0


class LwaTokens:
    """The current LWA access token of one app and seller, refreshed as needed."""

    def __init__(
        self,
        http: ResilientClient,
        *,
        lwa_url: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._url = lwa_url
        self._form = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": client_id,
            "client_secret": client_secret,
        }
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = threading.Lock()
        self.exchanges = 0

    def __repr__(self) -> str:
        return f"LwaTokens({self._url!r})"

    def token(self) -> str:
        with self._lock:  # the order items are fetched from several threads: one exchange
            if self._token is None or self._clock() >= self._refresh_at:
                self._exchange()
            assert self._token is not None
            return self._token

    def invalidate(self) -> None:
        """The API refused the token (expired or revoked): the next call gets a fresh one."""
        self._token = None

    def _exchange(self) -> None:
        started = self._clock()
        try:
            body = self._http.request_json("POST", self._url, data=self._form)
        except ChannelError as exc:
            if exc.status in (400, 401):
                # LWA's 400 invalid_grant means the refresh token is wrong or revoked.
                why = " ".join(filter(None, (str(exc.status), _oauth_error(exc.detail))))
                raise AuthenticationError(
                    CHANNEL,
                    f"Login with Amazon refused the token exchange ({why})",
                    status=exc.status,
                    endpoint=exc.endpoint,
                    detail=exc.detail,
                    fix=CREDENTIALS[CHANNEL].fix,
                ) from None
            raise
        token = body.get("access_token") if isinstance(body, dict) else None
        lifetime = body.get("expires_in") if isinstance(body, dict) else None
        if not isinstance(token, str) or not isinstance(lifetime, int | float):
            raise UnexpectedResponseError(
                CHANNEL, f"POST {self._url} answered without access_token and expires_in"
            )
        self._token = token
        self._refresh_at = started + lifetime - min(_EARLY_S, lifetime / 10)
        self.exchanges += 1


def _oauth_error(detail: str | None) -> str:
    """The OAuth error code of LWA's answer (``invalid_client``, ``invalid_grant``), if any."""
    try:
        body = orjson.loads(detail or "")
    except orjson.JSONDecodeError:
        return ""
    code = body.get("error") if isinstance(body, dict) else None
    return code if isinstance(code, str) else ""
