# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client for a container registry (ghcr.io, GHES containers.HOST): reads manifests with a GitHub token.

No Ansible import here. The transport (session, retries, redaction, typed errors) is _transport.py's.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
import time
import typing as t
from urllib.parse import quote, urlencode, urlsplit

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    BadCredentials,
    GitHubAPIError,
    InsecureTransport,
    SecondaryRateLimit,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._transport import (
    RETRY_STATUSES,
    USER_AGENT,
    HeaderAuth,
    RequestException,
    Transport,
    base_url,
    basic_auth,
    check_url,
    is_loopback,
    may_retry_exception,
    retry_after_seconds,
    status_error,
)

REGISTRY_ACCEPT = ", ".join((
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
))
_MANIFEST_DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
# One component of a repository name, as the OCI distribution spec allows it.
_REPOSITORY_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_CHALLENGE_PARAM = re.compile(r'(\w+)\s*=\s*(?:"([^"]*)"|([^\s,]+))')


def repository_name(owner_login: str, package_name: str) -> str:
    """The registry's repository of a container package: OWNER/NAME, lowercased; ValueError when it is not a valid name."""
    repository = "%s/%s" % (owner_login, package_name)
    repository = repository.lower()
    if not all(_REPOSITORY_COMPONENT.match(part) for part in repository.split("/")):
        raise ValueError("%r is not a container repository name (lowercase letters, digits, and . _ __ - between them, / between parts)" % repository)
    return repository


def parse_bearer_challenge(header: t.Optional[str]) -> t.Optional[t.Dict[str, str]]:
    """The parameters of a ``WWW-Authenticate: Bearer realm="...",service="...",scope="..."`` header; None if it is not one."""
    if not header or not header.strip().lower().startswith("bearer "):
        return None
    params = {m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3) for m in _CHALLENGE_PARAM.finditer(header.strip()[7:])}
    return params if params.get("realm") else None


@dataclasses.dataclass(frozen=True)
class RegistryManifest:
    """A manifest as the registry served it: the bytes (their sha256 is the digest asked for) and the Content-Type."""

    digest: str
    content_type: t.Optional[str]
    body: bytes


