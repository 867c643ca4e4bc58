# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client for GitHub's Packages REST API: paths, pagination, rate limits, pacing and GitHub's errors.

No Ansible import here, so the client is usable (and testable) outside a module. The transport it stands on (session,
token and URL checks, backoff, Retry-After, redaction) is _transport.py's.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import re
import threading
import time
import typing as t
from urllib.parse import quote, urlencode, urljoin, urlsplit

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    GitHubAPIError,
    InsecureTransport,
    MissingScopes,
    OptionError,
    RateLimitExceeded,
    SecondaryRateLimit,
    SSORequired,
    TransportError,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES
from ansible_collections.ghpkgs.registry.plugins.module_utils._transport import (
    RETRY_STATUSES,
    USER_AGENT,
    HeaderAuth,
    RequestException,
    Transport,
    base_url,
    check_url,
    is_connect_failure,
    is_tls_error,
    may_retry_exception,
    origin,
    retry_after_seconds,
    status_error,
    unreachable,
)

GITHUB_API_URL = "https://api.github.com"
API_URL_FIX = "use https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server"
API_VERSION = "2022-11-28"

_OPERATION_SCOPES = {
    "read": ("read:packages",),
    "delete": ("read:packages", "delete:packages"),
    "restore": ("read:packages", "write:packages"),
}
# Registries that only know repository-scoped permissions need the classic "repo" scope too.
_REPO_SCOPED = {False: ("maven",), True: ("maven", "npm", "rubygems", "nuget", "docker")}
# write:packages grants read:packages; delete:packages grants nothing else.
_IMPLIED_SCOPES = {"write:packages": ("read:packages",)}

# A restore POST is retried only where the server most likely never acted on it (gateway errors),
# see _may_retry_status.
_POST_RETRY_STATUSES = (502, 503, 504)
_SECONDARY_DEFAULT_WAIT = 60.0
_POINTS = {"GET": 1}
_MUTATION_POINTS = 5
# GitHub's 403 for a GitHub App installation token, such as a workflow's GITHUB_TOKEN, that lacks a permission or access.
_INTEGRATION_REFUSED = "resource not accessible by integration"


def required_scopes(operation: str, package_type: t.Optional[str], ghes: bool) -> t.List[str]:
    """Classic PAT scopes an operation ("read", "delete", "restore") needs for a registry."""
    if operation not in _OPERATION_SCOPES:
        raise ValueError("operation must be one of %s, got %r" % (", ".join(_OPERATION_SCOPES), operation))
    scopes = list(_OPERATION_SCOPES[operation])
    if package_type in _REPO_SCOPED[bool(ghes)]:
        scopes.append("repo")
    return scopes


def _segment(value: t.Any, what: str) -> str:
    """Percent-encode one path segment so that no input can change the endpoint."""
    if not isinstance(value, str) or not value:
        raise ValueError("%s must be a non-empty string, got %r" % (what, value))
    if value in (".", ".."):
        return value.replace(".", "%2E")
    return quote(value, safe="")


def _check_version_id(version_id: t.Any) -> int:
    if isinstance(version_id, bool) or not isinstance(version_id, int) or version_id <= 0:
        raise ValueError("version_id must be a positive integer, got %r" % (version_id,))
    return version_id


def _check_package_type(package_type: t.Any) -> str:
    if package_type not in PACKAGE_TYPES:
        raise ValueError("package_type must be one of %s, got %r" % (", ".join(PACKAGE_TYPES), package_type))
    return t.cast(str, package_type)


def _sso_required(headers: t.Any) -> bool:
    # "partial-results; organizations=..." only says some orgs were left out of a listing: not an error.
    return bool(headers.get("X-GitHub-SSO", "").split(";")[0].strip().lower() == "required")


def _utc_iso(epoch: float) -> str:
    return datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scope_list(header: t.Optional[str]) -> t.List[str]:
    return [scope.strip() for scope in (header or "").split(",") if scope.strip()]


@dataclasses.dataclass(frozen=True)
class Owner:
    """Whose packages: an organization, a user, or the token's own account."""

    kind: str
    login: t.Optional[str] = None

    def __post_init__(self) -> None:
        if self.kind not in ("org", "user", "authenticated"):
            raise ValueError("Owner kind must be org, user or authenticated, got %r" % (self.kind,))
        if self.kind == "authenticated":
            if self.login is not None:
                raise ValueError("an authenticated Owner has no login")
        else:
            _segment(self.login, "owner login")

    @property
    def prefix(self) -> str:
        if self.kind == "authenticated":
            return "/user"
        return "/%s/%s" % ("orgs" if self.kind == "org" else "users", _segment(self.login, "owner login"))


