"""HTTP front end: GitHub's Packages REST API, a ghcr.io manifest subset, and /_emulator/ controls."""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode

from .limits import RateLimits
from .render import Renderer
from .upstream import Upstream, UpstreamError
from .store import PACKAGE_TYPES, Account, ApiError, Package, Store, Token, format_time, parse_time

DOCS = "https://docs.github.com/rest"
PACKAGES_DOCS = "https://docs.github.com/rest/packages/packages"
MEDIA_TYPE = "github.v3; format=json"
GRANULAR_TYPES = {"container", "npm", "rubygems", "nuget"}  # types with granular (non-repo) permissions on github.com
REPO_SCOPED = {"dotcom": {"maven"}, "ghes": {"maven", "npm", "rubygems", "nuget", "docker"}}
MSG_SSO = ("Resource protected by organization SAML enforcement. "
           "You must grant your Personal Access token access to this organization.")
MSG_SECONDARY = ("You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
                 "If you reach out to GitHub Support for help, please include the request ID {rid}.")
MSG_PRIMARY = ("API rate limit exceeded for {who}. If you reach out to GitHub Support for help, "
               "please include the request ID {rid} and timestamp {ts}.")
MSG_NO_ADMIN = "You must have admin permissions on this package to {action}."
MSG_INTEGRATION = "Resource not accessible by integration"

DEFAULT_CONFIG: dict[str, Any] = {
    "latency_ms": 0, "fail_every_n": None, "fail_status": 502, "drop_every_n": None,
    "fail_after_every_n": None, "drop_after_every_n": None,
    "latency_spike_every_n": None, "latency_spike_ms": 0,
    "primary_limit": 5000, "unauthenticated_limit": 60, "primary_window_seconds": 3600, "rate_limit_status": 403,
    "secondary_points": 900, "secondary_window_seconds": 60, "secondary_max_concurrent": 100,
    "unreadable_manifests": [], "unreadable_status": 500, "registry_429_every_n": None, "registry_retry_after": 1,
}
READ, DELETE, RESTORE = "read", "delete", "restore"
# /v2/OWNER/NAME.../manifests|blobs|tags/REST; the repository name ends before the first of these words
REGISTRY_PATH = re.compile(r"^/v2/(?P<repository>[^/]+/.+?)/(?P<kind>manifests|blobs|tags)/(?P<rest>.*)$")
FORWARDED = ("Accept", "Content-Type", "Content-Range", "Range")  # to the real registry
RETURNED = {"location", "docker-content-digest", "docker-upload-uuid", "range", "link", "oci-subject"}
OP_SCOPES = {READ: ["read:packages"], DELETE: ["delete:packages", "read:packages"], RESTORE: ["read:packages", "write:packages"]}
OP_ACTIONS = {"list_packages": "list packages", "get_package": "view packages", "list_versions": "view packages",
              "get_version": "view packages", "docker_conflicts": "list packages", "delete_package": "delete packages",
              "delete_version": "delete package versions", "restore_package": "restore packages",
              "restore_version": "restore package versions"}


class StaleRequest(Exception):
    """A request still in flight when the state was reset: it is dropped (see EmulatorState.wait_in_flight)."""


class Response:
    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None, raw: bytes | None = None,
                 content_type: str = "application/json; charset=utf-8") -> None:
        self.status = status
        self.headers = dict(headers or {})
        if raw is not None:
            self.body = raw
        elif body is None:
            self.body = b""
        else:
            self.body = json.dumps(body).encode()
        if self.body or raw is not None:
            self.headers.setdefault("Content-Type", content_type)


def error(status: int, message: str, docs: str = DOCS, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"message": message, "documentation_url": docs, "status": str(status)}, headers)


def registry_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"errors": [{"code": code, "message": message}]}, headers)


def effective_scopes(scopes: list[str]) -> set[str]:
    found = set(scopes)
    if "write:packages" in found:
        found.add("read:packages")
    return found


