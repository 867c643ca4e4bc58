# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one GitHub fake of the module tests: an owner's packages as GitHub keeps them, GitHub's deletion and restore rules,
and ghcr.io's manifests, behind `responses` (so a test runs in-process, in order, without a server).

tests/emulator is the full model, but it is a server outside the collection artifact that ansible-test runs in: these
rules follow it (and shared/reference/github-packages-api.md) for what the module tests exercise.

Scripted failures: overrides[(METHOD, PATH)] = (status, message) answers instead of the rules; fail_writes[METHOD] =
(status, message, headers) answers every such write; refuse_delete = (status, message) answers a package DELETE;
lost / lost_once hold (METHOD, PATH) requests that take effect, then answer 502 (a lost answer); unreadable[digest] =
status for a manifest the registry cannot serve; before_restore runs before a package restore is applied.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import typing as t
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import responses

API = "https://api.github.com"
REGISTRY = "https://ghcr.io"
REGISTRY_BEARER = "ghcr_PullTokenUnitSecret0123456789"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ALL_SCOPES = "read:packages, delete:packages, write:packages, repo"
MSG_DOWNLOADS = "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance."
MSG_LAST_TAGGED = "You cannot delete the last tagged version of a package. You must delete the package instead."
MSG_LAST_VERSION = "You cannot delete the last version of a package. You must delete the package instead."
WRITES = ("POST", "PUT", "PATCH", "DELETE")

Answer = t.Tuple[int, t.Dict[str, str], t.Union[str, bytes]]


def stamp(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_bytes(manifest: t.Dict[str, t.Any]) -> bytes:
    return json.dumps(manifest, separators=(",", ":")).encode()


def digest_of(manifest: t.Dict[str, t.Any]) -> str:
    return "sha256:" + hashlib.sha256(manifest_bytes(manifest)).hexdigest()


def image(label: str, subject: t.Optional[str] = None) -> t.Dict[str, t.Any]:
    """A single-platform image manifest, distinct per label; with subject, an OCI referrer of that digest."""
    blob = "sha256:" + hashlib.sha256(label.encode()).hexdigest()
    manifest: t.Dict[str, t.Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob, "size": 7},
                                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob, "size": 9}]}
    if subject is not None:
        manifest["artifactType"] = "application/spdx+json"
        manifest["subject"] = {"mediaType": OCI_INDEX, "digest": subject, "size": 1}
    return manifest


def index(children: t.List[t.Tuple[t.Dict[str, t.Any], str]]) -> t.Dict[str, t.Any]:
    """An OCI index of (manifest, platform) entries; platform "unknown/unknown" makes a buildx attestation entry."""
    entries = []
    for child, platform in children:
        os_name, arch = platform.split("/")
        entries.append({"mediaType": child["mediaType"], "digest": digest_of(child), "size": len(manifest_bytes(child)),
                        "platform": {"os": os_name, "architecture": arch}})
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}


def version(vid: int, name: str, tags: t.Sequence[str] = (), deleted_at: t.Optional[str] = None, **extra: t.Any) -> t.Dict[str, t.Any]:
    """A container version as GitHub returns it; extra keys starting with _ are the fake's own: _expired (past the 30 days
    GitHub restores within), _with (the id of the version whose deletion took this one along)."""
    body = {"id": vid, "name": name, "created_at": "2026-01-%02dT00:00:00Z" % (vid % 28 + 1), "updated_at": "2026-02-01T00:00:00Z",
            "metadata": {"package_type": "container", "container": {"tags": list(tags)}}}
    if deleted_at:
        body["deleted_at"] = deleted_at
    body.update(extra)
    return body


def _tags(item: t.Dict[str, t.Any]) -> t.List[str]:
    return list(item["metadata"].get("container", {}).get("tags", []))