class _Slot:
    __slots__ = ("cost", "expires", "done")

    def __init__(self, cost: int, expires: float) -> None:
        self.cost = cost
        self.expires = expires
        self.done = False


class _Pacer:
    """Keeps every sliding window of ``window`` seconds within ``points`` (GitHub's secondary limit).

    A request's points count from the moment it is reserved until ``window`` after its response
    arrived. The server counts a request somewhere between those two instants, so no window the
    server can see ever exceeds the budget, whatever the latency, and the budget is used in full
    as soon as it frees up (bursts included), so throughput approaches ``points`` per window.
    """

    def __init__(self, points: int, window: float, clock: t.Callable[[], float], sleep: t.Callable[[float], t.Any]) -> None:
        self._points = points
        self._window = window
        self._margin = window / 1000.0  # keeps consecutive windows strictly apart despite float rounding
        self._clock = clock
        self._sleep = sleep
        self._slots: t.List[_Slot] = []
        self._lock = threading.Lock()

    def acquire(self, cost: int) -> t.Optional[_Slot]:
        if self._points <= 0:
            return None
        cost = min(cost, self._points)
        while True:
            with self._lock:
                now = self._clock()
                self._slots = [slot for slot in self._slots if not (slot.done and slot.expires <= now)]
                if sum(slot.cost for slot in self._slots) + cost <= self._points:
                    slot = _Slot(cost, now + self._window + self._margin)
                    self._slots.append(slot)
                    return slot
                # An in-flight slot cannot expire before its response: poll briefly if it is late.
                delay = max(min(slot.expires for slot in self._slots) - now, self._margin)
            self._sleep(delay)

    def release(self, slot: t.Optional[_Slot]) -> None:
        if slot is None:
            return
        with self._lock:
            slot.expires = self._clock() + self._window + self._margin
            slot.done = True