class EmulatorState:
    """Everything a running emulator holds: the store, config, limits, counters, request log."""

    def __init__(self, seed: dict[str, Any], log_file: str | None = None, registry: str | None = None) -> None:
        self.store = Store(seed, Upstream(registry) if registry else None)
        self.config = dict(DEFAULT_CONFIG)
        self.config.update(seed.get("config", {}))
        self.limits = RateLimits(lambda: self.store.advanced_seconds)
        self.counter_lock = threading.Lock()
        self.request_count = 0
        self.registry_count = 0
        self.generation = 0
        self.log: list[dict[str, Any]] = []
        self.log_file = log_file
        self.registry_tokens: dict[str, tuple[Token, dict[str, set[str]]]] = {}

    def next_request(self) -> tuple[int, int]:
        """The request's number, and the generation of the state it belongs to (a reset starts a new one)."""
        with self.counter_lock:
            self.request_count += 1
            return self.request_count, self.generation

    def wait_in_flight(self, seconds: float, generation: int) -> None:
        """Spends injected latency; a request whose state was reset meanwhile is dropped, unanswered and unapplied, so
        that a slow request of one test never lands in the state the next test starts from."""
        time.sleep(seconds)
        if generation != self.generation:
            raise StaleRequest()

    def reset(self) -> None:
        with self.store.lock:
            self.store.load(self.store.seed)
            self.config = dict(DEFAULT_CONFIG)
            self.config.update(self.store.seed.get("config", {}))
            self.limits.reset()
            self.registry_tokens.clear()
            with self.counter_lock:
                self.generation += 1
                self.request_count = 0
                self.registry_count = 0
                self.log.clear()

    def record(self, entry: dict[str, Any]) -> None:
        with self.counter_lock:
            self.log.append(entry)
            if self.log_file:
                with open(self.log_file, "a", encoding="utf-8") as handle:
                    handle.write(json.dumps(entry) + "\n")


def reset_epoch(reset_in: float) -> int:
    """A window's end as GitHub sends it: real epoch seconds, rounded up, so a client that waits until then (by its
    own clock) is never early. Not the emulated clock, which stands still: clients wait in real time."""
    return math.ceil(time.time() + reset_in)


