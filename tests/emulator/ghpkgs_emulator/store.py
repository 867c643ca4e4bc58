"""In-memory state of the emulated GitHub Packages service and GitHub's deletion/restore rules.

All methods expect the caller to hold ``Store.lock``. Versions of a package are kept in two
lists (active, deleted) sorted newest first, so a listing page is a slice and a deletion is a
bisect plus one memmove: no O(n) scan per request even with 100,000 versions.
"""
from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from .upstream import Upstream, UpstreamError

PACKAGE_TYPES = ("npm", "maven", "rubygems", "docker", "nuget", "container")
RESTORE_WINDOW = dt.timedelta(days=30)
INDEX_MEDIA_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
DOWNLOAD_LIMIT = 5000

MSG_DOWNLOADS = ("Publicly visible package versions with more than 5000 downloads cannot be deleted. "
                 "Contact GitHub support for further assistance.")
MSG_LAST_TAGGED = "You cannot delete the last tagged version of a package. You must delete the package instead."
MSG_LAST_VERSION = "You cannot delete the last version of a package. You must delete the package instead."
MSG_PACKAGE_EXISTS = "An active package already exists with given name."
MSG_VERSION_EXISTS = "An active package version already exists with given name."


class ApiError(Exception):
    """An answer GitHub would give instead of success."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def parse_time(value: str) -> dt.datetime:
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    """The exact bytes served for a manifest; its digest is the sha256 of these bytes."""
    return json.dumps(manifest, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def manifest_digest(manifest: dict[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(manifest_bytes(manifest)).hexdigest()


@dataclass
class Version:
    id: int
    name: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tags: list[str] = field(default_factory=list)
    downloads: int = 0
    deleted_at: dt.datetime | None = None
    manifest: dict[str, Any] | None = None
    media_type: str | None = None
    children: tuple[str, ...] = ()  # digests referenced by an index manifest
    license: str | None = None
    description: str | None = None
    deleted_with: int | None = None  # id of the index whose deletion cascaded to this version
    sort_key: tuple[float, int] = field(init=False)  # newest first: created_at, then id
    _body: bytes | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.sort_key = (-self.created_at.timestamp(), -self.id)

    @property
    def body(self) -> bytes | None:
        """Manifest bytes, encoded on first use (seeds with 100,000 manifests load fast)."""
        if self._body is None and self.manifest is not None:
            self._body = manifest_bytes(self.manifest)
        return self._body

    @property
    def is_index(self) -> bool:
        return bool(self.children) or self.media_type in INDEX_MEDIA_TYPES


# The login an installation token (a workflow's GITHUB_TOKEN) acts as; it is no account of the seed.
INSTALLATION_LOGIN = "github-actions[bot]"


@dataclass
class Package:
    id: int
    owner: str  # lower-case login
    package_type: str
    name: str
    visibility: str
    repository: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    docker_conflict: bool = False
    deleted_at: dt.datetime | None = None
    restore_token: str = ""
    # The package's "Manage Actions access": repository full name -> read|write|admin (workflow GITHUB_TOKENs)
    actions_access: dict[str, str] = field(default_factory=dict)
    active: list[Version] = field(default_factory=list)
    deleted: list[Version] = field(default_factory=list)
    by_id: dict[int, Version] = field(default_factory=dict)
    by_name: dict[str, list[Version]] = field(default_factory=dict)
    # digest -> ids of index versions referencing it (container only)
    referrers: dict[str, set[int]] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.owner, self.package_type, self.name)

    def add(self, version: Version, keep_sorted: bool = True) -> None:
        """Add a version; bulk loads pass ``keep_sorted=False`` and call ``sort()`` once at the end."""
        self.by_id[version.id] = version
        self.by_name.setdefault(version.name, []).append(version)
        target = self.deleted if version.deleted_at else self.active
        if keep_sorted:
            bisect.insort(target, version, key=lambda v: v.sort_key)
        else:
            target.append(version)
        for child in version.children:
            self.referrers.setdefault(child, set()).add(version.id)

    def sort(self) -> None:
        self.active.sort(key=lambda v: v.sort_key)
        self.deleted.sort(key=lambda v: v.sort_key)

    def _move(self, version: Version, source: list[Version], target: list[Version]) -> None:
        index = bisect.bisect_left(source, version.sort_key, key=lambda v: v.sort_key)
        if index >= len(source) or source[index] is not version:
            raise RuntimeError(f"version {version.id} missing from its state list")
        del source[index]
        bisect.insort(target, version, key=lambda v: v.sort_key)

    def mark_deleted(self, version: Version, when: dt.datetime, cascade_from: int | None = None) -> None:
        self._move(version, self.active, self.deleted)
        version.deleted_at = when
        version.deleted_with = cascade_from

    def mark_restored(self, version: Version) -> None:
        self._move(version, self.deleted, self.active)
        version.deleted_at = None
        version.deleted_with = None

    def downloads_over_limit(self) -> bool:
        return any(v.downloads > DOWNLOAD_LIMIT for v in self.by_id.values())


@dataclass
class Account:
    login: str
    id: int
    type: str  # "User" or "Organization"
    name: str | None = None
    sso: bool = False
    members: dict[str, str] = field(default_factory=dict)  # lower login -> admin|member
    created_at: str = "2020-01-01T00:00:00Z"


@dataclass
class Token:
    login: str
    scopes: list[str]
    sso_authorized: set[str]
    # A workflow's GITHUB_TOKEN (an installation token): its repository and its `packages` permission (read|write).
    repository: str | None = None
    packages: str | None = None


class Store:
    """Accounts, tokens, packages and versions, plus GitHub's mutation rules."""

    def __init__(self, seed: dict[str, Any], upstream: Upstream | None = None) -> None:
        self.lock = threading.RLock()
        self.seed = seed  # read-only: loading never mutates it, so reset can reload from it
        # A real registry holding the container manifests and tags (see sync); None: the versions' own manifests.
        self.upstream = upstream
        self.load(self.seed)

    def load(self, seed: dict[str, Any]) -> None:
        self.now = parse_time(seed.get("now", "2026-01-15T12:00:00Z"))
        self.advanced_seconds = 0.0
        self.accounts: dict[str, Account] = {}
        for user in seed.get("users", []):
            self._add_account(user, "User")
        for org in seed.get("orgs", []):
            self._add_account(org, "Organization")
        self.tokens: dict[str, Token] = {}
        for value, spec in seed.get("tokens", {}).items():
            if spec.get("repository"):
                if spec.get("packages") not in (None, "read", "write"):
                    raise ValueError(f"seed token {spec.get('name')!r}: packages must be read, write or null")
                self.tokens[value] = Token(INSTALLATION_LOGIN, [], set(), spec["repository"].lower(), spec.get("packages"))
                continue
            login = spec["login"].lower()
            if login not in self.accounts:
                raise ValueError(f"seed token for unknown user {spec['login']!r}")
            self.tokens[value] = Token(login, list(spec.get("scopes", [])), {o.lower() for o in spec.get("sso_authorized", [])})
        self.packages: dict[tuple[str, str, str], Package] = {}
        self.deleted_packages: dict[tuple[str, str, str], list[Package]] = {}
        self.versions: dict[int, tuple[Package, Version]] = {}
        self.next_package_id = 1000
        self.next_version_id = 1
        for raw in seed.get("packages", []):
            self.add_package(raw)

    def _add_account(self, raw: dict[str, Any], kind: str) -> None:
        members = {k.lower(): v for k, v in raw.get("members", {}).items()}
        for role in members.values():
            if role not in ("admin", "member"):
                raise ValueError(f"org {raw['login']}: member role must be admin or member, not {role!r}")
        account = Account(login=raw["login"], id=int(raw["id"]), type=kind, name=raw.get("name"),
                          sso=bool(raw.get("sso", False)), members=members,
                          created_at=raw.get("created_at", "2020-01-01T00:00:00Z"))
        self.accounts[raw["login"].lower()] = account

    # ---- building -------------------------------------------------------------------------
    def add_package(self, raw: dict[str, Any]) -> Package:
        owner = raw["owner"].lower()
        if owner not in self.accounts:
            raise ValueError(f"package {raw['name']!r} has unknown owner {raw['owner']!r}")
        if raw["package_type"] not in PACKAGE_TYPES:
            raise ValueError(f"package {raw['name']!r}: unknown package_type {raw['package_type']!r}")
        created = parse_time(raw["created_at"]) if raw.get("created_at") else self.now
        pid = int(raw.get("id") or self.next_package_id)
        self.next_package_id = max(self.next_package_id, pid + 1)
        package = Package(id=pid, owner=owner, package_type=raw["package_type"], name=raw["name"],
                          visibility=raw.get("visibility", "private"), repository=raw.get("repository"),
                          created_at=created, updated_at=parse_time(raw.get("updated_at") or raw.get("created_at") or format_time(self.now)),
                          docker_conflict=bool(raw.get("docker_conflict", False)),
                          actions_access={k.lower(): v for k, v in (raw.get("actions_access") or {}).items()},
                          deleted_at=parse_time(raw["deleted_at"]) if raw.get("deleted_at") else None)
        package.restore_token = hashlib.sha256(f"restore:{pid}".encode()).hexdigest()[:20]
        for raw_version in raw.get("versions", []):
            self._add_version(package, raw_version, keep_sorted=False)
        package.sort()
        if package.deleted_at:
            self.deleted_packages.setdefault(package.key, []).append(package)
        else:
            if package.key in self.packages:
                raise ValueError(f"duplicate active package {package.key}")
            self.packages[package.key] = package
        return package

    def _add_version(self, package: Package, raw: dict[str, Any], keep_sorted: bool = True, verify: bool = False) -> Version:
        """Seeds are trusted to name container versions by digest (checked by the seed tests); publish verifies."""
        vid = int(raw.get("id") or self.next_version_id)
        if vid in self.versions:
            raise ValueError(f"duplicate version id {vid}")
        self.next_version_id = max(self.next_version_id, vid + 1)
        manifest = raw.get("manifest")
        name = raw.get("name")
        body = raw.get("body")  # bytes exactly as pushed to a real registry
        if body is not None:
            manifest, name = json.loads(body), "sha256:" + hashlib.sha256(body).hexdigest()
        elif manifest is not None and (verify or not name):
            digest = manifest_digest(manifest)
            if name and name != digest:
                raise ValueError(f"version {vid} of {package.name}: name {name} is not the sha256 of its manifest ({digest})")
            name = digest
        if not name:
            raise ValueError(f"version {vid} of {package.name} has no name")
        created = parse_time(raw["created_at"]) if raw.get("created_at") else self.now
        children: tuple[str, ...] = ()
        if manifest is not None and isinstance(manifest.get("manifests"), list):
            children = tuple(m["digest"] for m in manifest["manifests"] if "digest" in m)
        media_type = raw.get("media_type") or (manifest or {}).get("mediaType")
        version = Version(id=vid, name=name, created_at=created,
                          updated_at=parse_time(raw["updated_at"]) if raw.get("updated_at") else created,
                          tags=list(raw.get("tags", [])), downloads=int(raw.get("downloads", 0)),
                          deleted_at=parse_time(raw["deleted_at"]) if raw.get("deleted_at") else None,
                          manifest=manifest, media_type=media_type, children=children,
                          license=raw.get("license"), description=raw.get("description"))
        version._body = body
        package.add(version, keep_sorted)
        self.versions[vid] = (package, version)
        return version

    def publish(self, owner: str, package_type: str, name: str, raw_version: dict[str, Any],
                visibility: str = "private", repository: str | None = None,
                actions_access: dict[str, str] | None = None) -> tuple[Package, Version]:
        """Push a new version, creating the package (new id, even over a deleted one) if needed."""
        key = (owner.lower(), package_type, name)
        package = self.packages.get(key)
        if package is None:
            package = self.add_package({"owner": owner, "package_type": package_type, "name": name,
                                        "visibility": visibility, "repository": repository,
                                        "created_at": format_time(self.now), "actions_access": actions_access})
        raw = dict(raw_version)
        raw.setdefault("created_at", format_time(self.now))
        if package.package_type == "container" and raw.get("tags"):
            # A tag moves: pushing it onto a new manifest removes it from the old one.
            moved = set(raw["tags"])
            for other in package.active:
                if moved.intersection(other.tags):
                    other.tags = [t for t in other.tags if t not in moved]
        version = self._add_version(package, raw, verify=True)
        package.updated_at = version.created_at
        return package, version

    # ---- lookups --------------------------------------------------------------------------
    def package(self, owner: str, package_type: str, name: str) -> Package | None:
        return self.packages.get((owner.lower(), package_type, name))

    def owner_packages(self, owner: str, package_type: str) -> list[Package]:
        owner = owner.lower()
        found = [p for p in self.packages.values() if p.owner == owner and p.package_type == package_type]
        found.sort(key=lambda p: p.id)
        for package in found:
            self.sync(package)
        return found

    # ---- GitHub's rules -------------------------------------------------------------------
    def delete_version(self, package: Package, version: Version) -> None:
        if version.deleted_at is not None:
            raise ApiError(404, "Package version not found.")
        if package.visibility == "public" and version.downloads > DOWNLOAD_LIMIT:
            raise ApiError(400, MSG_DOWNLOADS)
        others = [v for v in package.active[:2] if v is not version]
        if package.package_type == "container":
            if version.tags and not any(v.tags for v in package.active if v is not version):
                raise ApiError(400, MSG_LAST_TAGGED)
        elif package.package_type == "maven" and not others:
            raise ApiError(400, MSG_LAST_VERSION)
        now = self.now
        children = self._cascade_children(package, version) if version.is_index else []
        self._upstream_delete(package, [version, *children])
        package.mark_deleted(version, now)
        for child in children:
            package.mark_deleted(child, now, cascade_from=version.id)
        if not package.active:
            self._delete_package(package, now)

    def _cascade_children(self, package: Package, index: Version) -> list[Version]:
        """The untagged entries of an index that no other active tagged index references: they go with it."""
        found = []
        for digest in index.children:
            for child in package.by_name.get(digest, []):
                if child.deleted_at is not None or child.tags or any(child is f for f in found):
                    continue
                still_used = any(
                    ref != index.id and (owner := self.versions.get(ref)) is not None
                    and owner[1].deleted_at is None and owner[1].tags
                    for ref in package.referrers.get(digest, ())
                )
                if not still_used:
                    found.append(child)
        return found

    def delete_package(self, package: Package) -> None:
        if package.visibility == "public" and package.downloads_over_limit():
            raise ApiError(400, MSG_DOWNLOADS)
        self._upstream_delete(package, sorted(package.active, key=lambda v: not v.is_index))
        self._delete_package(package, self.now)

    def _delete_package(self, package: Package, now: dt.datetime) -> None:
        package.deleted_at = now
        del self.packages[package.key]
        self.deleted_packages.setdefault(package.key, []).append(package)

    def restorable_packages(self, owner: str, package_type: str, name: str) -> list[Package]:
        found = self.deleted_packages.get((owner.lower(), package_type, name), [])
        return [p for p in found if p.deleted_at and self.now - p.deleted_at <= RESTORE_WINDOW]

    def restore_package(self, owner: str, package_type: str, name: str, token: str | None) -> None:
        candidates = self.restorable_packages(owner, package_type, name)
        if token:
            candidates = [p for p in candidates if p.restore_token == token]
        if not candidates:
            raise ApiError(404, "Package not found.")
        if (owner.lower(), package_type, name) in self.packages:
            raise ApiError(409, MSG_PACKAGE_EXISTS)
        package = max(candidates, key=lambda p: (p.deleted_at, p.id))
        self.deleted_packages[package.key].remove(package)
        deleted_at = package.deleted_at
        package.deleted_at = None
        self.packages[package.key] = package
        # Versions whose deletion removed the package come back with it.
        back = [v for v in package.deleted if v.deleted_at == deleted_at]
        self._upstream_restore(package, back)
        for version in back:
            package.mark_restored(version)

    def restore_version(self, package: Package, version: Version) -> None:
        if version.deleted_at is None or self.now - version.deleted_at > RESTORE_WINDOW:
            raise ApiError(404, "Package version not found.")
        if any(v.deleted_at is None for v in package.by_name.get(version.name, [])):
            raise ApiError(409, MSG_VERSION_EXISTS)
        children = [child for child in package.deleted if child.deleted_with == version.id]
        self._upstream_restore(package, [version, *children])
        package.mark_restored(version)
        for child in children:
            package.mark_restored(child)

    # ---- a real registry behind /v2 --------------------------------------------------------
    def repository(self, package: Package) -> str:
        return f"{package.owner}/{package.name}"

    def _upstream_delete(self, package: Package, versions: list[Version]) -> None:
        """Delete the manifests in the real registry, indexes first (GitHub's rules were checked before)."""
        if self.upstream is None or package.package_type != "container":
            return
        conn = self.upstream.connection()
        try:
            for version in versions:
                self.upstream.delete(self.repository(package), version.name, conn)
        except UpstreamError as exc:
            raise ApiError(502, f"Server Error: {exc}") from None
        finally:
            conn.close()

    def _upstream_restore(self, package: Package, versions: list[Version]) -> None:
        """Put the same manifest bytes back, entries before indexes (the registry refuses an index whose entries are
        missing), then the tags that no active version has taken since."""
        if self.upstream is None or package.package_type != "container":
            return
        taken = {tag for v in package.active for tag in v.tags}
        conn = self.upstream.connection()
        try:
            for version in sorted(versions, key=lambda v: v.is_index):
                media_type = version.media_type or "application/vnd.oci.image.manifest.v1+json"
                for reference in [version.name, *(t for t in version.tags if t not in taken)]:
                    self.upstream.put(self.repository(package), reference, version.body or b"", media_type, conn)
        except UpstreamError as exc:
            raise ApiError(502, f"Server Error: {exc}") from None
        finally:
            conn.close()

    def record_push(self, owner: str, name: str, reference: str, body: bytes, media_type: str) -> None:
        """A manifest the real registry accepted through /v2: a new version unless an active one has its digest; a tag
        moves onto it."""
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        package = self.package(owner, "container", name)
        known = package and next((v for v in package.by_name.get(digest, []) if v.deleted_at is None), None)
        tags = [] if reference.startswith("sha256:") else [reference]
        if known is None:
            self.publish(owner, "container", name, {"body": body, "media_type": media_type, "tags": tags})
        elif tags:
            for other in package.active:
                other.tags = [t for t in other.tags if t != reference]
            known.tags.append(reference)

    def sync(self, package: Package) -> None:
        """Derive the package's versions from the real registry: an active version whose manifest the registry no longer
        holds was deleted behind GitHub's back (now deleted here too); tags are the registry's; a manifest that a tag or a
        known index names and no active version has becomes a new version."""
        if self.upstream is None or package.package_type != "container" or package.deleted_at is not None:
            return
        repository = self.repository(package)
        conn = self.upstream.connection()
        try:
            tags = self.upstream.tags(repository, conn)
            for version in list(package.active):
                if self.upstream.resolve(repository, version.name, conn) is None:
                    package.mark_deleted(version, self.now)
            wanted = sorted(set(tags.values()) | {c for v in package.active for c in v.children})
            while wanted:
                digest = wanted.pop()
                if any(v.deleted_at is None for v in package.by_name.get(digest, [])):
                    continue
                found = self.upstream.manifest(repository, digest, conn)
                if found is not None:
                    version = self._add_version(package, {"body": found[0], "media_type": found[1]})
                    wanted.extend(c for c in version.children if c not in wanted)
        except UpstreamError as exc:
            raise ApiError(502, f"Server Error: {exc}") from None
        finally:
            conn.close()
        for version in package.active:
            version.tags = sorted(tag for tag, digest in tags.items() if digest == version.name)

    # ---- dump -----------------------------------------------------------------------------
    def dump(self) -> dict[str, Any]:
        def version_dump(v: Version) -> dict[str, Any]:
            return {"id": v.id, "name": v.name, "tags": list(v.tags), "downloads": v.downloads,
                    "created_at": format_time(v.created_at), "updated_at": format_time(v.updated_at),
                    "deleted_at": format_time(v.deleted_at) if v.deleted_at else None,
                    "media_type": v.media_type, "children": list(v.children)}

        def package_dump(p: Package) -> dict[str, Any]:
            return {"id": p.id, "owner": self.accounts[p.owner].login, "package_type": p.package_type, "name": p.name,
                    "visibility": p.visibility, "repository": p.repository,
                    "created_at": format_time(p.created_at), "updated_at": format_time(p.updated_at),
                    "deleted_at": format_time(p.deleted_at) if p.deleted_at else None,
                    "restore_token": p.restore_token, "docker_conflict": p.docker_conflict, "actions_access": p.actions_access,
                    "version_count": len(p.active),
                    "versions": [version_dump(v) for v in sorted(p.by_id.values(), key=lambda v: v.sort_key)]}

        for package in list(self.packages.values()):
            self.sync(package)
        packages = list(self.packages.values()) + [p for group in self.deleted_packages.values() for p in group]
        return {"now": format_time(self.now), "packages": [package_dump(p) for p in sorted(packages, key=lambda p: p.id)]}
