# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The HTTP transport both clients stand on (GitHub's REST API in _api.py, the container registry in _registry.py).

Token and URL checks, the requests session, sending, retries with jittered backoff, Retry-After, token redaction and
the mapping of HTTP errors to the typed errors of _errors.py. No Ansible import here. This is the only file of the
collection that imports ``requests``.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import ipaddress
import random
import re
import threading
import traceback
import typing as t
from urllib.parse import quote, urlsplit

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    BadCredentials,
    Conflict,
    Forbidden,
    GitHubAPIError,
    InsecureTransport,
    InvalidRequest,
    NotFound,
    OptionError,
    ServerError,
    TransportError,
)

try:
    import requests
    import requests.adapters
    import requests.auth
    import urllib3.exceptions
except ImportError:
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR: t.Optional[str] = traceback.format_exc()
    RequestException: t.Type[Exception] = OSError  # what requests' exceptions derive from; nothing is sent without requests (see Transport)
else:
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
    RequestException = requests.exceptions.RequestException  # what a client catches for a request that got no answer

# The collection's version, as in galaxy.yml (a unit test keeps the two equal).
COLLECTION_VERSION = "0.1.0"
USER_AGENT = "ghpkgs.registry/" + COLLECTION_VERSION

RETRY_STATUSES = (500, 502, 503, 504)
_BACKOFF_BASE = 1.0
_BACKOFF_CAP = 30.0
_QUERY_TOKEN = re.compile(r"([?&]token=)[^&#\s'\"]*")
TLS_HINT = "TLS verification failed: fix the CA bundle (REQUESTS_CA_BUNDLE) or, for a trusted test server only, set validate_certs=false"
_STATUS_ERRORS: t.Dict[int, t.Type[GitHubAPIError]] = {
    400: InvalidRequest, 401: BadCredentials, 403: Forbidden, 404: NotFound, 409: Conflict, 422: InvalidRequest,
}


def check_token(token: t.Any) -> str:
    """The token, or OptionError: it must be non-empty and have no whitespace or control characters (a header injection)."""
    if not isinstance(token, str) or not token.strip():
        raise OptionError("token: is empty; pass a personal access token (classic) or set GITHUB_TOKEN")
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in token):
        raise OptionError("token: contains whitespace or control characters; pass the bare token")
    return token


def check_url(url: t.Any, option: str, fix: str) -> t.Any:
    """urlsplit() of an http(s) URL the token may be sent to; OptionError naming the option, InsecureTransport for plain
    http to anything but loopback."""
    text = (url if isinstance(url, str) else "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OptionError("%s: %r is not an http(s) URL; %s" % (option, url, fix))
    if parts.username or parts.password:
        raise OptionError("%s: must not carry credentials; pass the token in the token option" % option)
    if parts.query or parts.fragment:
        raise OptionError("%s: %r must not have a query or fragment; %s" % (option, url, fix))
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise InsecureTransport(
            "%s: refusing to send the token over plain http:// to %s; use https:// (plain http is only allowed to loopback test servers)"
            % (option, parts.hostname)
        )
    return parts


def base_url(parts: t.Any) -> str:
    """scheme://host[:port]/path of a checked URL, without a trailing slash."""
    return "%s://%s%s" % (parts.scheme, parts.netloc, parts.path.rstrip("/"))


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> t.Tuple[str, str, int]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or (443 if scheme == "https" else 80)


def retry_after_seconds(value: t.Optional[str], wall_clock: t.Callable[[], float]) -> t.Optional[float]:
    """Retry-After as seconds (a number or an HTTP date), clamped to 1 s .. 1 h; None when absent or unreadable."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        seconds = when.timestamp() - wall_clock()
    return min(max(seconds, 1.0), 3600.0)


def is_connect_failure(exc: Exception) -> bool:
    """True when the request surely never reached the server (refused, DNS, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 MaxRetryError wraps the cause
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def is_tls_error(exc: Exception) -> bool:
    return isinstance(exc, requests.exceptions.SSLError)


def basic_auth(username: str, password: str) -> t.Any:
    """A requests auth hook for HTTP Basic authentication."""
    return requests.auth.HTTPBasicAuth(username, password)


def may_retry_exception(method: str, exc: Exception) -> bool:
    """Whether a request that raised exc may be sent again: never after a certificate problem, a POST only when it surely
    never reached the server."""
    if is_tls_error(exc):
        return False  # a certificate problem does not fix itself
    if method != "POST":
        return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout, requests.exceptions.ChunkedEncodingError))
    return is_connect_failure(exc)


def unreachable(exc: Exception) -> t.Optional[str]:
    """Why the host of a connect failure cannot be reached ("does not resolve", "refused the connection"), else None."""
    if not is_connect_failure(exc) or isinstance(exc, requests.exceptions.ConnectTimeout):
        return None
    cause: t.Optional[BaseException] = exc
    while cause is not None:
        if isinstance(cause, OSError) and cause.__class__.__name__ == "gaierror":
            return "does not resolve"
        if isinstance(cause, ConnectionRefusedError):
            return "refused the connection"
        args = getattr(cause, "args", ())
        nested = args[0] if args and isinstance(args[0], BaseException) else getattr(cause, "reason", None)
        cause = cause.__cause__ or cause.__context__ or (nested if isinstance(nested, BaseException) else None)
    return None


