"""Login with Amazon (LWA) as SP-API uses it: refresh token in, short-lived access token out.

A client posts ``grant_type=refresh_token`` with its refresh token, client id and client secret
(form-encoded) to ``/auth/o2/token`` and gets an ``Atza|...`` access token valid for
``expires_in`` seconds; every SP-API call then carries it in ``x-amz-access-token``. Real LWA
lives on its own host (api.amazon.com); the sandbox serves it beside the API, and
``ICHIGEN_AMAZON_LWA_URL`` tells a connector where it is. Errors follow OAuth 2.0
(``{"error", "error_description"}``), as LWA sends them.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from typing import Any, Final
from urllib.parse import parse_qs

import orjson

from ichigen.sandbox.simulators.amazon.common import amazon_error
from ichigen.sandbox.simulators.http import HttpError, Request, Response, json_response

__all__ = ["DEFAULT_TOKEN_TTL_S", "LwaTokens"]

DEFAULT_TOKEN_TTL_S: Final = 3600
_GRANTLESS_SCOPES: Final = frozenset(
    {"sellingpartnerapi::notifications", "sellingpartnerapi::client_credential:rotation"}
)


def _oauth_error(status: int, error: str, description: str) -> Response:
    return json_response({"error": error, "error_description": description}, status=status)


def _form(request: Request) -> dict[str, str]:
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            data: Any = orjson.loads(request.body or b"{}")
        except orjson.JSONDecodeError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    parsed = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in parsed.items()}


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


class LwaTokens:
    """Issues access tokens for the one sandbox app and checks them on every API call."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        ttl_s: float = DEFAULT_TOKEN_TTL_S,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.refresh_token = refresh_token
        self.ttl_s = ttl_s  # tests shorten it so that clients must refresh
        self._expiry: dict[str, float] = {}  # access token -> monotonic expiry
        self._lock = threading.Lock()

    def exchange(self, request: Request) -> Response:
        """``POST /auth/o2/token``."""
        form = _form(request)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            return _oauth_error(
                400, "invalid_request", "The request is missing a required parameter : grant_type"
            )
        if grant_type not in ("refresh_token", "client_credentials"):
            return _oauth_error(
                400, "unsupported_grant_type", f"Unsupported grant type : {grant_type}"
            )
        if not form.get("client_id") or not form.get("client_secret"):
            return _oauth_error(
                400, "invalid_request", "The request is missing a required parameter : client_id"
            )
        if not (
            _same(form["client_id"], self.client_id)
            and _same(form["client_secret"], self.client_secret)
        ):
            return _oauth_error(401, "invalid_client", "Client authentication failed")
        if grant_type == "client_credentials":
            if form.get("scope") not in _GRANTLESS_SCOPES:
                return _oauth_error(400, "invalid_scope", "An unknown scope was requested")
            return self._issue(None)
        given = form.get("refresh_token", "")
        if not given:
            return _oauth_error(
                400,
                "invalid_request",
                "The request is missing a required parameter : refresh_token",
            )
        if not _same(given, self.refresh_token):
            return _oauth_error(
                400, "invalid_grant", "The request has an invalid grant parameter : refresh_token"
            )
        return self._issue(given)

    def _issue(self, refresh_token: str | None) -> Response:
        token = "Atza|" + secrets.token_urlsafe(48)
        now = time.monotonic()
        ttl = self.ttl_s
        with self._lock:
            # Forget long-expired tokens so a long sandbox run does not grow without bound.
            self._expiry = {t: at for t, at in self._expiry.items() if at > now - 3600}
            self._expiry[token] = now + ttl
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": max(1, round(ttl)),
        }
        if refresh_token is not None:
            body["refresh_token"] = refresh_token
        return json_response(body, headers={"Cache-Control": "no-cache, no-store"})

    def check(self, token: str | None) -> HttpError | None:
        """None when `token` is live; otherwise SP-API's 403 for a missing, unknown or old token."""
        if not token:
            return amazon_error(403, "Unauthorized", "Access to requested resource is denied.")
        with self._lock:
            expiry = self._expiry.get(token)
        if expiry is None:
            return amazon_error(
                403,
                "Unauthorized",
                "The access token you provided is revoked, malformed or invalid.",
            )
        if time.monotonic() >= expiry:
            return amazon_error(403, "Unauthorized", "The access token you provided has expired.")
        return None