class GitHubPackagesClient(Transport):
    """Thread-safe client for the GitHub Packages REST API (github.com and GHES)."""

    def __init__(
        self,
        token: str,
        api_url: str = GITHUB_API_URL,
        *,
        validate_certs: bool = True,
        timeout: float = 30,
        max_retries: int = 5,
        rate_limit_wait: float = 900,
        points_per_minute: int = 900,
        window_seconds: float = 60,
        max_concurrency: int = 8,
        user_agent: str = USER_AGENT,
        ghes: t.Optional[bool] = None,
        sleep: t.Callable[[float], t.Any] = time.sleep,
        clock: t.Callable[[], float] = time.monotonic,
        wall_clock: t.Callable[[], float] = time.time,
        session: t.Any = None,
    ) -> None:
        parts = check_url(api_url, "api_url", API_URL_FIX)
        super().__init__(
            token, validate_certs=validate_certs, timeout=timeout, max_retries=max_retries, rate_limit_wait=rate_limit_wait,
            max_concurrency=max_concurrency, user_agent=user_agent, sleep=sleep, wall_clock=wall_clock, session=session,
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}, auth=HeaderAuth("Bearer " + token),
        )
        if window_seconds <= 0 or points_per_minute < 0:
            raise OptionError("window_seconds > 0 and points_per_minute >= 0 are required")
        self.api_url = base_url(parts)
        self._base_path = parts.path.rstrip("/")
        # GitHub Enterprise Server serves the API under /api/v3; api.github.com and GHE.com (api.SUBDOMAIN.ghe.com) do not.
        self.ghes = self._base_path.lower().endswith("/api/v3") if ghes is None else bool(ghes)
        self._tokens_url = "https://github.com/settings/tokens" if not self.ghes else "%s://%s/settings/tokens" % (parts.scheme, parts.netloc)

        self._clock = clock
        self._pacer = _Pacer(points_per_minute, window_seconds, clock, sleep)
        self._hold_until = 0.0
        self._rl_remaining: t.Optional[int] = None
        self._rl_reset: t.Optional[float] = None
        self._rl_in_flight = 0  # requests that spend the primary budget, sent and not answered yet
        self._rl_answered = threading.Condition(self._lock)
        self._owners: t.Dict[str, Owner] = {}
        # Set once anything answered: from then on a refused connection is an outage worth retrying, not a wrong api_url.
        self._reached = False
        self._limit_waits: t.Dict[t.Tuple[str, str], float] = {}

    def __repr__(self) -> str:
        return "GitHubPackagesClient(api_url=%r, ghes=%r)" % (self.api_url, self.ghes)

    @property
    def limit_waits(self) -> t.List[t.Dict[str, t.Any]]:
        """The waits for GitHub's rate limits so far, one per limit and resume time (threads waiting together count once)."""
        with self._lock:
            return [{"limit": limit, "until": until, "seconds": round(seconds)} for (limit, until), seconds in sorted(
                self._limit_waits.items(), key=lambda item: item[0][1])]

    def _record_wait(self, limit: str, seconds: float) -> None:
        until = _utc_iso(self._wall_clock() + seconds)
        with self._lock:
            self._limit_waits[(limit, until)] = max(seconds, self._limit_waits.get((limit, until), 0.0))

    # ---- owners and users -------------------------------------------------------------------

    def resolve_owner(self, owner: t.Optional[str], owner_type: str = "auto") -> Owner:
        if owner_type not in ("auto", "org", "user"):
            raise ValueError("owner_type must be auto, org or user, got %r" % (owner_type,))
        if owner is None:
            return Owner("authenticated", None)
        if owner_type != "auto":
            return Owner(owner_type, owner)
        key = owner.lower()
        with self._lock:
            cached = self._owners.get(key)
        if cached is not None:
            return cached
        kind = "org" if self.get_user(owner).get("type") == "Organization" else "user"
        resolved = Owner(kind, owner)
        with self._lock:
            self._owners[key] = resolved
        return resolved

    def get_user(self, login: str) -> t.Dict[str, t.Any]:
        return t.cast(t.Dict[str, t.Any], self._json("GET", "/users/" + _segment(login, "login")))

    def get_authenticated_user(self) -> t.Dict[str, t.Any]:
        return t.cast(t.Dict[str, t.Any], self._json("GET", "/user"))

    def get_rate_limit(self) -> t.Dict[str, t.Any]:
        return t.cast(t.Dict[str, t.Any], self._json("GET", "/rate_limit", primary_gate=False))

    # ---- packages -----------------------------------------------------------------------------

    def list_packages(self, owner: Owner, package_type: str, visibility: t.Optional[str] = None) -> t.Iterator[t.Dict[str, t.Any]]:
        _check_package_type(package_type)
        if visibility not in (None, "public", "private", "internal"):
            raise ValueError("visibility must be public, private or internal, got %r" % (visibility,))
        query = {"package_type": package_type}
        if visibility:
            query["visibility"] = visibility
        return self._paginate(self._owner(owner).prefix + "/packages", query, "read", package_type)

    def get_package(self, owner: Owner, package_type: str, name: str) -> t.Dict[str, t.Any]:
        return t.cast(t.Dict[str, t.Any], self._json("GET", self._package_path(owner, package_type, name), op="read", package_type=package_type))

    def delete_package(self, owner: Owner, package_type: str, name: str) -> None:
        self._json("DELETE", self._package_path(owner, package_type, name), op="delete", package_type=package_type)

    def restore_package(self, owner: Owner, package_type: str, name: str, restore_token: t.Optional[str] = None) -> None:
        # restore_token is GitHub's "token" query parameter choosing among deleted packages of the
        # same name; it is not the auth token, but it is redacted from errors all the same.
        path = self._package_path(owner, package_type, name) + "/restore"
        query = None
        if restore_token is not None:
            if not isinstance(restore_token, str) or not restore_token:
                raise ValueError("restore_token must be a non-empty string")
            query = {"token": restore_token}
        self._json("POST", path, query, op="restore", package_type=package_type, extra_secret=restore_token)

    def list_versions(self, owner: Owner, package_type: str, name: str, state: str = "active") -> t.Iterator[t.Dict[str, t.Any]]:
        if state not in ("active", "deleted"):
            raise ValueError("state must be active or deleted, got %r" % (state,))
        path = self._package_path(owner, package_type, name) + "/versions"
        return self._paginate(path, {"state": state}, "read", package_type)

    def get_version(self, owner: Owner, package_type: str, name: str, version_id: int) -> t.Dict[str, t.Any]:
        return t.cast(t.Dict[str, t.Any], self._json("GET", self._version_path(owner, package_type, name, version_id), op="read", package_type=package_type))

    def delete_version(self, owner: Owner, package_type: str, name: str, version_id: int) -> None:
        self._json("DELETE", self._version_path(owner, package_type, name, version_id), op="delete", package_type=package_type)

    def restore_version(self, owner: Owner, package_type: str, name: str, version_id: int) -> None:
        path = self._version_path(owner, package_type, name, version_id) + "/restore"
        self._json("POST", path, op="restore", package_type=package_type)

    def list_docker_conflicts(self, owner: Owner) -> t.List[t.Dict[str, t.Any]]:
        result = self._json("GET", self._owner(owner).prefix + "/docker/conflicts", op="read")
        if not isinstance(result, list):
            raise GitHubAPIError("expected a JSON array of packages", method="GET", path=self._owner(owner).prefix + "/docker/conflicts")
        return result

    # ---- paths --------------------------------------------------------------------------------

    @staticmethod
    def _owner(owner: t.Any) -> Owner:
        if not isinstance(owner, Owner):
            raise ValueError("owner must be an Owner (see resolve_owner), got %r" % (owner,))
        return owner

    def _package_path(self, owner: Owner, package_type: str, name: str) -> str:
        _check_package_type(package_type)
        return "%s/packages/%s/%s" % (self._owner(owner).prefix, _segment(package_type, "package_type"), _segment(name, "package name"))

    def _version_path(self, owner: Owner, package_type: str, name: str, version_id: int) -> str:
        return "%s/versions/%d" % (self._package_path(owner, package_type, name), _check_version_id(version_id))

    def _url(self, path: str, query: t.Optional[t.Dict[str, str]] = None) -> str:
        url = self.api_url + path
        if query:
            url += "?" + urlencode(query, quote_via=quote, safe="")
        return url

    def _display_path(self, url: str, extra_secret: t.Optional[str] = None) -> str:
        parts = urlsplit(url)
        path = parts.path
        if self._base_path and path.startswith(self._base_path + "/"):
            path = path[len(self._base_path):]
        if parts.query:
            path += "?" + parts.query
        return self._scrub(path, extra_secret)

    # ---- requests -----------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        query: t.Optional[t.Dict[str, str]] = None,
        *,
        op: t.Optional[str] = None,
        package_type: t.Optional[str] = None,
        extra_secret: t.Optional[str] = None,
        primary_gate: bool = True,
    ) -> t.Any:
        url = self._url(path, query)
        response = self._call(method, url, op, package_type, extra_secret, primary_gate)
        return self._decode(response, method, self._display_path(url, extra_secret))

    def _decode(self, response: t.Any, method: str, display: str) -> t.Any:
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self._not_the_api(response, method, display) from None

    def _not_the_api(self, response: t.Any, method: str, display: str) -> GitHubAPIError:
        """The error for an answer that is not JSON: api_url points at something other than GitHub's REST API."""
        kind = (response.headers.get("Content-Type") or "no Content-Type").split(";")[0].strip()
        if self.ghes or origin(self.api_url)[1] == "api.github.com":
            fix = "check api_url (%s)" % self.api_url
        else:
            fix = "for GitHub Enterprise Server, api_url is %s/api/v3" % self.api_url
        return GitHubAPIError("the answer is not valid JSON (%s): api_url is not GitHub's REST API" % kind, status=response.status_code,
                              method=method, path=display, hint=fix)

    def _paginate(self, path: str, query: t.Dict[str, str], op: str, package_type: t.Optional[str]) -> t.Iterator[t.Dict[str, t.Any]]:
        url: t.Optional[str] = self._url(path, dict(query, per_page="100"))
        base = origin(self.api_url)
        while url:
            response = self._call("GET", url, op, package_type, None, True)
            display = self._display_path(url)
            items = self._decode(response, "GET", display)
            if not isinstance(items, list):
                raise GitHubAPIError("expected a JSON array", status=response.status_code, method="GET", path=display)
            next_url = response.links.get("next", {}).get("url")
            yield from items
            if not next_url:
                return
            url = urljoin(url, next_url)
            if origin(url) != base:
                raise InsecureTransport(
                    "refusing to follow a pagination link to %s://%s; the token is only sent to %s" % (origin(url)[0], origin(url)[1], self.api_url),
                    method="GET",
                    path=display,
                )

    def _call(self, method: str, url: str, op: t.Optional[str], package_type: t.Optional[str], extra_secret: t.Optional[str], primary_gate: bool) -> t.Any:
        display = self._display_path(url, extra_secret)
        retries = 0
        secondary_hits = 0
        secondary_waited = 0.0
        while True:
            self._wait_for_hold()
            if primary_gate:
                self._wait_for_primary(method, display)
            headers = None
            try:
                response = self._send(method, url)
                headers = response.headers
            except RequestException as exc:
                # Before anything answered, a host that does not resolve or refuses is a wrong api_url: retrying cannot fix it.
                if retries < self.max_retries and may_retry_exception(method, exc) and (self._reached or not unreachable(exc)):
                    self._sleep(self._backoff(retries))
                    retries += 1
                    continue
                raise self._transport_error(exc, method, display, retries, extra_secret) from None
            finally:
                self._note_rate_limit(headers, primary_gate)
            self._reached = True
            status = response.status_code
            if status < 400:
                return response
            body = self._error_body(response)
            headers = response.headers

            if _sso_required(headers):
                raise self._error(response, body, method, display, op, package_type, retries)
            if status in (403, 429) and headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
                if self._primary_delay() > self.rate_limit_wait:
                    raise self._primary_error(method, display, status, body, "waiting for it is longer than rate_limit_wait (%.0f s)" % self.rate_limit_wait)
                if retries >= self.max_retries:
                    raise self._primary_error(method, display, status, body, "the primary rate limit is still exhausted after %d retries" % retries)
                retries += 1
                continue  # _wait_for_primary waits for the reset
            if status == 429 or (status == 403 and (
                "secondary rate limit" in body["message"].lower() or "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
            )):
                wait = retry_after_seconds(headers.get("retry-after"), self._wall_clock)
                wait = (_SECONDARY_DEFAULT_WAIT if wait is None else wait) * (2 ** secondary_hits)
                if retries >= self.max_retries or secondary_waited + wait > self.rate_limit_wait:
                    raise SecondaryRateLimit(
                        body["message"], status=status, documentation_url=body["documentation_url"], method=method, path=display,
                        hint="GitHub's secondary rate limit persisted after %d retries and %.0f s of waiting; retry later, "
                             "with fewer points_per_minute or less concurrency" % (retries, secondary_waited),
                    )
                with self._lock:
                    self._hold_until = max(self._hold_until, self._clock() + wait)
                secondary_hits += 1
                secondary_waited += wait
                retries += 1
                continue
            if retries < self.max_retries and self._may_retry_status(method, status):
                self._sleep(self._backoff(retries))
                retries += 1
                continue
            if status < 500 and response.content and not body["json"]:
                raise self._not_the_api(response, method, display)  # GitHub's API answers errors in JSON; a web page is no API
            raise self._error(response, body, method, display, op, package_type, retries)

    @contextlib.contextmanager
    def _paced(self, method: str) -> t.Iterator[None]:
        slot = self._pacer.acquire(_POINTS.get(method, _MUTATION_POINTS))
        try:
            yield
        finally:
            self._pacer.release(slot)

    @staticmethod
    def _may_retry_status(method: str, status: int) -> bool:
        # A restore that reached the server may have been applied: repeating it cannot delete anything,
        # but the repeat would answer 404/409 and report a false failure. Gateway errors (502/503/504)
        # almost always mean the API never processed the request, so only those are retried for POST.
        if method == "POST":
            return status in _POST_RETRY_STATUSES
        return status in RETRY_STATUSES

    def _wait_for_hold(self) -> None:
        while True:
            with self._lock:
                delay = self._hold_until - self._clock()
            if delay <= 0:
                return
            self._record_wait("secondary", delay)
            self._sleep(delay)

    def _note_rate_limit(self, headers: t.Any, reserved: bool) -> None:
        """Take the primary budget from an answer's headers (None: no answer) and give back the request's reservation."""
        resource = headers.get("x-ratelimit-resource") if headers is not None else None
        remaining = headers.get("x-ratelimit-remaining") if headers is not None else None
        reset = headers.get("x-ratelimit-reset") if headers is not None else None
        try:
            fresh = None if (resource and resource != "core") or remaining is None or reset is None else (int(remaining), float(reset))
        except ValueError:
            fresh = None
        with self._rl_answered:
            if reserved:
                self._rl_in_flight -= 1
            if fresh is not None:
                if self._rl_reset is None or self._rl_remaining is None or fresh[1] > self._rl_reset + 1:
                    self._rl_remaining, self._rl_reset = fresh  # a new window (a second of rounding is the same one)
                else:
                    # Answers overtake each other: within a window the lowest count is the latest.
                    self._rl_remaining, self._rl_reset = min(self._rl_remaining, fresh[0]), max(self._rl_reset, fresh[1])
            self._rl_answered.notify_all()

    def _primary_delay(self) -> float:
        """Seconds until the primary budget is back (0 when it is not exhausted)."""
        with self._lock:
            remaining, reset = self._rl_remaining, self._rl_reset
        if remaining != 0 or reset is None:
            return 0.0
        return reset + 1 - self._wall_clock()

    def _wait_for_primary(self, method: str, display: str) -> None:
        """Reserve one request of the primary budget, waiting for the reset when it is spent.

        The last answer's x-ratelimit-remaining does not count the requests still on their way, so those are
        subtracted: with many in flight at the end of a window, none of them runs into the limit. When they may have
        spent the rest, their answers tell: wait for them, then for the reset only if the budget really is 0.
        """
        while True:
            with self._rl_answered:
                while self._rl_remaining is not None and self._rl_remaining - self._rl_in_flight <= 0 < self._rl_in_flight:
                    self._rl_answered.wait()
                if self._rl_remaining is None or self._rl_remaining > 0:
                    self._rl_in_flight += 1
                    return
                reset = self._rl_reset
            delay = self._primary_delay()
            if delay > self.rate_limit_wait:
                raise self._primary_error(method, display, None, None, "waiting for it is longer than rate_limit_wait (%.0f s)" % self.rate_limit_wait)
            if delay > 0:
                self._record_wait("primary", delay)
                self._sleep(delay)
            with self._lock:
                if self._rl_reset == reset:
                    self._rl_remaining = None

    def _primary_error(self, method: str, display: str, status: t.Optional[int], body: t.Optional[t.Dict[str, t.Any]], why: str) -> RateLimitExceeded:
        with self._lock:
            reset = self._rl_reset
        when = "the budget resets at %s" % _utc_iso(reset) if reset is not None else "the reset time is unknown"
        return RateLimitExceeded(
            (body or {}).get("message") or "primary rate limit exhausted",
            reset_at=reset, status=status, documentation_url=(body or {}).get("documentation_url"), method=method, path=display,
            hint="%s; %s" % (when, why),
        )

    def _error_body(self, response: t.Any) -> t.Dict[str, t.Any]:
        try:
            data = response.json()
        except ValueError:
            data = None
        is_json = isinstance(data, dict)
        if not is_json:
            data = {}
        message = data.get("message") if isinstance(data.get("message"), str) else None
        errors = data.get("errors")
        if message and isinstance(errors, list) and errors:
            details = []
            for item in errors:
                if isinstance(item, dict):
                    details.append(str(item.get("message") or " ".join(str(item[k]) for k in ("resource", "field", "code") if item.get(k))))
                else:
                    details.append(str(item))
            message = "%s (%s)" % (message, "; ".join(details))
        return {
            "json": is_json,
            "message": self._scrub(message or response.reason or "HTTP error"),
            "documentation_url": data.get("documentation_url") if isinstance(data.get("documentation_url"), str) else None,
        }

    def _error(
        self, response: t.Any, body: t.Dict[str, t.Any], method: str, display: str, op: t.Optional[str], package_type: t.Optional[str], retries: int
    ) -> GitHubAPIError:
        status = response.status_code
        headers = response.headers
        common = {"documentation_url": body["documentation_url"], "method": method, "path": display, "retried": retries > 0}
        message = body["message"]

        if _sso_required(headers):
            match = re.search(r"url=(\S+)", headers.get("X-GitHub-SSO", ""))
            sso_url = match.group(1) if match else None
            where = " at %s (the link is valid for one hour)" % sso_url if sso_url else ""
            return SSORequired(message, status=status, sso_url=sso_url, hint="authorize the token for the organization's SAML SSO%s" % where, **common)
        if status in (403, 404) and op is not None and "X-OAuth-Scopes" in headers:
            needed = required_scopes(op, package_type, self.ghes)
            have = set(_scope_list(headers.get("X-OAuth-Scopes")))
            for scope in list(have):
                have.update(_IMPLIED_SCOPES.get(scope, ()))
            missing = [scope for scope in needed if scope not in have]
            if missing:
                accepted = _scope_list(headers.get("X-Accepted-OAuth-Scopes"))
                scopes_hint = "token lacks scopes: %s (this operation needs %s%s); add them at %s" % (
                    ", ".join(missing), ", ".join(needed), "; the endpoint accepts %s" % ", ".join(accepted) if accepted else "", self._tokens_url,
                )
                return MissingScopes(message, status=status, missing_scopes=missing, hint=scopes_hint, **common)
        hint: t.Optional[str] = None
        if status == 401:
            hint = "the token is invalid, expired or revoked"
        elif status == 404:
            hint = "it does not exist, or it is private and the token cannot see it, or the token lacks a scope (see missing_scopes)"
            if "X-OAuth-Scopes" not in headers:  # no classic PAT: scopes are not the cause
                hint = ("it does not exist, or it is private and the token cannot see it (a workflow's GITHUB_TOKEN sees only "
                        "packages whose Manage Actions access names its repository)")
            if method == "DELETE" and retries:
                hint = "already gone: an earlier attempt of this DELETE may have succeeded"
        elif status == 403 and _INTEGRATION_REFUSED in message.lower():
            hint = _integration_hint(method, display, headers.get("X-Accepted-GitHub-Permissions"))
        elif status == 403:
            hint = "the token's user may not be an admin of this package or organization"
        return status_error(message, status, retries, hint, **common)

    def _transport_error(self, exc: Exception, method: str, display: str, retries: int, extra_secret: t.Optional[str] = None,
                         hint: t.Optional[str] = None) -> TransportError:
        why = unreachable(exc)
        if why:
            fix = "check the host name in api_url" if why == "does not resolve" else "check api_url's host and port, and that the server is up"
            return TransportError("%s %s" % (urlsplit(self.api_url).hostname, why), method=method, path=display,
                                  hint="%s (%s)%s" % (fix, self.api_url, "; after %d retries" % retries if retries else ""))
        if method == "POST" and not is_connect_failure(exc) and not is_tls_error(exc):
            hint = "the request may have reached GitHub and been applied; check the current state before retrying"
        return super()._transport_error(exc, method, display, retries, extra_secret, hint)


