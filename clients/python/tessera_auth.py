"""Tessera authentication for Python ``requests``: log in once, and every request carries a fresh
access token.

    import requests
    from tessera_auth import TesseraAuth

    auth = TesseraAuth("https://auth.example.com")
    auth.login("alice", "correct horse battery staple")
    requests.get("https://api.example.com/api/users", auth=auth)

Tessera's refresh tokens work once: two threads refreshing with the same token at the same moment look
like a stolen token and sign the user out. ``TesseraAuth`` refreshes single-flight: however many threads
meet an expiring token, one refreshes and the others wait for its result. A ``401 invalid_token`` is
retried once after a refresh.
"""

import re
import threading
import time

import requests
from requests.auth import AuthBase

__all__ = ["TesseraAuth", "TesseraAuthError"]

#: Refresh when this share of the access token's life is left (at most ``MAX_MARGIN_SECONDS``).
REFRESH_SHARE = 0.25
MAX_MARGIN_SECONDS = 30.0
_INVALID_TOKEN = re.compile(r'error="?invalid_token')


class TesseraAuthError(Exception):
    """Tessera refused: ``code`` is its stable error code (``invalid_grant``, ``invalid_credentials``,
    ``rate_limited``, ``jwt_not_enabled``, ...), ``reason`` why a refresh token was refused."""

    def __init__(self, code, description, status=None, reason=None):
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description
        self.status = status
        self.reason = reason


class TesseraAuth(AuthBase):
    """A ``requests`` auth that adds ``Authorization: Bearer`` and keeps the token fresh, thread-safe.

    ``refresh_token``: one kept from an earlier run (see ``on_refresh_token``) instead of ``login()``.
    ``on_refresh_token``: called with every new refresh token, to store it (or ``None`` on logout).
    ``session``: the ``requests.Session`` used to call Tessera. ``clock``: seconds, ``time.monotonic``.
    """

    def __init__(self, base_url, refresh_token=None, on_refresh_token=None, session=None, clock=time.monotonic):
        self.base_url = base_url.rstrip("/")
        self._refresh_token = refresh_token
        self._on_refresh_token = on_refresh_token or (lambda token: None)
        self._session = session or requests.Session()
        self._clock = clock
        self._lock = threading.Lock()
        self._access_token = None
        self._expires_at = 0.0
        self._margin = 0.0

    def login(self, username, password):
        """Logs in with a password; raises ``TesseraAuthError`` (``jwt_not_enabled``: stay on the session)."""
        self._adopt(self._post("/auth/login", {"username": username, "password": password}))

    def logout(self):
        """Revokes this login's tokens on the server and forgets them."""
        with self._lock:
            body = {"refresh_token": self._refresh_token} if self._refresh_token else {}
            headers = {"Authorization": f"Bearer {self._access_token}"} if self._access_token else {}
            self._session.post(f"{self.base_url}/auth/logout", json=body, headers=headers, timeout=10)
            self._access_token = None
            self._refresh_token = None
            self._on_refresh_token(None)

    def access_token(self):
        """A valid access token, refreshed first if it is about to expire."""
        token = self._access_token
        if token is not None and self._clock() < self._expires_at - self._margin:
            return token
        return self._refresh_from(token)

    def __call__(self, request):
        token = self.access_token()
        request.headers["Authorization"] = f"Bearer {token}"
        request.register_hook("response", self._retry_once(token))
        return request

    def _retry_once(self, token):
        def retry(response, **kwargs):
            if response.status_code != 401 or not _INVALID_TOKEN.search(response.headers.get("WWW-Authenticate", "")):
                return response
            fresh = self._refresh_from(token)
            # The same resend requests' own HTTPDigestAuth does: a copy of the request, the old answer in history.
            response.content
            response.close()
            again = response.request.copy()
            again.headers["Authorization"] = f"Bearer {fresh}"
            answer = response.connection.send(again, **kwargs)
            answer.history.append(response)
            answer.request = again
            return answer

        return retry

    def _refresh_from(self, stale):
        """One refresh for every thread that saw ``stale``: those arriving meanwhile take its result."""
        with self._lock:
            if self._access_token is not None and self._access_token != stale and self._clock() < self._expires_at - self._margin:
                return self._access_token
            if self._refresh_token is None:
                raise TesseraAuthError("invalid_grant", "Not logged in: call login() first", reason="missing")
            try:
                pair = self._post("/auth/refresh", {"refresh_token": self._refresh_token})
            except TesseraAuthError as error:
                if error.code == "invalid_grant":
                    self._access_token = None
                    self._refresh_token = None
                    self._on_refresh_token(None)
                raise
            self._store(pair)
            return self._access_token

    def _adopt(self, pair):
        with self._lock:
            self._store(pair)

    def _store(self, pair):
        lifetime = float(pair["expires_in"])
        self._access_token = pair["access_token"]
        self._expires_at = self._clock() + lifetime
        self._margin = min(MAX_MARGIN_SECONDS, lifetime * REFRESH_SHARE)
        self._refresh_token = pair["refresh_token"]
        self._on_refresh_token(self._refresh_token)

    def _post(self, path, body):
        response = self._session.post(f"{self.base_url}{path}", json=body, timeout=10)
        if response.ok:
            return response.json()
        try:
            error = response.json()
        except ValueError:
            error = {}
        raise TesseraAuthError(
            error.get("error", "server_error"),
            error.get("error_description", f"HTTP {response.status_code}"),
            status=response.status_code,
            reason=error.get("reason"),
        )