class RegistryClient(Transport):
    """Reads manifests from a container registry (ghcr.io, GHES containers.HOST) with a GitHub token, thread-safe.

    Auth is the registry token flow: a request answered 401 with a ``Bearer`` challenge makes the client ask the
    challenge's realm for a pull token with Basic auth (any user name, the GitHub token as password), which is then
    cached per repository. The GitHub token is only sent to a realm on the registry's own host (or, for tests, to a
    loopback realm of a loopback registry), never over plain http to anything but loopback.
    429 answers are retried after Retry-After, 5xx and connection errors with backoff, within max_retries and
    rate_limit_wait. At most max_concurrency requests are in flight.
    """

    def __init__(
        self,
        token: str,
        registry_url: str = "https://ghcr.io",
        *,
        validate_certs: bool = True,
        timeout: float = 30,
        max_retries: int = 5,
        rate_limit_wait: float = 900,
        max_concurrency: int = 8,
        user_agent: str = USER_AGENT,
        username: str = "ghpkgs",
        sleep: t.Callable[[float], t.Any] = time.sleep,
        wall_clock: t.Callable[[], float] = time.time,
        session: t.Any = None,
    ) -> None:
        super().__init__(
            token, validate_certs=validate_certs, timeout=timeout, max_retries=max_retries, rate_limit_wait=rate_limit_wait,
            max_concurrency=max_concurrency, user_agent=user_agent, sleep=sleep, wall_clock=wall_clock, session=session,
        )
        parts = check_url(registry_url, "registry_url", "use https://ghcr.io, or https://containers.HOST for GitHub Enterprise Server")
        self.registry_url = base_url(parts)
        self._host = parts.hostname.lower()
        self._username = username
        self._auth_lock = threading.Lock()
        self._bearers: t.Dict[str, str] = {}

    def __repr__(self) -> str:
        return "RegistryClient(registry_url=%r)" % (self.registry_url,)

    def get_manifest(self, repository: str, digest: str) -> RegistryManifest:
        """GET /v2/<repository>/manifests/<digest>; the bytes are checked against the digest. Each call is a download on GitHub."""
        if not all(_REPOSITORY_COMPONENT.match(part) for part in (repository or "").split("/")):
            raise ValueError("repository must be a lowercase container repository name like acme/app, got %r" % (repository,))
        if not isinstance(digest, str) or not _MANIFEST_DIGEST.match(digest):
            raise ValueError("digest must be sha256:<64 lowercase hex digits>, got %r" % (digest,))
        path = "/v2/%s/manifests/%s" % (repository, digest)
        url = self.registry_url + path
        refreshed = False
        while True:
            with self._lock:
                bearer = self._bearers.get(repository)
            headers = {"Accept": REGISTRY_ACCEPT}
            response = self._request(url, path, headers, HeaderAuth("Bearer " + bearer if bearer else None))
            if response.status_code == 401 and not refreshed:
                challenge = parse_bearer_challenge(response.headers.get("WWW-Authenticate"))
                if challenge is None:
                    raise BadCredentials(self._message(response), status=401, method="GET", path=path,
                                         hint="the registry asked for credentials without a Bearer challenge")
                self._authenticate(repository, challenge, bearer)
                refreshed = True
                continue
            if response.status_code >= 400:
                raise self._error(response, path)
            body = response.content
            if "sha256:" + hashlib.sha256(body).hexdigest() != digest:
                raise GitHubAPIError("the registry served bytes whose sha256 is not the digest asked for", status=response.status_code,
                                     method="GET", path=path)
            return RegistryManifest(digest, response.headers.get("Content-Type"), body)

    def _authenticate(self, repository: str, challenge: t.Dict[str, str], stale: t.Optional[str]) -> None:
        """Get a pull token for repository from the challenge's realm, once even when many threads were refused at the same time."""
        with self._auth_lock:
            with self._lock:
                if self._bearers.get(repository) != stale:
                    return
            realm = challenge["realm"]
            parts = urlsplit(realm)
            host = (parts.hostname or "").lower()
            same_host = host == self._host or (is_loopback(host) and is_loopback(self._host))
            if parts.scheme not in ("http", "https") or not same_host or (parts.scheme == "http" and not is_loopback(host)):
                raise InsecureTransport(
                    "refusing to send the token to the registry's token service %s://%s: it is not the registry's host %s" % (parts.scheme, host, self._host),
                    method="GET", path="/v2/%s/manifests" % repository,
                )
            query = {"scope": challenge.get("scope") or "repository:%s:pull" % repository}
            if challenge.get("service"):
                query["service"] = challenge["service"]
            url = realm + ("&" if parts.query else "?") + urlencode(query, quote_via=quote, safe=":/")
            display = parts.path + "?" + urlencode(query, quote_via=quote, safe=":/")
            response = self._request(url, display, {"Accept": "application/json"}, basic_auth(self._username, self._token))
            if response.status_code >= 400:
                error = self._error(response, display)
                if response.status_code in (401, 403):
                    error = BadCredentials(error.message, status=response.status_code, method="GET", path=display,
                                           hint="the registry refused the token: it needs read:packages and read access to %s" % repository)
                raise error
            try:
                data = response.json()
            except ValueError:
                data = None
            token = (data.get("token") or data.get("access_token")) if isinstance(data, dict) else None
            if not isinstance(token, str) or not token:
                raise GitHubAPIError("the registry's token service answered without a token", status=response.status_code, method="GET", path=display)
            with self._lock:
                self._bearers[repository] = token

    def _request(self, url: str, display: str, headers: t.Dict[str, str], auth: t.Any) -> t.Any:
        retries = 0
        waited = 0.0
        while True:
            try:
                response = self._send("GET", url, headers, auth)
            except RequestException as exc:
                if retries < self.max_retries and may_retry_exception("GET", exc):
                    self._sleep(self._backoff(retries))
                    retries += 1
                    continue
                raise self._transport_error(exc, "GET", display, retries) from None
            status = response.status_code
            if status == 429:
                wait = retry_after_seconds(response.headers.get("Retry-After"), self._wall_clock)
                wait = self._backoff(retries) if wait is None else wait
                if retries >= self.max_retries or waited + wait > self.rate_limit_wait:
                    raise SecondaryRateLimit(self._message(response), status=429, method="GET", path=display,
                                             hint="the registry still throttled after %d retries and %.0f s of waiting; retry later or lower max_concurrency"
                                             % (retries, waited))
                self._sleep(wait)
                waited += wait
                retries += 1
                continue
            if status in RETRY_STATUSES and retries < self.max_retries:
                self._sleep(self._backoff(retries))
                retries += 1
                continue
            response.retries = retries
            return response

    def _message(self, response: t.Any) -> str:
        """The registry's error text: its errors[] (code: message), else the HTTP reason."""
        try:
            data = response.json()
        except ValueError:
            data = None
        errors = data.get("errors") if isinstance(data, dict) else None
        parts = []
        for item in errors if isinstance(errors, list) else []:
            if isinstance(item, dict):
                parts.append(": ".join(str(item[key]) for key in ("code", "message") if item.get(key)))
        return self._scrub("; ".join(part for part in parts if part) or response.reason or "HTTP error")

    def _error(self, response: t.Any, display: str) -> GitHubAPIError:
        status = response.status_code
        hint = {
            401: "the registry refused the pull token it issued for this repository",
            403: "the token may not pull this package",
            404: "the registry has no such manifest, or the token cannot see the package",
        }.get(status)
        return status_error(self._message(response), status, getattr(response, "retries", 0), hint, method="GET", path=display)

    def _secrets(self) -> t.List[str]:
        with self._lock:
            return [self._token] + list(self._bearers.values())