class FakePackage:
    """One package: its versions by id (a dict as GitHub returns it, with deleted_at once deleted), their downloads, the
    manifests of container versions, and deleted_at once the package itself is deleted."""

    def __init__(self, package_type: str, name: str, pid: int = 0, versions: t.Sequence[t.Dict[str, t.Any]] = (),
                 deleted_at: t.Optional[str] = None, public: bool = False, restore_token: t.Optional[str] = None,
                 now: t.Optional[datetime] = None) -> None:
        self.package_type = package_type
        self.name = name
        self.id = pid
        self.public = public
        self.deleted_at = deleted_at
        self.restore_token = restore_token or "rt-%d" % pid
        self.versions: t.Dict[int, t.Dict[str, t.Any]] = {v["id"]: v for v in versions}
        self.downloads: t.Dict[int, int] = {}
        self.manifests: t.Dict[str, t.Dict[str, t.Any]] = {}
        self.lock = threading.Lock()
        self.now = now  # FakeGitHub sets its clock and owner when the package is added
        self.owner = "octo-org"

    @property
    def exists(self) -> bool:
        return self.deleted_at is None

    @exists.setter
    def exists(self, value: bool) -> None:
        self.deleted_at = None if value else self.stamp()

    def stamp(self, days_ago: float = 0) -> str:
        assert self.now is not None, "add the package to a FakeGitHub first"
        return stamp(self.now - timedelta(days=days_ago))

    def add(self, vid: int, name: str, age_days: float, tags: t.Sequence[str] = (), deleted_days: t.Optional[float] = None,
            downloads: int = 0, updated_days: t.Optional[float] = None, manifest: t.Optional[t.Dict[str, t.Any]] = None,
            digest: bool = True) -> str:
        """Add a version; a container version's name becomes the digest of its manifest (an image made from name if not
        given), unless digest is False (a version without a manifest, named as given)."""
        if self.package_type == "container" and digest:
            manifest = manifest if manifest is not None else image(name)
            name = digest_of(manifest)
            self.manifests[name] = manifest
        metadata: t.Dict[str, t.Any] = {"package_type": self.package_type}
        if self.package_type == "container":
            metadata["container"] = {"tags": list(tags)}
        elif self.package_type == "docker":
            metadata["docker"] = {"tag": list(tags)}
        self.versions[vid] = {
            "id": vid, "name": name, "url": f"{API}/orgs/{self.owner}/packages/{self.package_type}/{self.name}/versions/{vid}",
            "package_html_url": f"https://github.com/orgs/{self.owner}/packages", "created_at": self.stamp(age_days),
            "updated_at": self.stamp(age_days if updated_days is None else updated_days), "metadata": metadata,
        }
        if deleted_days is not None:
            self.versions[vid]["deleted_at"] = self.stamp(deleted_days)
        self.downloads[vid] = downloads
        return name

    def json(self) -> t.Dict[str, t.Any]:
        return {"id": self.id, "name": self.name, "package_type": self.package_type, "visibility": "public" if self.public else "private",
                "version_count": len(self.active()), "owner": {"login": self.owner}, "created_at": "2026-01-01T00:00:00Z",
                "updated_at": "2026-01-01T00:00:00Z", "html_url": f"https://github.com/orgs/{self.owner}/packages/{self.package_type}/package/{self.name}"}

    def active(self) -> t.List[t.Dict[str, t.Any]]:
        return [v for v in self.versions.values() if "deleted_at" not in v]

    def deleted(self) -> t.List[t.Dict[str, t.Any]]:
        return [v for v in self.versions.values() if "deleted_at" in v]

    def delete_version(self, vid: int) -> t.Tuple[int, t.Optional[str]]:
        found = self.versions.get(vid)
        if found is None or "deleted_at" in found:
            return 404, "Package version not found."
        if self.public and self.downloads.get(vid, 0) > 5000:
            return 400, MSG_DOWNLOADS
        others = [v for v in self.active() if v is not found]
        if self.package_type == "container" and _tags(found) and not any(_tags(v) for v in others):
            return 400, MSG_LAST_TAGGED
        if self.package_type == "maven" and not others:
            return 400, MSG_LAST_VERSION
        found["deleted_at"] = self.stamp()
        if not others:  # the last version goes with its package
            self.deleted_at = found["deleted_at"]
        return 204, None

    def restore_version(self, vid: int) -> t.Tuple[int, t.Optional[str]]:
        found = self.versions.get(vid)
        if found is None or "deleted_at" not in found or found.get("_expired"):
            return 404, "Package version not found."
        if any(v["name"] == found["name"] for v in self.active()):
            return 409, "An active package version already exists with given name."
        for other in self.versions.values():
            if other is found or other.get("_with") == found["id"]:
                other.pop("deleted_at", None)
        return 204, None

    def delete(self) -> t.Tuple[int, t.Optional[str]]:
        if self.public and any(self.downloads.get(v["id"], 0) > 5000 for v in self.active()):
            return 400, MSG_DOWNLOADS
        self.deleted_at = self.stamp()
        for item in self.active():
            item["deleted_at"] = self.deleted_at
        return 204, None


