"""Deterministic seed generator: realistic accounts, tokens, packages and container image graphs.

Profiles are plain dicts (PROFILES) so their sizes are easy to change; ``fixtures`` adds the
hand-made packages integration tests rely on (documented in tests/emulator/README.md).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from .store import format_time, manifest_bytes, parse_time

NOW = "2026-01-15T12:00:00Z"
PACKAGE_TYPES = ("container", "npm", "maven", "rubygems", "nuget", "docker")

PROFILES: dict[str, dict[str, Any]] = {
    "small": {"fixtures": True, "packages": 0, "versions_per_package": 8, "types": PACKAGE_TYPES, "step_minutes": 360},
    "demo": {"fixtures": True, "packages": 48, "versions_per_package": 80, "types": PACKAGE_TYPES, "step_minutes": 240},
    "org-scale": {"fixtures": False, "packages": 300, "versions_per_package": 100, "types": PACKAGE_TYPES, "step_minutes": 120},
    "huge": {"fixtures": False, "packages": 1, "versions_per_package": 100_000, "types": ("container",), "step_minutes": 3},
}

FULL = ["read:packages", "write:packages", "delete:packages", "repo"]
# Test-only token strings (never real credentials). "name" is the key used in integration_config.yml.
TOKENS: dict[str, dict[str, Any]] = {
    "ghp_emu_full_0000000000000000000000000000": {"name": "full", "login": "alice", "scopes": FULL, "sso_authorized": ["sso-corp"]},
    "ghp_emu_read_0000000000000000000000000000": {"name": "read_only", "login": "alice", "scopes": ["read:packages"], "sso_authorized": ["sso-corp"]},
    "ghp_emu_nodelete_000000000000000000000000": {"name": "no_delete", "login": "alice", "scopes": ["write:packages", "repo"], "sso_authorized": ["sso-corp"]},
    "ghp_emu_nowrite_0000000000000000000000000": {"name": "no_write", "login": "alice", "scopes": ["read:packages", "delete:packages", "repo"],
                                                  "sso_authorized": ["sso-corp"]},
    "ghp_emu_norepo_00000000000000000000000000": {"name": "no_repo", "login": "alice", "scopes": ["write:packages", "delete:packages"],
                                                  "sso_authorized": ["sso-corp"]},
    "ghp_emu_nosso_000000000000000000000000000": {"name": "no_sso", "login": "alice", "scopes": FULL, "sso_authorized": []},
    "ghp_emu_member_00000000000000000000000000": {"name": "member", "login": "bob", "scopes": FULL, "sso_authorized": ["sso-corp"]},
    "ghp_emu_outsider_000000000000000000000000": {"name": "outsider", "login": "mallory", "scopes": FULL, "sso_authorized": []},
    "ghp_emu_octocat_0000000000000000000000000": {"name": "octocat", "login": "octocat", "scopes": FULL, "sso_authorized": []},
    # Workflow GITHUB_TOKENs of the repository acme/app (installation tokens: no scopes; see the README's assumptions).
    "ghs_emu_actions_0000000000000000000000000": {"name": "actions", "login": "github-actions[bot]", "repository": "acme/app", "scopes": [],
                                                  "packages": "write"},
    "ghs_emu_actionsread_000000000000000000000": {"name": "actions_read", "login": "github-actions[bot]", "repository": "acme/app", "scopes": [],
                                                  "packages": "read"},
}
USERS = [
    {"login": "octocat", "id": 583231, "name": "The Octocat"},
    {"login": "alice", "id": 1001, "name": "Alice Admin"},
    {"login": "bob", "id": 1002, "name": "Bob Member"},
    {"login": "mallory", "id": 1003, "name": None},
]
ORGS = [
    {"login": "acme", "id": 9001, "name": "Acme Corp", "sso": False, "members": {"alice": "admin", "bob": "member"}},
    {"login": "sso-corp", "id": 9002, "name": "SSO Corp", "sso": True, "members": {"alice": "admin", "bob": "member"}},
]

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
EMPTY_CONFIG = {"mediaType": "application/vnd.oci.empty.v1+json",
                "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "size": 2}


class Builder:
    """Accumulates versions with increasing ids and timestamps."""

    def __init__(self, rng: random.Random, start: dt.datetime, step: dt.timedelta) -> None:
        self.rng = rng
        self.clock = start
        self.step = step
        self.next_id = 1
        self._digests: dict[int, tuple[str, int]] = {}  # id(manifest) -> (digest, size); manifests are kept alive

    def digest(self, manifest: dict[str, Any]) -> tuple[str, int]:
        found = self._digests.get(id(manifest))
        if found is None:
            body = manifest_bytes(manifest)
            found = self._digests[id(manifest)] = ("sha256:" + hashlib.sha256(body).hexdigest(), len(body))
        return found

    def version(self, name: str | None = None, tags: list[str] | None = None, manifest: dict[str, Any] | None = None,
                downloads: int | None = None, advance: bool = True) -> dict[str, Any]:
        if advance:
            self.clock += self.step
        version: dict[str, Any] = {"id": self.next_id, "name": name, "tags": tags or [],
                                   "created_at": format_time(self.clock), "updated_at": format_time(self.clock),
                                   "downloads": self.rng.randint(0, 400) if downloads is None else downloads,
                                   "deleted_at": None}
        self.next_id += 1
        if manifest is not None:
            version["manifest"] = manifest
            version["media_type"] = manifest["mediaType"]
            version["name"] = self.digest(manifest)[0]
        return version

    def blob(self) -> str:
        return "sha256:" + "%064x" % self.rng.getrandbits(256)

    def image(self, platform: tuple[str, str] | None = None, layers: int = 2) -> dict[str, Any]:
        manifest: dict[str, Any] = {
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.blob(), "size": self.rng.randint(900, 9000)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": self.blob(),
                        "size": self.rng.randint(10_000, 90_000_000)} for _ in range(layers)],
        }
        if platform:
            manifest["annotations"] = {"org.opencontainers.image.ref.name": f"{platform[0]}/{platform[1]}"}
        return manifest

    def attestation(self, subject_digest: str) -> dict[str, Any]:
        return {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.blob(), "size": 167},
                "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": self.blob(), "size": self.rng.randint(1000, 9000),
                            "annotations": {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}}],
                "annotations": {"vnd.docker.reference.digest": subject_digest}}

    def descriptor(self, manifest: dict[str, Any], **extra: Any) -> dict[str, Any]:
        digest, size = self.digest(manifest)
        return {"mediaType": manifest["mediaType"], "digest": digest, "size": size, **extra}

    def multi_arch(self, tags: list[str], attest: bool = True, sign: bool = False, referrer: bool = False,
                   downloads: int | None = None) -> list[dict[str, Any]]:
        """A tagged OCI index, its untagged platform manifests and buildx attestations, optional cosign/referrers."""
        versions = []
        entries = []
        platforms = [("linux", "amd64"), ("linux", "arm64")]
        images = [self.image(p) for p in platforms]
        for (os_name, arch), image in zip(platforms, images):
            versions.append(self.version(manifest=image))
            entries.append(self.descriptor(image, platform={"architecture": arch, "os": os_name}))
        if attest:
            for image in images:
                attestation = self.attestation(self.digest(image)[0])
                versions.append(self.version(manifest=attestation, advance=False))
                entries.append(self.descriptor(attestation, platform={"architecture": "unknown", "os": "unknown"}, annotations={
                    "vnd.docker.reference.digest": self.digest(image)[0], "vnd.docker.reference.type": "attestation-manifest"}))
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}
        versions.append(self.version(tags=tags, manifest=index, downloads=downloads, advance=False))
        digest_hex = self.digest(index)[0].split(":", 1)[1]
        if sign:
            for suffix, layer_type in ((".sig", "application/vnd.dev.cosign.simplesigning.v1+json"),
                                       (".att", "application/vnd.dsse.envelope.v1+json")):
                signature = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": self.blob(), "size": 233},
                             "layers": [{"mediaType": layer_type, "digest": self.blob(), "size": self.rng.randint(200, 4000),
                                         "annotations": {"dev.cosignproject.cosign/signature": hashlib.sha256(digest_hex.encode()).hexdigest()}}]}
                versions.append(self.version(tags=[f"sha256-{digest_hex}{suffix}"], manifest=signature))
        if referrer:
            sbom = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json", "config": EMPTY_CONFIG,
                    "layers": [{"mediaType": "application/spdx+json", "digest": self.blob(), "size": self.rng.randint(5000, 90000)}],
                    "subject": self.descriptor(index)}
            versions.append(self.version(manifest=sbom))
        return versions

    def single(self, tags: list[str], downloads: int | None = None) -> dict[str, Any]:
        return self.version(tags=tags, manifest=self.image(), downloads=downloads)


def semver_names(rng: random.Random, package_type: str, count: int) -> list[str]:
    pre = {"npm": "-rc.{n}", "maven": "-SNAPSHOT", "rubygems": ".pre{n}", "nuget": "-preview.{n}", "docker": "-rc{n}"}[package_type]
    names: list[str] = []
    major, minor, patch = 0, 1, 0
    while len(names) < count:
        step = rng.random()
        if step < 0.05:
            major, minor, patch = major + 1, 0, 0
        elif step < 0.35:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        if rng.random() < 0.3:
            names.append(f"{major}.{minor}.{patch}" + pre.format(n=rng.randint(1, 3)))
        if len(names) < count:
            names.append(f"{major}.{minor}.{patch}")
    return names[:count]


def container_versions(builder: Builder, count: int) -> list[dict[str, Any]]:
    versions: list[dict[str, Any]] = []
    release = 0
    rng = builder.rng
    while len(versions) < count:
        roll = rng.random()
        if roll < 0.35:
            release += 1
            versions += builder.multi_arch([f"v1.{release}.0"], attest=rng.random() < 0.7, sign=rng.random() < 0.2,
                                           referrer=rng.random() < 0.1)
        elif roll < 0.65:
            versions.append(builder.single([f"pr-{rng.randint(1, 999)}"]))
        elif roll < 0.75:
            versions.append(builder.single([f"sha-{'%07x' % rng.getrandbits(28)}"]))
        else:
            versions.append(builder.single([]))  # untagged leftover of a moved tag
    versions = versions[:count]
    _retag_latest(versions)
    return versions


def _retag_latest(versions: list[dict[str, Any]]) -> None:
    for version in reversed(versions):
        if version.get("media_type") == OCI_INDEX and version["tags"]:
            version["tags"].append("latest")
            return
    for version in reversed(versions):
        if version["tags"]:
            version["tags"].append("latest")
            return


def package_versions(builder: Builder, package_type: str, count: int) -> list[dict[str, Any]]:
    if package_type == "container":
        return container_versions(builder, count)
    names = semver_names(builder.rng, package_type, count)
    if package_type == "docker":
        return [builder.version(name=builder.blob(), tags=[name]) for name in names]
    return [builder.version(name=name) for name in names]


def _package(owner: str, package_type: str, name: str, versions: list[dict[str, Any]], visibility: str = "private",
             repository: str | None = None, **extra: Any) -> dict[str, Any]:
    created = versions[0]["created_at"] if versions else NOW
    updated = versions[-1]["created_at"] if versions else NOW
    return {"owner": owner, "package_type": package_type, "name": name, "visibility": visibility, "repository": repository,
            "created_at": created, "updated_at": updated, "docker_conflict": False, "versions": versions, **extra}


def _ago(days: float) -> str:
    return format_time(parse_time(NOW) - dt.timedelta(days=days))


def fixtures(builder: Builder) -> list[dict[str, Any]]:
    """Hand-made packages with known names; integration tests depend on them (see README)."""
    b = builder
    app: list[dict[str, Any]] = []
    app += b.multi_arch(["v1.0.0"], attest=True)
    app.append(b.single([]))
    app += b.multi_arch(["v1.1.0"], attest=True, sign=True)
    app.append(b.single(["pr-12"]))
    app.append(b.single([]))
    app += b.multi_arch(["v1.2.0", "latest"], attest=True, sign=True, referrer=True)
    builder_versions = [b.single(["v0.1.0"]), b.single([]), b.single(["v0.2.0"]), b.single(["main"])]
    public_app = [b.single(["v1.0.0"], downloads=12000), b.single(["v1.1.0"], downloads=40), b.single([], downloads=3),
                  b.single(["latest"], downloads=900)]
    lonely = [b.single([]), b.single(["only"])]
    web_ui = [b.version(name=n) for n in ("0.8.0", "0.9.0", "1.0.0", "1.1.0-rc.1", "1.1.0", "1.2.0-beta.1", "1.2.0", "2.0.0-rc.1")]
    web_ui[0]["deleted_at"] = _ago(45)
    web_ui[1]["deleted_at"] = _ago(2)
    lib = [b.version(name=n) for n in ("1.0.0", "1.1.0-SNAPSHOT", "1.1.0", "1.2.0-SNAPSHOT")]
    packages = [
        _package("acme", "container", "app", app, repository="acme/app"),
        _package("acme", "container", "tools/builder", builder_versions),
        _package("acme", "container", "public-app", public_app, visibility="public", repository="acme/public-app"),
        _package("acme", "container", "lonely", lonely),
        _package("acme", "npm", "web-ui", web_ui, repository="acme/web-ui"),
        _package("acme", "npm", "single", [b.version(name="0.1.0")]),
        _package("acme", "maven", "com.acme.lib", lib, repository="acme/lib"),
        _package("acme", "maven", "com.acme.solo", [b.version(name="1.0.0")], repository="acme/solo"),
        _package("acme", "rubygems", "acme-gem", [b.version(name=n) for n in ("0.9.0", "1.0.0.pre1", "1.0.0")], repository="acme/acme-gem"),
        _package("acme", "nuget", "Acme.Core", [b.version(name=n) for n in ("1.0.0", "1.1.0-preview.1", "1.1.0")], repository="acme/core"),
        _package("acme", "docker", "legacy-app", [b.version(name=b.blob(), tags=["v1"]), b.version(name=b.blob(), tags=["v2"])],
                 repository="acme/legacy-app", docker_conflict=True),
        _package("acme", "docker", "old-tool", [b.version(name=b.blob(), tags=["1.0"])], repository="acme/old-tool"),
        _package("acme", "npm", "retired", [b.version(name="1.0.0")], deleted_at=_ago(3)),
        _package("acme", "npm", "ancient", [b.version(name="1.0.0")], deleted_at=_ago(40)),
        _package("acme", "npm", "twice", [b.version(name="1.0.0")], deleted_at=_ago(10)),
        _package("acme", "npm", "twice", [b.version(name="2.0.0")], deleted_at=_ago(5)),
        _package("sso-corp", "container", "secure-app", b.multi_arch(["v1.0.0", "latest"])),
        _package("sso-corp", "npm", "secure-lib", [b.version(name=n) for n in ("1.0.0", "1.1.0")]),
        _package("octocat", "container", "hello", [b.single(["v1"]), b.single([]), b.single(["v2", "latest"])], visibility="public"),
        _package("octocat", "npm", "octo-lib", [b.version(name=n) for n in ("0.1.0", "0.2.0-rc.1", "0.2.0")]),
        _package("alice", "container", "alice-tool", [b.single(["v1"]), b.single([])]),
    ]
    return packages


def generate(profile: str, seed_value: int = 1, packages: int | None = None,
             versions_per_package: int | None = None) -> dict[str, Any]:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose from {', '.join(sorted(PROFILES))}")
    spec = dict(PROFILES[profile])
    if packages is not None:
        spec["packages"] = packages
    if versions_per_package is not None:
        spec["versions_per_package"] = versions_per_package
    rng = random.Random(seed_value)
    step = dt.timedelta(minutes=spec["step_minutes"])
    total = spec["packages"] * spec["versions_per_package"] + (200 if spec["fixtures"] else 0)
    builder = Builder(rng, parse_time(NOW) - step * (total + 10), step)
    result: list[dict[str, Any]] = fixtures(builder) if spec["fixtures"] else []
    types = spec["types"]
    for number in range(spec["packages"]):
        package_type = types[number % len(types)]
        name = {"container": f"service-{number:03d}", "maven": f"com.acme.module{number:03d}",
                "nuget": f"Acme.Module{number:03d}"}.get(package_type, f"pkg-{number:03d}")
        versions = package_versions(builder, package_type, spec["versions_per_package"])
        public = rng.random() < 0.15
        if public and versions and number == 0 and spec["versions_per_package"] > 1:
            versions[0]["downloads"] = 7500
        result.append(_package("acme", package_type, name, versions, visibility="public" if public else "private",
                               repository=f"acme/{name.lower()}" if rng.random() < 0.6 else None))
    return {"now": NOW, "tokens": {k: dict(v) for k, v in TOKENS.items()}, "users": [dict(u) for u in USERS],
            "orgs": [dict(o) for o in ORGS], "packages": result}