def _integration_hint(method: str, display: str, accepted: t.Optional[str]) -> str:
    """What to grant when GitHub refuses an installation token (a workflow's GITHUB_TOKEN), by the kind of request."""
    path = display.split("?", 1)[0]
    wants = " (GitHub asks for %s)" % accepted if accepted else ""
    token = "the token is a GitHub App installation token, such as a workflow's GITHUB_TOKEN"
    if path.endswith("/packages") or path.endswith("/docker/conflicts"):
        return ("%s, which cannot list an owner's packages%s: name the packages instead (exact names in name, packages or "
                "org_cleanup_include), or use a personal access token (classic)" % (token, wants))
    if path == "/user" or path.startswith("/user/"):
        return "%s, which is no user account: give owner and owner_type" % token
    if method == "GET":
        grant = "add the workflow's repository, and give the workflow permissions: packages: read"
    else:
        grant = "give the workflow's repository the Admin role, and give the workflow permissions: packages: write"
    return "%s%s: in the package's settings, Manage Actions access, %s" % (token, wants, grant)


def unknown_owner_message(owner: t.Optional[str], owner_type: str, api_url: str, error: GitHubAPIError) -> str:
    """The failure for an owner that GitHub answered 404 for: names the owner, the owner type tried and the likely causes."""
    kind = {"org": "organization", "user": "user"}.get(owner_type, "user or organization")
    return ("owner: no %s %r on %s (owner_type %s; %s %s answered %s); check the spelling and owner_type, and that the token's "
            "user can see it (a private, internal or SSO-protected owner answers 404 to a token that cannot)"
            % (kind, owner, api_url, owner_type, error.method, error.path, error.status))