class FakeGitHub:
    """GitHub for the owner `owner` (an organization) at API, and ghcr.io at REGISTRY, as of now; every request is recorded
    by responses (mock.calls). The packages are a list: a name may have one active and several deleted packages."""

    def __init__(self, mock: responses.RequestsMock, owner: str = "octo-org", now: t.Optional[datetime] = None, token: str = "") -> None:
        self.mock = mock
        self.owner = owner
        self.now = now or datetime(2026, 3, 1, 12, 0, 0)
        self.token = token  # the module's token: the registry takes it as the password of its token request
        self.packages: t.List[FakePackage] = []
        self.scopes = ALL_SCOPES
        self.overrides: t.Dict[t.Tuple[str, str], t.Tuple[int, str]] = {}
        self.fail_writes: t.Dict[str, t.Tuple[int, str, t.Dict[str, str]]] = {}
        self.refuse_delete: t.Optional[t.Tuple[int, str]] = None
        self.lost: t.Set[t.Tuple[str, str]] = set()
        self.lost_once: t.Set[t.Tuple[str, str]] = set()
        self.unreadable: t.Dict[str, int] = {}
        self.before_restore: t.Optional[t.Callable[[], None]] = None
        self.listable_states = ("active", "deleted")  # a module that must never list deleted versions: ("active",)
        # Only the paths served here: a test may register answers of its own for others (responses takes the first match).
        mock.add_callback("GET", re.compile(re.escape(f"{API}/users/{owner}") + r"(\?.*)?$"), callback=self.handle)
        for method in ("GET", "POST", "DELETE", "PUT", "PATCH"):
            mock.add_callback(method, re.compile(re.escape(API) + r"/(orgs/%s|user)/packages([/?].*)?$" % re.escape(owner)), callback=self.handle)
        mock.add_callback("GET", f"{REGISTRY}/token", callback=self.registry_token)
        mock.add_callback("GET", re.compile(re.escape(REGISTRY) + r"/v2/.*"), callback=self.registry_manifest)

    # ---- state --------------------------------------------------------------------------------------------------

    def add(self, package: t.Union[FakePackage, str], name: str = "", pid: int = 0, deleted: bool = False, restore_token: str = "") -> FakePackage:
        """Add a FakePackage; or, given (package_type, name, pid), a public package with two versions, deleted if deleted."""
        if isinstance(package, str):
            package = FakePackage(package, name, pid, public=True, restore_token=restore_token)
            package.now, package.owner = self.now, self.owner
            for vid in (1, 2):
                package.add(pid * 10 + vid, "v%d" % vid, 60 - vid, digest=False)
            if deleted:
                package.delete()
        package.now, package.owner = self.now, self.owner
        self.packages.append(package)
        return package

    def package(self, package_type: str, name: str, public: bool = False) -> FakePackage:
        """A new active package with no versions yet (add them with its add())."""
        return self.add(FakePackage(package_type, name, len(self.packages) + 100, public=public))

    def find(self, package_type: str, name: str, deleted: bool = False) -> t.Optional[FakePackage]:
        found = [p for p in self.packages if (p.package_type, p.name) == (package_type, name) and (not p.exists) == deleted]
        return found[-1] if found else None

    @property
    def active(self) -> t.Dict[t.Tuple[str, str], FakePackage]:
        """The active packages by (package_type, name)."""
        return {(p.package_type, p.name): p for p in self.packages if p.exists}

    def active_ids(self, package_type: str, name: str) -> t.Set[int]:
        return {v["id"] for p in self.packages if (p.package_type, p.name) == (package_type, name) for v in p.active()}

    # ---- what was asked -----------------------------------------------------------------------------------------

    def calls(self, method: t.Optional[str] = None) -> t.List[str]:
        """The API requests as "METHOD PATH" (registry requests are in manifest_reads)."""
        return [c.request.method + " " + urlsplit(c.request.url).path for c in self.mock.calls
                if method in (None, c.request.method) and c.request.url.startswith(API)]

    def write_calls(self) -> t.List[str]:
        """The API requests that change something, as "METHOD PATH" (each test file shows them as `writes` its way)."""
        return [c for c in self.calls() if c.split()[0] in WRITES]

    @property
    def requests(self) -> t.List[str]:
        return self.calls()

    def urls(self, methods: t.Sequence[str] = WRITES) -> t.List[str]:
        """The API requests of these methods as "METHOD URL", with the query."""
        return ["%s %s" % (c.request.method, c.request.url) for c in self.mock.calls if c.request.method in methods and c.request.url.startswith(API)]

    @property
    def listings(self) -> t.List[str]:
        """The version listings requested, as "NAME STATE"."""
        found = []
        for call in self.mock.calls:
            parts = urlsplit(call.request.url)
            if call.request.method == "GET" and parts.path.endswith("/versions"):
                found.append("%s %s" % (unquote(parts.path.split("/")[-2]), parse_qs(parts.query).get("state", ["active"])[0]))
        return found

    def manifest_reads(self) -> t.List[str]:
        return [urlsplit(c.request.url).path.rsplit("/", 1)[1] for c in self.mock.calls
                if c.request.url.startswith(REGISTRY + "/v2/") and c.response is not None and c.response.status_code == 200]

    # ---- answers ------------------------------------------------------------------------------------------------

    def headers(self) -> t.Dict[str, str]:
        return {"X-OAuth-Scopes": self.scopes, "Content-Type": "application/json"}

    def reply(self, status: int, body: t.Any = None, extra: t.Optional[t.Dict[str, str]] = None) -> Answer:
        return status, {**self.headers(), **(extra or {})}, "" if body is None else json.dumps(body)

    def error(self, status: int, message: str, extra: t.Optional[t.Dict[str, str]] = None) -> Answer:
        return self.reply(status, {"message": message, "documentation_url": "https://docs.github.com/rest/packages"}, extra)

    def handle(self, request: t.Any) -> Answer:
        answer = self.apply(request)
        key = (request.method, urlsplit(request.url).path)
        if key in self.lost or key in self.lost_once:
            self.lost_once.discard(key)
            return self.error(502, "Bad Gateway")
        return answer

    def apply(self, request: t.Any) -> Answer:
        parts = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        method, path = request.method, parts.path
        if (method, path) in self.overrides:
            return self.error(*self.overrides[(method, path)])
        if method == "GET" and path == f"/users/{self.owner}":
            return self.reply(200, {"login": self.owner, "id": 9, "type": "Organization"})
        if method == "GET" and path == f"/orgs/{self.owner}/packages":
            assert query.get("per_page") == "100" and set(query) <= {"package_type", "per_page", "visibility"}, query
            found = sorted((p for p in self.packages if p.exists and p.package_type == query["package_type"]
                            and query.get("visibility") in (None, p.json()["visibility"])), key=lambda p: p.name)
            return self.reply(200, [p.json() for p in found])
        match = re.fullmatch(r"/(?:orgs/%s|user)/packages/([a-z]+)/([^/]+)(/restore|/versions(?:/(\d+)(/restore)?)?)?" % re.escape(self.owner), path)
        if not match:
            return self.error(404, "Not Found")
        package_type, name, rest, vid, version_restore = match.groups()
        name = unquote(name)
        if rest == "/restore" and method == "POST":
            return self.restore_package(package_type, name, query.get("token"))
        package = self.find(package_type, name) or self.find(package_type, name, deleted=True)
        listing = method == "GET" and rest == "/versions"
        # A package whose last version was deleted is gone, but its deleted versions can still be listed.
        if package is None or not package.exists and not (listing and query.get("state") == "deleted" and package.deleted()):
            return self.error(404, "Package not found.")
        if method in self.fail_writes:
            status, message, extra = self.fail_writes[method]
            return self.error(status, message, extra)
        with package.lock:
            if listing:
                return self.page(package, query, path)
            if rest is None and method == "GET":
                return self.reply(200, package.json())
            if rest is None and method == "DELETE":
                status, message = self.refuse_delete or package.delete()
            elif vid and method == "GET":
                found = package.versions.get(int(vid))
                if found is None or "deleted_at" in found:
                    return self.error(404, "Package version not found.")
                return self.reply(200, {k: v for k, v in found.items() if not k.startswith("_")})
            elif vid and method == "DELETE" and "delete:packages" not in self.scopes:
                status, message = 403, "You need at least delete:packages scope to delete a package version."
            elif vid and method == "DELETE" and not version_restore:
                status, message = package.delete_version(int(vid))
            elif vid and method == "POST" and version_restore:
                status, message = package.restore_version(int(vid))
            else:
                return self.error(405, f"unexpected {method} {path}")
        return self.reply(status) if message is None else self.error(status, message)

    def page(self, package: FakePackage, query: t.Dict[str, str], path: str) -> Answer:
        assert query.get("per_page") == "100" and query.get("state", "active") in self.listable_states, query
        items = package.deleted() if query.get("state") == "deleted" else package.active()
        items = sorted(items, key=lambda v: v["id"], reverse=True)
        number = int(query.get("page", "1"))
        extra = {}
        if number * 100 < len(items):
            extra["Link"] = f'<{API}{path}?state={query.get("state", "active")}&per_page=100&page={number + 1}>; rel="next"'
        shown = [{k: v for k, v in item.items() if not k.startswith("_")} for item in items[(number - 1) * 100:number * 100]]
        return self.reply(200, shown, extra)

    def restore_package(self, package_type: str, name: str, token: t.Optional[str]) -> Answer:
        """The most recently deleted package of that name (the one the token names, if given) and the versions deleted
        with it come back; 404 when there is none, 409 when the name is active again."""
        if self.before_restore:
            self.before_restore()
        candidates = [p for p in self.packages if (p.package_type, p.name) == (package_type, name) and not p.exists
                      and (token is None or p.restore_token == token)]
        if not candidates:
            return self.error(404, "Package not found.")
        if self.find(package_type, name) is not None:
            return self.error(409, "An active package already exists with given name.")
        package = candidates[-1]
        for item in package.versions.values():
            if item.get("deleted_at") == package.deleted_at:
                del item["deleted_at"]
        package.deleted_at = None
        return self.reply(204)

    # ---- ghcr.io ------------------------------------------------------------------------------------------------

    def registry_token(self, request: t.Any) -> Answer:
        expected = "Basic " + base64.b64encode(f"ghpkgs:{self.token}".encode()).decode()
        query = parse_qs(urlsplit(request.url).query)
        if request.headers.get("Authorization") != expected or query.get("service") != ["ghcr.io"]:
            return 401, {}, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        return 200, {"Content-Type": "application/json"}, json.dumps({"token": REGISTRY_BEARER})

    def registry_manifest(self, request: t.Any) -> Answer:
        match = re.fullmatch(r"/v2/%s/(.+)/manifests/(sha256:[0-9a-f]{64})" % re.escape(self.owner), urlsplit(request.url).path)
        assert match, request.url
        repository, digest = match.groups()
        if request.headers.get("Authorization") != f"Bearer {REGISTRY_BEARER}":
            challenge = f'Bearer realm="{REGISTRY}/token",service="ghcr.io",scope="repository:{self.owner}/{repository}:pull"'
            return 401, {"WWW-Authenticate": challenge}, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        assert OCI_INDEX in request.headers["Accept"]
        if digest in self.unreadable:
            return self.unreadable[digest], {}, json.dumps({"errors": [{"code": "UNKNOWN", "message": "unknown error reading manifest"}]})
        for package in self.packages:
            if package.package_type == "container" and package.name.lower() == repository and package.exists:
                if digest in {v["name"] for v in package.active()}:
                    manifest = package.manifests[digest]
                    return 200, {"Content-Type": manifest["mediaType"], "Docker-Content-Digest": digest}, manifest_bytes(manifest)
        return 404, {}, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