def status_error(message: str, status: int, retries: int, hint: t.Optional[str] = None, **common: t.Any) -> GitHubAPIError:
    """The typed error for an HTTP error status; a server error says how often it was retried."""
    if status >= 500:
        return ServerError(message, status=status, hint="after %d retries" % retries if retries else None, **common)
    return _STATUS_ERRORS.get(status, GitHubAPIError)(message, status=status, hint=hint, **common)


class Secret(str):
    """A str whose repr() hides it, so that no repr() of a client or of its attributes shows the token."""

    def __repr__(self) -> str:
        return "'***'"


class HeaderAuth:
    """Sets exactly the Authorization header given (or none); as a requests auth hook it also keeps ~/.netrc out."""

    def __init__(self, value: t.Optional[str]) -> None:
        self.value = value

    def __call__(self, request: t.Any) -> t.Any:
        request.headers.pop("Authorization", None)
        if self.value:
            request.headers["Authorization"] = self.value
        return request

    def __repr__(self) -> str:
        return "HeaderAuth(***)"


class Transport:
    """One requests session with at most max_concurrency requests in flight, counted, retried and redacted; thread-safe.

    A client subclasses it, builds its URLs and decides per answer what to retry (with _backoff and retry_after_seconds)
    and which typed error to raise (with status_error and _transport_error).
    """

    def __init__(
        self,
        token: str,
        *,
        validate_certs: bool,
        timeout: float,
        max_retries: int,
        rate_limit_wait: float,
        max_concurrency: int,
        user_agent: str,
        sleep: t.Callable[[float], t.Any],
        wall_clock: t.Callable[[], float],
        session: t.Any,
        headers: t.Optional[t.Dict[str, str]] = None,
        auth: t.Any = None,
    ) -> None:
        if not HAS_REQUESTS:
            raise RuntimeError("the Python library requests is required")
        self._token = Secret(check_token(token))
        if max_concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise OptionError("max_concurrency >= 1, max_retries >= 0 and timeout > 0 are required")
        self.validate_certs = validate_certs
        self.timeout = timeout
        self.max_retries = max_retries
        self.rate_limit_wait = rate_limit_wait
        self._sleep = sleep
        self._wall_clock = wall_clock
        self._random = random.Random()
        self._in_flight = threading.BoundedSemaphore(max_concurrency)
        self._lock = threading.Lock()
        self._request_count = 0

        self._session = session if session is not None else requests.Session()
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=max_concurrency)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.verify = validate_certs
        if auth is not None:
            self._session.auth = auth  # set on the session, so that requests never swaps in ~/.netrc credentials
        self._session.headers.update(dict(headers or {}, **{"User-Agent": user_agent}))

    def close(self) -> None:
        self._session.close()

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        with self._lock:
            return self._request_count

    def _paced(self, method: str) -> t.ContextManager[t.Any]:
        """Held around each request while it is in flight; a client with a request budget waits for it here."""
        return contextlib.nullcontext()

    def _send(self, method: str, url: str, headers: t.Optional[t.Dict[str, str]] = None, auth: t.Any = None) -> t.Any:
        with self._in_flight, self._paced(method):
            with self._lock:
                self._request_count += 1
            prepared = self._session.prepare_request(requests.Request(method, url, headers=headers, auth=auth))
            # requests re-quotes URLs and turns %2E back into "." (then "/../" collapses on the
            # way); send exactly the URL we built, where every input is one opaque segment.
            prepared.url = url
            settings = self._session.merge_environment_settings(url, {}, None, self.validate_certs, None)
            return self._session.send(prepared, timeout=self.timeout, allow_redirects=True, **settings)

    def _backoff(self, retries: int) -> float:
        """Exponential backoff with jitter: half of min(cap, base * 2**retries), plus up to that half again."""
        delay = min(_BACKOFF_CAP, _BACKOFF_BASE * (2.0 ** retries))
        return delay / 2 + self._random.uniform(0, delay / 2)

    def _secrets(self) -> t.List[str]:
        """What _scrub removes from any text that leaves the client."""
        return [self._token]

    def _scrub(self, text: str, extra_secret: t.Optional[str] = None) -> str:
        text = _QUERY_TOKEN.sub(r"\1***", text)
        for secret in self._secrets() + [extra_secret or ""]:
            if secret:
                text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
        return text

    def _transport_error(
        self, exc: Exception, method: str, display: str, retries: int, extra_secret: t.Optional[str] = None, hint: t.Optional[str] = None
    ) -> TransportError:
        """The error for a request that got no answer: the exception's cause, redacted, and what to do about it."""
        if hint is None:
            hint = TLS_HINT if is_tls_error(exc) else "after %d retries" % retries if retries else None
        reason = exc.args[0] if exc.args else exc
        reason = getattr(reason, "reason", None) or reason  # the cause inside urllib3's MaxRetryError
        detail = self._scrub("%s: %s" % (type(exc).__name__, reason), extra_secret)
        return TransportError(detail, method=method, path=display, hint=hint)