def token_hash(token: str | None) -> str | None:
    return hashlib.sha256(token.encode()).hexdigest()[:12] if token else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ghpkgs-emulator"
    server: "EmulatorServer"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without NODELAY, Nagle + delayed ACK adds ~40 ms per answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr access log
        return

    def do_GET(self) -> None:
        self._dispatch()

    def do_HEAD(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_PATCH(self) -> None:
        self._dispatch()

    # ---- plumbing -------------------------------------------------------------------------
    @property
    def state(self) -> EmulatorState:
        return self.server.state

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":  # registry clients stream blob uploads
            chunks = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        if "Content-Length" not in response.headers:  # a proxied HEAD keeps the registry's
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD" and response.body:
            self.wfile.write(response.body)

    def _dispatch(self) -> None:
        raw_path, _, query = self.path.partition("?")
        body = self._read_body()
        if raw_path.startswith("/_emulator/"):
            self._send(self._control(raw_path, body))
            return
        state = self.state
        number, generation = state.next_request()
        config = state.config
        token = self._presented_token()
        entry = {"method": self.command, "path": raw_path, "query": query, "status": 0,
                 "token_sha256": token_hash(token), "time": time.time(), "clock": format_time(state.store.now)}

        def due(key: str) -> bool:
            return bool(config[key]) and number % config[key] == 0

        try:
            if due("drop_every_n"):
                entry["fault"] = "drop"
                self.close_connection = True
                return
            delay = config["latency_ms"] or 0
            if due("latency_spike_every_n"):
                entry["fault"] = "latency_spike"
                delay += config["latency_spike_ms"] or 0
            if due("fail_every_n"):
                entry["fault"] = "fail"
                response = error(int(config["fail_status"]), "Server Error")
            elif raw_path == "/token" or raw_path.startswith("/v2/"):
                state.wait_in_flight(delay / 1000, generation)
                response = self._registry(raw_path, query, body)
            else:
                response = self._api(raw_path, query, token, delay / 1000, generation)
            # The "after" faults lose the answer of a request that took effect, like a gateway timing out on a
            # DELETE that GitHub completed: the client cannot know, and its retry meets the new state.
            if due("drop_after_every_n"):
                entry["fault"] = "drop_after"
                entry["effect_status"] = response.status
                self.close_connection = True
                return
            if due("fail_after_every_n"):
                entry["fault"] = "fail_after"
                entry["effect_status"] = response.status
                response = error(int(config["fail_status"]), "Server Error")
            entry["status"] = response.status
            self._send(response)
        except StaleRequest:
            self.close_connection = True
            entry = {}
        finally:
            if entry:
                state.record(entry)

    def _presented_token(self) -> str | None:
        header = self.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() in ("bearer", "token") and value.strip():
            return value.strip()
        if scheme.lower() == "basic" and value.strip():
            try:
                return base64.b64decode(value.strip()).decode().partition(":")[2] or None
            except ValueError:
                return None
        return None

    def _bases(self, prefix: str) -> tuple[str, str]:
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        return f"http://{host}{prefix}", f"http://{host}"

    # ---- GitHub REST API ------------------------------------------------------------------
    def _api(self, raw_path: str, query: str, token_value: str | None, delay: float, generation: int) -> Response:
        """``delay`` (injected latency) is spent while the request counts as in flight."""
        state, store, config = self.state, self.state.store, self.state.config
        prefix = "/api/v3" if raw_path == "/api/v3" or raw_path.startswith("/api/v3/") else ""
        segments = [unquote(s) for s in raw_path[len(prefix):].split("/")[1:]]
        if segments and segments[-1] == "":
            segments.pop()
        request_id = f"{secrets.token_hex(2).upper()}:{state.request_count:06X}"
        headers = {"X-GitHub-Media-Type": MEDIA_TYPE, "X-GitHub-Request-Id": request_id,
                   "X-GitHub-Api-Version-Selected": self.headers.get("X-GitHub-Api-Version") or "2022-11-28"}
        api_base, web_base = self._bases(prefix)
        ctx = Request(self, segments, parse_qs(query), query, prefix, headers, Renderer(api_base, web_base), request_id)

        with store.lock:
            token = store.tokens.get(token_value) if token_value else None
        free = segments == ["rate_limit"]
        public = free or (len(segments) == 2 and segments[0] == "users" and self.command == "GET")
        # Without a valid token GitHub spends the client's small unauthenticated budget (60/hour).
        login = token.login if token else "anonymous:" + self.client_address[0]
        limit = config["primary_limit"]
        if token is None and limit is not None:
            limit = config["unauthenticated_limit"]
        verdict = state.limits.primary(login, limit, float(config["primary_window_seconds"]), spend=not free)
        if verdict.limit is not None:
            headers.update({"X-RateLimit-Limit": str(verdict.limit), "X-RateLimit-Remaining": str(verdict.remaining),
                            "X-RateLimit-Used": str(verdict.used),
                            "X-RateLimit-Reset": str(reset_epoch(verdict.reset_in)),
                            "X-RateLimit-Resource": "core"})
        if token_value and token is None:
            return error(401, "Bad credentials", headers=headers)
        if verdict.exceeded:
            with store.lock:
                account = store.accounts.get(token.login) if token else None
                who = f"user ID {account.id}" if account else (token.login if token else self.client_address[0])
            ts = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
            return error(int(config["rate_limit_status"]), MSG_PRIMARY.format(who=who, rid=request_id, ts=ts),
                         "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api", headers)
        if token is None and not public:
            return error(401, "Requires authentication", headers=headers)
        ctx.token = token
        if token is not None and token.repository is None:  # installation tokens (GITHUB_TOKEN) carry no scopes
            headers["X-OAuth-Scopes"] = ", ".join(token.scopes)
            headers["X-Accepted-OAuth-Scopes"] = ""
        if free:
            return ctx.rate_limit_body(verdict)
        if not state.limits.enter(login, config["secondary_max_concurrent"]):
            return ctx.secondary_error(60)
        try:
            state.wait_in_flight(delay, generation)
            return ctx.route()
        except ApiError as exc:
            return error(exc.status, exc.message, PACKAGES_DOCS, {**headers, **exc.headers})
        finally:
            state.limits.leave(login)

    # ---- ghcr.io subset -------------------------------------------------------------------
    def _registry(self, raw_path: str, query: str, body: bytes) -> Response:
        state, store = self.state, self.state.store
        host = self.headers.get("Host") or f"127.0.0.1:{self.server.server_address[1]}"
        if raw_path == "/token":
            return self._registry_token(query)
        auth = self.headers.get("Authorization", "")
        grant = state.registry_tokens.get(auth[7:].strip()) if auth.lower().startswith("bearer ") else None
        if raw_path == "/v2/":  # the API version check clients start with
            if grant is None:
                return registry_error(401, "UNAUTHORIZED", "authentication required",
                                      {"WWW-Authenticate": f'Bearer realm="http://{host}/token",service="ghcr.io"'})
            return Response(200, {})
        match = REGISTRY_PATH.match(raw_path)
        upstream = store.upstream
        if match is None or (upstream is None and match["kind"] != "manifests"):
            return registry_error(404, "NAME_UNKNOWN", "repository name not known to registry")
        owner, _, name = unquote(match["repository"]).partition("/")
        owner, reference, manifests = owner.lower(), unquote(match["rest"]), match["kind"] == "manifests"
        if self.command == "DELETE":
            return registry_error(405, "UNSUPPORTED", "delete package versions through the GitHub Packages API")
        push = self.command in ("POST", "PUT", "PATCH")
        if grant is None or ("push" if push else "pull") not in grant[1].get(f"{owner}/{name}".lower(), ()):
            scope = f"repository:{owner}/{name}:{'pull,push' if push else 'pull'}"
            challenge = f'Bearer realm="http://{host}/token",service="ghcr.io",scope="{scope}"'
            return registry_error(401, "UNAUTHORIZED", "authentication required", {"WWW-Authenticate": challenge})
        if push and upstream is None:
            return registry_error(405, "UNSUPPORTED", "pushing needs a real registry behind /v2 (serve --registry)")
        config = state.config
        with state.counter_lock:
            state.registry_count += 1
            throttled = config["registry_429_every_n"] and state.registry_count % config["registry_429_every_n"] == 0
        if throttled:
            return registry_error(429, "TOOMANYREQUESTS", "retry later", {"Retry-After": str(config["registry_retry_after"])})
        with store.lock:
            package = store.package(owner, "container", name)
            readable = package is not None and can_read(store, grant[0], package)
            if push and not (can_push(store, grant[0], owner, package) and (package is None or readable)):
                return registry_error(403, "DENIED", f"permission_denied: write_package access to {owner}/{name} is required")
            if not push and not readable:
                return registry_error(404, "MANIFEST_UNKNOWN" if manifests else "NAME_UNKNOWN", "manifest unknown")
            if upstream is None:
                return self._stored_manifest(package, reference)
        return self._proxy(upstream, owner, name, reference if manifests else None, body)

    def _registry_token(self, query: str) -> Response:
        """ghcr's token service: a bearer for the repositories and actions asked for; push needs write:packages."""
        state, store = self.state, self.state.store
        password = self._presented_token() if self.headers.get("Authorization", "").lower().startswith("basic ") else None
        with store.lock:
            token = store.tokens.get(password) if password else None
        if token is None or not (token.packages if token.repository else "read:packages" in effective_scopes(token.scopes)):
            return registry_error(401, "UNAUTHORIZED", "authentication required")
        may_push = token.packages == "write" if token.repository else "write:packages" in token.scopes
        grants: dict[str, set[str]] = {}
        for value in parse_qs(query).get("scope", []):
            for scope in value.split(" "):
                kind, _, rest = scope.partition(":")
                repository, _, actions = rest.rpartition(":")
                if kind == "repository" and repository:
                    allowed = set(actions.split(",")) & ({"pull", "push"} if may_push else {"pull"})
                    grants.setdefault(repository.lower(), set()).update(allowed)
        bearer = "emu_reg_" + secrets.token_urlsafe(24)
        with state.counter_lock:
            state.registry_tokens[bearer] = (token, grants)
        return Response(200, {"token": bearer, "access_token": bearer, "expires_in": 300,
                                  "issued_at": format_time(dt.datetime.now(dt.timezone.utc))})

    def _stored_manifest(self, package: Package, reference: str) -> Response:
        """A manifest from the versions themselves (no real registry behind /v2)."""
        config = self.state.config
        if reference.startswith("sha256:"):
            found = next((v for v in package.by_name.get(reference, []) if v.deleted_at is None), None)
        else:
            found = next((v for v in package.active if reference in v.tags), None)
        if found is None or found.body is None:
            return registry_error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        if found.name in config["unreadable_manifests"]:
            return registry_error(int(config["unreadable_status"]), "UNKNOWN", "unknown error reading manifest")
        if self.command == "GET":
            found.downloads += 1
        return Response(200, raw=found.body, content_type=found.media_type or "application/vnd.oci.image.manifest.v1+json",
                        headers={"Docker-Content-Digest": found.name})

    def _proxy(self, upstream: Upstream, owner: str, name: str, reference: str | None, body: bytes) -> Response:
        """Forward a /v2 request to the real registry; a manifest pushed is a version, a manifest pulled a download."""
        store, config = self.state.store, self.state.config
        headers = {k: v for k in FORWARDED for v in [self.headers.get(k)] if v is not None}
        try:
            status, answer_headers, answer = upstream.request(self.command, self.path, headers, body)
        except UpstreamError as exc:
            return registry_error(502, "UNKNOWN", str(exc))
        digest = answer_headers.get("Docker-Content-Digest")
        if reference is not None and status == 200 and digest in config["unreadable_manifests"]:
            return registry_error(int(config["unreadable_status"]), "UNKNOWN", "unknown error reading manifest")
        if reference is not None and status in (200, 201):
            with store.lock:
                if self.command == "PUT":
                    store.record_push(owner, name, reference, body, self.headers.get("Content-Type", ""))
                elif self.command == "GET" and (package := store.package(owner, "container", name)) is not None:
                    for version in package.by_name.get(digest or "", []):
                        if version.deleted_at is None:
                            version.downloads += 1
        kept = {k: v for k, v in answer_headers.items() if k.lower() in RETURNED}
        if self.command == "HEAD" and "Content-Length" in answer_headers:
            kept["Content-Length"] = answer_headers["Content-Length"]
        return Response(status, raw=answer, headers=kept, content_type=answer_headers.get("Content-Type", "application/json"))

    # ---- controls -------------------------------------------------------------------------
    def _control(self, raw_path: str, body: bytes) -> Response:
        state, store = self.state, self.state.store
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            return Response(400, {"error": "body is not JSON"})
        name = (self.command, raw_path.rstrip("/"))
        try:
            if name == ("POST", "/_emulator/clock"):
                with store.lock:
                    if "now" in data:
                        target = parse_time(data["now"])
                    else:
                        target = store.now + dt.timedelta(seconds=float(data["advance_seconds"]))
                    delta = (target - store.now).total_seconds()
                    store.now = target
                    store.advanced_seconds += max(0.0, delta)
                    return Response(200, {"now": format_time(store.now)})
            if name == ("POST", "/_emulator/config"):
                unknown = sorted(set(data) - set(DEFAULT_CONFIG))
                if unknown:
                    return Response(400, {"error": f"unknown config keys: {', '.join(unknown)}"})
                state.config = {**state.config, **data}
                return Response(200, state.config)
            if name == ("GET", "/_emulator/config"):
                return Response(200, state.config)
            if name == ("GET", "/_emulator/log"):
                with state.counter_lock:
                    return Response(200, list(state.log))
            if name == ("POST", "/_emulator/log/clear"):
                with state.counter_lock:
                    state.log.clear()
                return Response(204)
            if name == ("GET", "/_emulator/state"):
                with store.lock:
                    return Response(200, store.dump())
            if name == ("POST", "/_emulator/reset"):
                state.reset()
                return Response(204)
            if name == ("POST", "/_emulator/packages"):
                with store.lock:
                    package, version = store.publish(data["owner"], data["package_type"], data["name"], data["version"],
                                                     data.get("visibility", "private"), data.get("repository"),
                                                     data.get("actions_access"))
                    return Response(201, {"package_id": package.id, "id": version.id, "name": version.name})
        except (KeyError, TypeError, ValueError) as exc:
            return Response(400, {"error": f"bad control request: {exc!r}"})
        return Response(404, {"error": f"no control endpoint {self.command} {raw_path}"})


def can_read(store: Store, token: Token, package: Package) -> bool:
    if package.visibility == "public":
        return True
    if token.repository is not None:
        return token.repository in package.actions_access
    owner = store.accounts[package.owner]
    if owner.type == "Organization":
        return token.login in owner.members
    return token.login == package.owner


def can_push(store: Store, token: Token, owner_login: str, package: Package | None) -> bool:
    """Members of an organization (and a user for their own account) can push new versions; a workflow token can push to
    a package that grants its repository write or admin access."""
    if token.repository is not None:
        return package is not None and package.actions_access.get(token.repository) in ("write", "admin")
    owner = store.accounts.get(owner_login)
    if owner is None:
        return False
    return token.login in owner.members if owner.type == "Organization" else token.login == owner_login


def can_admin(store: Store, token: Token, owner_login: str, package: Package | None) -> bool:
    if token.repository is not None:
        return package is not None and package.actions_access.get(token.repository) == "admin"
    owner = store.accounts[owner_login]
    if owner.type == "Organization":
        return owner.members.get(token.login) == "admin"
    return token.login == owner_login


class Request:
    """One authenticated REST request: routing, scope/SSO/permission checks, the operations."""

    def __init__(self, handler: Handler, segments: list[str], params: dict[str, list[str]], query: str, prefix: str,
                 headers: dict[str, str], render: Renderer, request_id: str) -> None:
        self.handler = handler
        self.state = handler.state
        self.store = handler.state.store
        self.segments = segments
        self.params = params
        self.query = query
        self.prefix = prefix
        self.headers = headers
        self.render = render
        self.request_id = request_id
        self.token: Token | None = None
        self.method = handler.command

    def param(self, name: str) -> str | None:
        values = self.params.get(name)
        return values[0] if values else None

    def ok(self, body: Any, status: int = 200, extra: dict[str, str] | None = None) -> Response:
        return Response(status, body, {**self.headers, **(extra or {})})

    def secondary_error(self, retry_after: float) -> Response:
        return error(403, MSG_SECONDARY.format(rid=self.request_id),
                     "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                     {**self.headers, "Retry-After": str(int(retry_after))})

    def rate_limit_body(self, verdict: Any) -> Response:
        if verdict is None or verdict.limit is None:
            limit, used, reset = (60, 0, reset_epoch(3600)) if verdict is None else (0, 0, reset_epoch(0))
        else:
            limit, used, reset = verdict.limit, verdict.used, reset_epoch(verdict.reset_in)
        core = {"limit": limit, "used": used, "remaining": max(0, limit - used), "reset": reset, "resource": "core"}
        search = {"limit": 30, "used": 0, "remaining": 30, "reset": reset_epoch(60), "resource": "search"}
        return self.ok({"resources": {"core": core, "search": search}, "rate": core})

    # ---- routing --------------------------------------------------------------------------
    def route(self) -> Response:
        s, m = self.segments, self.method
        if self.token is not None and self.token.repository is not None and s[:1] == ["user"]:
            raise ApiError(403, MSG_INTEGRATION)  # an installation token is no user
        if s == ["user"] and m == "GET":
            with self.store.lock:
                return self.ok(self.render.private_user(self.store.accounts[self.token.login]))
        if len(s) == 2 and s[0] == "users" and m == "GET":
            with self.store.lock:
                account = self.store.accounts.get(s[1].lower())
                if account is None:
                    raise ApiError(404, "Not Found")
                return self.ok(self.render.public_user(account))
        if s[:1] == ["user"]:
            owner_kind, owner_login, rest = "user", self.token.login, s[1:]
        elif len(s) >= 2 and s[0] in ("orgs", "users"):
            owner_kind, owner_login, rest = s[0], s[1].lower(), s[2:]
        else:
            raise ApiError(404, "Not Found")
        op, args = self._operation(rest, m)
        if op is None:
            raise ApiError(404, "Not Found")
        cost = 1 if m in ("GET", "HEAD") else 5
        wait = self.state.limits.secondary(self.token.login if self.token else "anonymous", op, cost, self.state.config["secondary_points"],
                                           float(self.state.config["secondary_window_seconds"]))
        if wait is not None:
            return self.secondary_error(wait)
        with self.store.lock:
            owner = self._owner(owner_kind, owner_login)
            return getattr(self, "op_" + op)(owner, *args)

    @staticmethod
    def _operation(rest: list[str], m: str) -> tuple[str | None, tuple[Any, ...]]:
        n = len(rest)
        if rest == ["docker", "conflicts"] and m == "GET":
            return "docker_conflicts", ()
        if not rest or rest[0] != "packages":
            return None, ()
        if n == 1 and m == "GET":
            return "list_packages", ()
        if n < 3:
            return None, ()
        ptype, name = rest[1], rest[2]
        table = {
            (3, "GET", None): "get_package", (3, "DELETE", None): "delete_package",
            (4, "POST", "restore"): "restore_package", (4, "GET", "versions"): "list_versions",
            (5, "GET", "versions"): "get_version", (5, "DELETE", "versions"): "delete_version",
            (6, "POST", "versions"): "restore_version",
        }
        op = table.get((n, m, rest[3] if n > 3 else None))
        if op is None or (n == 6 and rest[5] != "restore"):
            return None, ()
        args: tuple[Any, ...] = (ptype, name)
        if n >= 5:
            if not rest[4].isdigit():
                return None, ()
            args += (int(rest[4]),)
        return op, args

    def _owner(self, kind: str, login: str) -> Account:
        account = self.store.accounts.get(login)
        if account is None or (kind == "orgs" and account.type != "Organization"):
            raise ApiError(404, "Not Found")
        if (account.type == "Organization" and account.sso and self.token.login in account.members
                and account.login.lower() not in self.token.sso_authorized):
            host = self.render.web
            opaque = hashlib.sha256(f"{self.token.login}:{account.login}".encode()).hexdigest()[:32]
            raise ApiError(403, MSG_SSO, {"X-GitHub-SSO": f"required; url={host}/orgs/{account.login}/sso?authorization_request={opaque}"})
        return account

    def _require(self, op: str, kind: str, package_type: str | None) -> None:
        if self.token.repository is not None:
            # A workflow's GITHUB_TOKEN: no scopes, a `packages` permission, and no listing of an owner's packages.
            needed = "read" if kind == READ else "write"
            if op in ("list_packages", "docker_conflicts") or self.token.packages not in ((needed, "write") if needed == "read" else ("write",)):
                raise ApiError(403, MSG_INTEGRATION, {"X-Accepted-GitHub-Permissions": f"packages={needed}"})
            return
        wanted = list(OP_SCOPES[kind])
        mode = "ghes" if self.prefix else "dotcom"
        if package_type in REPO_SCOPED[mode]:
            wanted.append("repo")
        self.headers["X-Accepted-OAuth-Scopes"] = ", ".join(wanted)
        have = effective_scopes(self.token.scopes)
        for scope in wanted:
            if scope not in have:
                raise ApiError(403, f"You need at least {scope} scope to {OP_ACTIONS[op]}.")

    def _package(self, owner: Account, package_type: str, name: str) -> Package:
        if package_type not in PACKAGE_TYPES:
            raise ApiError(404, "Package not found.")
        package = self.store.package(owner.login, package_type, name)
        if package is None or not can_read(self.store, self.token, package):
            raise ApiError(404, "Package not found.")
        self.store.sync(package)
        return package

    def _admin(self, owner: Account, action: str, package: Package) -> None:
        if not can_admin(self.store, self.token, owner.login.lower(), package):
            raise ApiError(403, MSG_INTEGRATION if self.token.repository else MSG_NO_ADMIN.format(action=action))

    def _page(self, total: int) -> tuple[int, int, dict[str, str]]:
        try:
            per_page = int(self.param("per_page") or 30)
        except ValueError:
            per_page = 30
        per_page = 30 if per_page < 1 else min(per_page, 100)
        try:
            page = max(1, int(self.param("page") or 1))
        except ValueError:
            page = 1
        last = max(1, math.ceil(total / per_page))
        pairs = [(k, v) for k, v in parse_qsl(self.query, keep_blank_values=True) if k != "page"]
        base = self.render.web + self.handler.path.partition("?")[0]

        def link(number: int) -> str:
            return f"<{base}?{urlencode(pairs + [('page', str(number))])}>"

        rels = []
        if page > 1:
            rels.append(f'{link(min(page - 1, last))}; rel="prev"')
        if page < last:
            rels.append(f'{link(page + 1)}; rel="next"')
            rels.append(f'{link(last)}; rel="last"')
        if page > 1:
            rels.append(f'{link(1)}; rel="first"')
        return page, per_page, ({"Link": ", ".join(rels)} if rels else {})

    # ---- operations -----------------------------------------------------------------------
    def op_list_packages(self, owner: Account) -> Response:
        package_type = self.param("package_type")
        self._require("list_packages", READ, package_type)
        if package_type not in PACKAGE_TYPES:
            raise ApiError(400, "package_type is required and must be one of: " + ", ".join(PACKAGE_TYPES) + ".")
        visibility = self.param("visibility")
        if visibility not in (None, "public", "private", "internal"):
            raise ApiError(400, "visibility must be one of: public, private, internal.")
        if visibility == "internal" and package_type not in GRANULAR_TYPES:
            visibility = "private"
        found = [p for p in self.store.owner_packages(owner.login, package_type)
                 if can_read(self.store, self.token, p) and (visibility is None or p.visibility == visibility)]
        page, per_page, link = self._page(len(found))
        if page * per_page > 10000:
            raise ApiError(400, "The value of `per_page` multiplied by `page` cannot be greater than 10000.")
        chunk = found[(page - 1) * per_page: page * per_page]
        return self.ok([self._package_json(p, owner) for p in chunk], extra=link)

    def _package_json(self, package: Package, owner: Account) -> dict[str, Any]:
        repo_owner = None
        if package.repository:
            repo_owner = self.store.accounts.get(package.repository.split("/", 1)[0].lower())
        return self.render.package(package, owner, repo_owner)

    def op_docker_conflicts(self, owner: Account) -> Response:
        self._require("docker_conflicts", READ, None)
        found = [p for p in self.store.owner_packages(owner.login, "docker")
                 if p.docker_conflict and can_read(self.store, self.token, p)]
        return self.ok([self._package_json(p, owner) for p in found])

    def op_get_package(self, owner: Account, package_type: str, name: str) -> Response:
        self._require("get_package", READ, package_type)
        return self.ok(self._package_json(self._package(owner, package_type, name), owner))

    def op_delete_package(self, owner: Account, package_type: str, name: str) -> Response:
        self._require("delete_package", DELETE, package_type)
        package = self._package(owner, package_type, name)
        self._admin(owner, "delete it", package)
        self.store.delete_package(package)
        return self.ok(None, 204)

    def op_restore_package(self, owner: Account, package_type: str, name: str) -> Response:
        self._require("restore_package", RESTORE, package_type)
        deleted = self.store.restorable_packages(owner.login, package_type, name)
        if not any(can_admin(self.store, self.token, owner.login.lower(), p) for p in deleted or [None]):
            if self.token.repository is not None and any(can_read(self.store, self.token, p) for p in deleted):
                raise ApiError(403, MSG_INTEGRATION)
            if owner.type == "Organization" and self.token.login in owner.members:
                raise ApiError(403, MSG_NO_ADMIN.format(action="restore it"))
            raise ApiError(404, "Package not found.")
        self.store.restore_package(owner.login, package_type, name, self.param("token"))
        return self.ok(None, 204)

    def op_list_versions(self, owner: Account, package_type: str, name: str) -> Response:
        self._require("list_versions", READ, package_type)
        package = self._package(owner, package_type, name)
        state = self.param("state") or "active"
        if state not in ("active", "deleted"):
            raise ApiError(400, "state must be one of: active, deleted.")
        source = package.active if state == "active" else package.deleted
        page, per_page, link = self._page(len(source))
        chunk = source[(page - 1) * per_page: page * per_page]
        return self.ok([self.render.version(package, owner, v) for v in chunk], extra=link)

    def _version(self, package: Package, version_id: int, deleted: bool = False):  # type: ignore[no-untyped-def]
        version = package.by_id.get(version_id)
        if version is None or (version.deleted_at is not None) != deleted:
            raise ApiError(404, "Package version not found.")
        return version

    def op_get_version(self, owner: Account, package_type: str, name: str, version_id: int) -> Response:
        self._require("get_version", READ, package_type)
        package = self._package(owner, package_type, name)
        return self.ok(self.render.version(package, owner, self._version(package, version_id)))

    def op_delete_version(self, owner: Account, package_type: str, name: str, version_id: int) -> Response:
        self._require("delete_version", DELETE, package_type)
        package = self._package(owner, package_type, name)
        self._admin(owner, "delete its versions", package)
        self.store.delete_version(package, self._version(package, version_id))
        return self.ok(None, 204)

    def op_restore_version(self, owner: Account, package_type: str, name: str, version_id: int) -> Response:
        self._require("restore_version", RESTORE, package_type)
        package = self._package(owner, package_type, name)
        self._admin(owner, "restore its versions", package)
        self.store.restore_version(package, self._version(package, version_id, deleted=True))
        return self.ok(None, 204)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, state: EmulatorState, host: str = "127.0.0.1", port: int = 0) -> None:
        if host != "127.0.0.1":
            raise ValueError(f"the emulator binds to 127.0.0.1 only, not {host!r}")
        self.state = state
        super().__init__((host, port), Handler)
