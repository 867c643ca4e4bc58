# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ghpkgs.registry.package_version against a small stateful fake of GitHub's Packages API (HTTP mocked with responses)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import typing as t
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import responses


from ansible_collections.ghpkgs.registry.plugins.modules import package_version
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main

API = "https://api.github.com"
REGISTRY = "https://ghcr.io"
REGISTRY_BEARER = "ghcr_PullTokenUnitSecret0123456789"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
TOKEN = "ghp_PackageVersionUnitSecret0123456789abcd"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
ALL_SCOPES = "read:packages, delete:packages, write:packages, repo"
MSG_DOWNLOADS = "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance."
MSG_LAST_TAGGED = "You cannot delete the last tagged version of a package. You must delete the package instead."
MSG_LAST_VERSION = "You cannot delete the last version of a package. You must delete the package instead."
WRITES = ("POST", "PUT", "PATCH", "DELETE")


def days_ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def manifest_bytes(manifest: dict[str, t.Any]) -> bytes:
    return json.dumps(manifest, separators=(",", ":")).encode()


def digest_of(manifest: dict[str, t.Any]) -> str:
    return "sha256:" + hashlib.sha256(manifest_bytes(manifest)).hexdigest()


def image(label: str, subject: str | None = None) -> dict[str, t.Any]:
    """A single-platform image manifest, distinct per label; with subject, an OCI referrer of that digest."""
    blob = "sha256:" + hashlib.sha256(label.encode()).hexdigest()
    manifest: dict[str, t.Any] = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob, "size": 7},
                                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": blob, "size": 9}]}
    if subject is not None:
        manifest["artifactType"] = "application/spdx+json"
        manifest["subject"] = {"mediaType": OCI_INDEX, "digest": subject, "size": 1}
    return manifest


def index(children: list[tuple[dict[str, t.Any], str]]) -> dict[str, t.Any]:
    """An OCI index of (manifest, platform) entries; platform "unknown/unknown" makes a buildx attestation entry."""
    entries = []
    for child, platform in children:
        os_name, arch = platform.split("/")
        entry = {"mediaType": child["mediaType"], "digest": digest_of(child), "size": len(manifest_bytes(child)),
                 "platform": {"os": os_name, "architecture": arch}}
        entries.append(entry)
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}


class FakePackage:
    """One package of the org octo-org as GitHub keeps it, with GitHub's deletion and restore rules."""

    def __init__(self, package_type: str, name: str, public: bool = False) -> None:
        self.package_type = package_type
        self.name = name
        self.public = public
        self.exists = True
        self.versions: dict[int, dict[str, t.Any]] = {}
        self.downloads: dict[int, int] = {}
        self.manifests: dict[str, dict[str, t.Any]] = {}
        self.lock = threading.Lock()

    def add(self, vid: int, name: str, age_days: float, tags: t.Sequence[str] = (), deleted_days: float | None = None,
            downloads: int = 0, updated_days: float | None = None, manifest: dict[str, t.Any] | None = None) -> str:
        """Add a version; a container version's name becomes the digest of its manifest (an image made from name if not given)."""
        if self.package_type == "container":
            manifest = manifest if manifest is not None else image(name)
            name = digest_of(manifest)
            self.manifests[name] = manifest
        metadata: dict[str, t.Any] = {"package_type": self.package_type}
        if self.package_type == "container":
            metadata["container"] = {"tags": list(tags)}
        elif self.package_type == "docker":
            metadata["docker"] = {"tag": list(tags)}
        self.versions[vid] = {
            "id": vid, "name": name, "url": f"{API}/orgs/octo-org/packages/{self.package_type}/{self.name}/versions/{vid}",
            "package_html_url": "https://github.com/orgs/octo-org/packages", "created_at": days_ago(age_days),
            "updated_at": days_ago(age_days if updated_days is None else updated_days), "metadata": metadata,
        }
        if deleted_days is not None:
            self.versions[vid]["deleted_at"] = days_ago(deleted_days)
        self.downloads[vid] = downloads
        return name

    def active(self) -> list[dict[str, t.Any]]:
        return [v for v in self.versions.values() if "deleted_at" not in v]

    def deleted(self) -> list[dict[str, t.Any]]:
        return [v for v in self.versions.values() if "deleted_at" in v]

    def delete_version(self, vid: int) -> tuple[int, str | None]:
        version = self.versions.get(vid)
        if version is None or "deleted_at" in version:
            return 404, "Package version not found."
        if self.public and self.downloads[vid] > 5000:
            return 400, MSG_DOWNLOADS
        others = [v for v in self.active() if v is not version]
        if self.package_type == "container" and version["metadata"]["container"]["tags"]:
            if not any(v["metadata"]["container"]["tags"] for v in others):
                return 400, MSG_LAST_TAGGED
        if self.package_type == "maven" and not others:
            return 400, MSG_LAST_VERSION
        version["deleted_at"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
        if not others:
            self.exists = False
        return 204, None

    def restore_version(self, vid: int) -> tuple[int, str | None]:
        version = self.versions.get(vid)
        if version is None or "deleted_at" not in version:
            return 404, "Package version not found."
        if any(v["name"] == version["name"] for v in self.active()):
            return 409, "An active package version already exists with given name."
        del version["deleted_at"]
        return 204, None


class FakeGitHub:
    """Routes every request under /orgs/octo-org to the packages; records what was asked; optional per-request failures."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.packages: dict[tuple[str, str], FakePackage] = {}
        self.scopes = ALL_SCOPES
        self.fail_writes: dict[str, tuple[int, str, dict[str, str]]] = {}
        mock.get(f"{API}/users/octo-org", json={"login": "octo-org", "id": 9, "type": "Organization"}, headers=self.headers())
        route = re.compile(re.escape(API) + r"/orgs/octo-org/packages/.*")
        for method in ("GET", "DELETE", "POST"):
            mock.add_callback(method, route, callback=self.answer)
        mock.add_callback("GET", f"{REGISTRY}/token", callback=self.registry_token)
        mock.add_callback("GET", re.compile(re.escape(REGISTRY) + r"/v2/.*"), callback=self.registry_manifest)
        self.unreadable: dict[str, int] = {}
        self.mock = mock

    def registry_token(self, request: t.Any) -> tuple[int, dict[str, str], str]:
        expected = "Basic " + base64.b64encode(f"ghpkgs:{TOKEN}".encode()).decode()
        query = parse_qs(urlsplit(request.url).query)
        if request.headers.get("Authorization") != expected or query.get("service") != ["ghcr.io"]:
            return 401, {}, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        return 200, {"Content-Type": "application/json"}, json.dumps({"token": REGISTRY_BEARER})

    def registry_manifest(self, request: t.Any) -> tuple[int, dict[str, str], str | bytes]:
        match = re.fullmatch(r"/v2/octo-org/(.+)/manifests/(sha256:[0-9a-f]{64})", urlsplit(request.url).path)
        assert match, request.url
        repository, digest = match.groups()
        if request.headers.get("Authorization") != f"Bearer {REGISTRY_BEARER}":
            challenge = f'Bearer realm="{REGISTRY}/token",service="ghcr.io",scope="repository:octo-org/{repository}:pull"'
            return 401, {"WWW-Authenticate": challenge}, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        assert "application/vnd.oci.image.index.v1+json" in request.headers["Accept"]
        if digest in self.unreadable:
            return self.unreadable[digest], {}, json.dumps({"errors": [{"code": "UNKNOWN", "message": "unknown error reading manifest"}]})
        for (package_type, name), package in self.packages.items():
            if package_type == "container" and name.lower() == repository:
                active = {v["name"] for v in package.active()}
                if digest in active:
                    manifest = package.manifests[digest]
                    return 200, {"Content-Type": manifest["mediaType"], "Docker-Content-Digest": digest}, manifest_bytes(manifest)
        return 404, {}, json.dumps({"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})

    def manifest_reads(self) -> list[str]:
        return [urlsplit(c.request.url).path.rsplit("/", 1)[1] for c in self.mock.calls
                if c.request.url.startswith(REGISTRY + "/v2/") and c.response is not None and c.response.status_code == 200]

    def package(self, package_type: str, name: str, public: bool = False) -> FakePackage:
        self.packages[(package_type, name)] = FakePackage(package_type, name, public)
        return self.packages[(package_type, name)]

    def headers(self) -> dict[str, str]:
        return {"X-OAuth-Scopes": self.scopes, "Content-Type": "application/json"}

    def reply(self, status: int, body: t.Any = None, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        return status, {**self.headers(), **(extra or {})}, "" if body is None else json.dumps(body)

    def error(self, status: int, message: str, extra: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        return self.reply(status, {"message": message, "documentation_url": "https://docs.github.com/rest/packages"}, extra)

    def answer(self, request: t.Any) -> tuple[int, dict[str, str], str]:
        parts = urlsplit(request.url)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        match = re.fullmatch(r"/orgs/octo-org/packages/([^/]+)/([^/]+)(/versions(?:/(\d+))?)?(/restore)?", parts.path)
        assert match, parts.path
        package_type, name, versions, vid, restore = match.groups()
        package = self.packages.get((package_type, name.replace("%2F", "/")))
        if package is None or not package.exists and not (versions is not None and query.get("state") == "deleted"):
            return self.error(404, "Package not found.")
        if request.method in WRITES and request.method in self.fail_writes:
            status, message, extra = self.fail_writes[request.method]
            return self.error(status, message, extra)
        with package.lock:
            if request.method == "GET" and versions and vid is None:
                return self.page(package, query, parts.path)
            if request.method == "DELETE" and vid is not None:
                status, message = package.delete_version(int(vid))
            elif request.method == "POST" and vid is not None and restore:
                status, message = package.restore_version(int(vid))
            elif request.method == "DELETE" and versions is None:
                if package.public and any(package.downloads[v["id"]] > 5000 for v in package.active()):
                    status, message = 400, MSG_DOWNLOADS
                else:
                    package.exists = False
                    for version in package.active():
                        version["deleted_at"] = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
                    status, message = 204, None
            else:
                raise AssertionError(f"unexpected {request.method} {request.url}")
        return self.reply(status) if message is None else self.error(status, message)

    def page(self, package: FakePackage, query: dict[str, str], path: str) -> tuple[int, dict[str, str], str]:
        assert query.get("per_page") == "100"
        items = package.deleted() if query.get("state") == "deleted" else package.active()
        items = sorted(items, key=lambda v: v["id"], reverse=True)
        page = int(query.get("page", "1"))
        extra = {}
        if page * 100 < len(items):
            extra["Link"] = f'<{API}{path}?state={query.get("state", "active")}&per_page=100&page={page + 1}>; rel="next"'
        return self.reply(200, items[(page - 1) * 100:page * 100], extra)

    def calls(self, method: str | None = None) -> list[str]:
        """The API requests (registry requests are in manifest_reads)."""
        return [c.request.method + " " + urlsplit(c.request.url).path for c in self.mock.calls
                if method in (None, c.request.method) and c.request.url.startswith(API)]

    def writes(self) -> list[str]:
        return [c for c in self.calls() if c.split()[0] in WRITES]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_version, "utcnow", lambda: NOW)


@pytest.fixture
def gh() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGitHub(mock)


def run(args: dict[str, t.Any], check_mode: bool = False, diff: bool = False) -> Exited:
    full = {"token": TOKEN, "owner": "octo-org", "max_retries": 0, "points_per_minute": 0, **args}
    return run_main(package_version.main, full, TOKEN, check_mode, diff)


def outcomes(result: dict[str, t.Any]) -> dict[int, str]:
    return {v["id"]: v["outcome"] for v in result["versions"]}


def npm_package(gh: FakeGitHub) -> FakePackage:
    pkg = gh.package("npm", "web-client")
    for vid, name, age in [(1, "1.0.0", 40), (2, "1.1.0-rc.1", 35), (3, "1.1.0", 30), (4, "1.2.0-beta.1", 20),
                           (5, "1.2.0-beta.2", 15), (6, "1.2.0-rc.1", 10), (7, "1.2.0", 5), (8, "2.0.0-alpha", 1)]:
        pkg.add(vid, name, age)
    return pkg


def container_package(gh: FakeGitHub, public: bool = False) -> FakePackage:
    pkg = gh.package("container", "team/app", public)
    pkg.add(11, "sha256:aa", 60, ["pr-1"])
    pkg.add(12, "sha256:bb", 50, [])
    pkg.add(13, "sha256:cc", 45, ["pr-2", "latest"])
    pkg.add(14, "sha256:dd", 40, ["v1.0.0"])
    pkg.add(15, "sha256:ee", 20, ["pr-3"])
    pkg.add(16, "sha256:ff", 3, [])
    pkg.add(17, "sha256:11", 2, ["v1.1.0-rc.1"])
    return pkg


def test_refuses_absent_without_a_selector_before_any_request(gh: FakeGitHub) -> None:
    npm_package(gh)
    out = run({"package_type": "npm", "name": "web-client", "keep_latest": 3})
    assert out.failed
    assert "needs at least one selector" in out.result["msg"] and "versions: ['*']" in out.result["msg"]
    assert gh.calls() == []


@pytest.mark.parametrize("args, option", [
    ({"older_than": "3x"}, "older_than"),
    ({"versions": ["v[1"]}, "versions"),
    ({"tags": [""]}, "tags"),
    ({"versions": ["*"], "keep_latest": -1}, "keep_latest"),
    ({"versions": ["*"], "max_versions": 0}, "max_versions"),
    ({"versions": ["*"], "state": "present", "delete_package_when_empty": True}, "delete_package_when_empty"),
])
def test_bad_options_fail_naming_the_option_before_any_request(gh: FakeGitHub, args: dict[str, t.Any], option: str) -> None:
    out = run({"package_type": "npm", "name": "web-client", **args})
    assert out.failed and out.result["msg"].startswith(option)
    assert gh.calls() == []


@pytest.mark.parametrize("package_type", ["npm", "maven", "nuget", "rubygems"])
@pytest.mark.parametrize("args, option", [
    ({"untagged": True}, "untagged"),
    ({"untagged": False, "older_than": "1d"}, "untagged"),
    ({"tags": ["pr-*"]}, "tags"),
    ({"tags": ["*"], "untagged": False}, "tags and untagged"),
])
def test_tag_selectors_on_types_without_tags_are_refused_before_any_request(gh: FakeGitHub, package_type: str, args: dict[str, t.Any],
                                                                            option: str) -> None:
    gh.package(package_type, "lib").add(1, "1.0.0", 10)
    out = run({"package_type": package_type, "name": "lib", **args})
    assert out.failed
    assert out.result["msg"].startswith(f"{option}: {package_type} package versions have no tags")
    assert gh.calls() == []


def test_prerelease_on_types_without_tags_reads_the_name_and_is_allowed(gh: FakeGitHub) -> None:
    npm_package(gh)
    assert not run({"package_type": "npm", "name": "web-client", "prerelease": True}, check_mode=True).failed


def test_tags_select_a_version_only_when_all_its_tags_match(gh: FakeGitHub) -> None:
    pkg = container_package(gh)
    result = run({"package_type": "container", "name": "team/app", "tags": ["pr-*"], "manifest_graph": False}).result
    assert outcomes(result) == {11: "deleted", 13: "kept", 15: "deleted"}
    release = next(v for v in result["versions"] if v["id"] == 13)
    assert release["reason"].startswith("tag 'latest' is not selected by tags (pr-*)")
    assert "deleted_at" not in pkg.versions[13]
    assert result["counts"]["kept"] == 1 and result["counts"]["deleted"] == 2


def test_deletes_npm_prereleases_except_the_newest_3(gh: FakeGitHub) -> None:
    pkg = npm_package(gh)
    out = run({"package_type": "npm", "name": "web-client", "prerelease": True, "keep_latest": 3})
    result = out.result
    assert not out.failed and result["changed"]
    assert outcomes(result) == {2: "deleted", 4: "deleted", 5: "kept", 6: "kept", 8: "kept"}
    assert [v["id"] for v in result["versions"]] == [2, 4, 5, 6, 8]
    assert result["versions"][2]["reason"] == "among the 3 newest matching versions (keep_latest)"
    assert result["counts"] == {"matched": 5, "deleted": 2, "kept": 3, "skipped": 0, "restored": 0, "already_absent": 0,
                                "would_delete": 0, "would_restore": 0}
    assert result["deleted_version_ids"] == [2, 4]
    assert {v["id"] for v in pkg.active()} == {1, 3, 5, 6, 7, 8}
    assert sorted(gh.writes()) == ["DELETE /orgs/octo-org/packages/npm/web-client/versions/2",
                                   "DELETE /orgs/octo-org/packages/npm/web-client/versions/4"]
    assert (result["owner"], result["owner_type"], result["package_type"], result["name"]) == ("octo-org", "org", "npm", "web-client")


def test_second_identical_run_changes_nothing(gh: FakeGitHub) -> None:
    npm_package(gh)
    args = {"package_type": "npm", "name": "web-client", "prerelease": True, "keep_latest": 3}
    assert run(args).result["changed"]
    gh.mock.calls.reset()
    again = run(args).result
    assert not again["changed"]
    assert set(outcomes(again).values()) == {"kept"}
    assert gh.writes() == []


def test_pr_images_older_than_30_days_but_never_latest(gh: FakeGitHub) -> None:
    pkg = container_package(gh)
    result = run({"package_type": "container", "name": "team/app", "tags": ["pr-*"], "older_than": "30d", "exclude": ["latest"]}).result
    assert outcomes(result) == {11: "deleted", 13: "kept"}
    assert result["versions"][1]["reason"] == "excluded by pattern 'latest'"
    assert result["versions"][1]["tags"] == ["pr-2", "latest"]
    assert "deleted_at" not in pkg.versions[13] and "deleted_at" in pkg.versions[11]
    assert gh.writes() == ["DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/11"]


def test_untagged_older_than_7_days(gh: FakeGitHub) -> None:
    container_package(gh)
    result = run({"package_type": "container", "name": "team/app", "untagged": True, "older_than": 7}).result
    assert outcomes(result) == {12: "deleted"}


def test_keep_the_10_newest_tagged_releases(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    for i in range(1, 16):
        pkg.add(i, f"sha256:{i:02x}", 100 - i, [f"v1.{i}.0"])
        pkg.add(100 + i, f"sha256:1{i:02x}", 100 - i, [])
    result = run({"package_type": "container", "name": "app", "untagged": False, "keep_latest": 10}).result
    assert [i for i, o in outcomes(result).items() if o == "deleted"] == [1, 2, 3, 4, 5]
    assert [i for i, o in outcomes(result).items() if o == "kept"] == list(range(6, 16))
    assert len(pkg.active()) == 25


def test_version_ids_and_versions_globs_are_anded(gh: FakeGitHub) -> None:
    npm_package(gh)
    result = run({"package_type": "npm", "name": "web-client", "version_ids": [1, 2, 3, 99], "versions": ["1.1.*"]}).result
    assert outcomes(result) == {2: "deleted", 3: "deleted"}


def test_prerelease_false_on_containers_is_judged_on_tags(gh: FakeGitHub) -> None:
    container_package(gh)
    result = run({"package_type": "container", "name": "team/app", "prerelease": False, "tags": ["v*"]}).result
    assert outcomes(result) == {14: "deleted"}


def test_older_than_uses_updated_at(gh: FakeGitHub) -> None:
    pkg = gh.package("maven", "com.acme.core")
    pkg.add(1, "1.0", 90, updated_days=1)
    pkg.add(2, "1.1", 80)
    pkg.add(3, "1.2", 1)
    result = run({"package_type": "maven", "name": "com.acme.core", "older_than": "36h"}).result
    assert outcomes(result) == {2: "deleted"}


def test_age_from_created_at_deletes_an_old_image_that_was_re_tagged(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    pkg.add(1, "old", 90, ["pr-1"], updated_days=1)  # pushed 90 days ago, re-tagged yesterday
    pkg.add(2, "new", 1, ["v2"])
    args = {"package_type": "container", "name": "app", "older_than": "30d", "manifest_graph": False}
    assert outcomes(run(args, check_mode=True).result) == {}
    assert outcomes(run({**args, "age_from": "created_at"}).result) == {1: "deleted"}


def test_age_from_must_be_a_timestamp_field(gh: FakeGitHub) -> None:
    out = run({"package_type": "npm", "name": "web-client", "older_than": "1d", "age_from": "deleted_at"})
    assert out.failed and "age_from" in out.result["msg"] and gh.calls() == []


def test_max_versions_acts_on_the_oldest_and_skips_the_rest(gh: FakeGitHub) -> None:
    npm_package(gh)
    result = run({"package_type": "npm", "name": "web-client", "versions": ["*"], "exclude": ["1.0.0"], "keep_latest": 1,
                  "max_versions": 3}).result
    assert outcomes(result) == {1: "kept", 2: "deleted", 3: "deleted", 4: "deleted", 5: "skipped", 6: "skipped", 7: "skipped", 8: "kept"}
    assert result["versions"][4]["reason"] == "beyond max_versions=3; run again to continue"
    again = run({"package_type": "npm", "name": "web-client", "versions": ["*"], "exclude": ["1.0.0"], "keep_latest": 1,
                 "max_versions": 3}).result
    assert [i for i, o in outcomes(again).items() if o == "deleted"] == [5, 6, 7]


def test_check_mode_predicts_the_real_run_and_writes_nothing(gh: FakeGitHub) -> None:
    pkg = container_package(gh)
    args = {"package_type": "container", "name": "team/app", "older_than": "10d", "exclude": ["latest"]}
    predicted = run(args, check_mode=True).result
    assert gh.writes() == []
    assert len(pkg.active()) == 7
    assert predicted["changed"] and predicted["msg"].startswith("would delete 4 of 5")
    real = run(args).result
    assert {i: o.replace("would_", "") + ("d" if o.startswith("would_") else "") for i, o in outcomes(predicted).items()} == outcomes(real)
    assert predicted["counts"]["would_delete"] == real["counts"]["deleted"] == 4


def test_diff_mode_lists_active_versions_before_and_after(gh: FakeGitHub) -> None:
    pkg = gh.package("npm", "lib")
    pkg.add(1, "1.0.0", 10)
    pkg.add(2, "1.1.0-rc.1", 5)
    pkg.add(3, "1.1.0", 1)
    result = run({"package_type": "npm", "name": "lib", "prerelease": True}, check_mode=True, diff=True).result
    assert result["diff"] == {"before": "1.0.0 (id 1)\n1.1.0-rc.1 (id 2)\n1.1.0 (id 3)\n", "after": "1.0.0 (id 1)\n1.1.0 (id 3)\n"}
    assert gh.writes() == []


def test_last_npm_version_is_kept_with_the_reason(gh: FakeGitHub) -> None:
    pkg = gh.package("npm", "lib")
    pkg.add(1, "1.0.0", 10)
    pkg.add(2, "1.1.0", 5)
    result = run({"package_type": "npm", "name": "lib", "versions": ["*"]}).result
    assert outcomes(result) == {1: "deleted", 2: "kept"}
    assert "last version of the package" in result["versions"][1]["reason"]
    assert "delete_package_when_empty" in result["versions"][1]["reason"]
    assert pkg.exists and not result["package_deleted"]


def test_delete_package_when_empty_deletes_the_package_with_one_request(gh: FakeGitHub) -> None:
    pkg = gh.package("maven", "com.acme.old")
    for i in range(1, 6):
        pkg.add(i, f"1.{i}", 10 - i)
    args = {"package_type": "maven", "name": "com.acme.old", "versions": ["*"], "delete_package_when_empty": True}
    predicted = run(args, check_mode=True).result
    assert predicted["package_deleted"] and set(outcomes(predicted).values()) == {"would_delete"}
    result = run(args).result
    assert result["changed"] and result["package_deleted"] and not pkg.exists
    assert set(outcomes(result).values()) == {"deleted"} and result["deleted_version_ids"] == []
    assert gh.writes() == ["DELETE /orgs/octo-org/packages/maven/com.acme.old"]
    again = run(args).result
    assert not again["changed"] and not again["package_found"] and again["versions"] == []


def test_container_last_tagged_version_is_kept_when_the_package_would_take_unselected_versions(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    pkg.add(1, "sha256:01", 30, ["v1"])
    pkg.add(2, "sha256:02", 20, ["v2"])
    pkg.add(3, "sha256:03", 10, [])
    result = run({"package_type": "container", "name": "app", "tags": ["*"], "delete_package_when_empty": True}).result
    assert outcomes(result) == {1: "deleted", 2: "kept"}
    reason = result["versions"][1]["reason"]
    assert "last tagged version" in reason and "1 active version(s) outside the selection" in reason
    assert pkg.exists and gh.writes() == ["DELETE /orgs/octo-org/packages/container/app/versions/1"]


def test_downloads_rule_skips_with_githubs_reason_warns_and_carries_on(gh: FakeGitHub, warnings: list[str]) -> None:
    pkg = gh.package("npm", "popular", public=True)
    pkg.add(1, "1.0.0", 30, downloads=9000)
    pkg.add(2, "1.1.0", 20)
    pkg.add(3, "1.2.0", 10, downloads=6000)
    pkg.add(4, "2.0.0", 1)
    out = run({"package_type": "npm", "name": "popular", "older_than": "5d"})
    assert not out.failed and out.result["changed"]
    assert outcomes(out.result) == {1: "skipped", 2: "deleted", 3: "skipped"}
    assert out.result["versions"][0]["reason"] == MSG_DOWNLOADS
    assert len(warnings) == 1 and "2 version(s)" in warnings[0] and "ids 1, 3" in warnings[0] and "5000 downloads" in warnings[0]


def test_package_delete_refused_falls_back_to_keeping_the_last_version(gh: FakeGitHub, warnings: list[str]) -> None:
    pkg = gh.package("npm", "popular", public=True)
    pkg.add(1, "1.0.0", 30)
    pkg.add(2, "1.1.0", 20, downloads=7000)
    result = run({"package_type": "npm", "name": "popular", "versions": ["*"], "delete_package_when_empty": True}).result
    assert outcomes(result) == {1: "deleted", 2: "kept"}
    assert MSG_DOWNLOADS in result["versions"][1]["reason"] and not result["package_deleted"]
    assert any("refused to delete the package" in w for w in warnings)
    assert pkg.exists


def test_a_version_already_gone_is_already_absent_not_an_error(gh: FakeGitHub) -> None:
    pkg = gh.package("npm", "lib")
    pkg.add(1, "1.0.0", 10)
    pkg.add(2, "1.1.0", 5)
    pkg.add(3, "1.2.0", 1)
    original = pkg.delete_version

    def racing_delete(vid: int) -> tuple[int, str | None]:
        if vid == 1:
            return 404, "Package version not found."
        return original(vid)

    pkg.delete_version = racing_delete  # type: ignore[method-assign]
    result = run({"package_type": "npm", "name": "lib", "version_ids": [1]}).result
    assert outcomes(result) == {1: "already_absent"}
    assert not result["changed"] and result["counts"]["already_absent"] == 1 and result["deleted_version_ids"] == []


def test_missing_delete_scope_stops_after_the_first_delete(gh: FakeGitHub) -> None:
    npm_package(gh)
    gh.scopes = "read:packages"
    gh.fail_writes["DELETE"] = (403, "Permission denied", {"X-Accepted-OAuth-Scopes": "delete:packages"})
    out = run({"package_type": "npm", "name": "web-client", "versions": ["*"], "max_concurrency": 4})
    assert out.failed
    assert out.result["missing_scopes"] == ["delete:packages"]
    assert "delete:packages" in out.result["msg"]
    assert len(gh.writes()) == 1
    assert not out.result["changed"] and out.result["counts"]["deleted"] == 0
    assert {v["reason"] for v in out.result["versions"] if v["outcome"] == "skipped"} == {package_version.NOT_ATTEMPTED}


def test_sso_required_fails_with_the_authorization_url(gh: FakeGitHub) -> None:
    npm_package(gh)
    url = "https://github.com/orgs/octo-org/sso?authorization_request=abc"
    gh.fail_writes["DELETE"] = (403, "Resource protected by organization SAML enforcement.", {"X-GitHub-SSO": f"required; url={url}"})
    out = run({"package_type": "npm", "name": "web-client", "versions": ["1.0.0"]})
    assert out.failed and out.result["sso_url"] == url


def test_missing_package_is_already_clean_for_absent_and_an_error_for_present(gh: FakeGitHub, warnings: list[str]) -> None:
    result = run({"package_type": "npm", "name": "nope", "versions": ["*"]}).result
    assert not result["changed"] and not result["package_found"] and result["counts"]["matched"] == 0
    assert result["msg"].startswith("package nope (npm) not found for the org octo-org, so nothing was deleted: it does not exist, "
                                    "or the token's user cannot see it")
    assert warnings == [result["msg"]]
    out = run({"package_type": "npm", "name": "nope", "state": "present", "versions": ["*"]})
    assert out.failed and "package_restore" in out.result["msg"] and out.result["status"] == 404


def test_restore_selected_deleted_versions_then_nothing_to_do(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    pkg.add(1, "sha256:01", 30, ["v1"])
    pkg.add(2, "sha256:02", 20, [], deleted_days=2)
    pkg.add(3, "sha256:03", 10, ["pr-9"], deleted_days=1)
    pkg.add(4, "sha256:04", 5, ["pr-10"], deleted_days=1)
    args = {"package_type": "container", "name": "app", "state": "present", "tags": ["pr-*"]}
    predicted = run(args, check_mode=True, diff=True).result
    assert outcomes(predicted) == {3: "would_restore", 4: "would_restore"} and gh.writes() == []
    names = {vid: pkg.versions[vid]["name"] for vid in (1, 3, 4)}
    assert predicted["diff"]["after"] == f"{names[1]} (id 1; tags: v1)\n{names[3]} (id 3; tags: pr-9)\n{names[4]} (id 4; tags: pr-10)\n"
    result = run(args).result
    assert outcomes(result) == {3: "restored", 4: "restored"} and result["changed"]
    assert result["versions"][0]["deleted_at"] == days_ago(1)
    assert {v["id"] for v in pkg.active()} == {1, 3, 4}
    again = run(args).result
    assert not again["changed"] and again["versions"] == []


def test_restore_conflict_is_skipped_with_githubs_reason(gh: FakeGitHub, warnings: list[str]) -> None:
    pkg = gh.package("npm", "lib")
    pkg.add(1, "1.0.0", 30, deleted_days=3)
    pkg.add(2, "1.0.0", 2)
    pkg.add(3, "0.9.0", 40, deleted_days=3)
    result = run({"package_type": "npm", "name": "lib", "state": "present", "versions": ["*"]}).result
    assert outcomes(result) == {3: "restored", 1: "skipped"}
    assert "already exists" in result["versions"][1]["reason"] and warnings


def test_one_listing_page_per_100_versions_plus_one_request_per_change(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "ci/cache")
    for i in range(1, 251):
        pkg.add(i, f"sha256:{i:04x}", 300.5 - i, [f"build-{i}"])
    result = run({"package_type": "container", "name": "ci/cache", "older_than": "100d", "max_concurrency": 8, "manifest_graph": False}).result
    assert result["counts"]["deleted"] == 200
    listing = gh.calls("GET")
    assert listing.count("GET /orgs/octo-org/packages/container/ci%2Fcache/versions") == 3
    assert len(gh.calls()) == 1 + 3 + 200  # owner lookup, listing pages, deletions
    assert [v["id"] for v in result["versions"]] == list(range(1, 201))
    assert gh.manifest_reads() == [] and result["manifests_read"] == 0


@pytest.mark.parametrize("state", ["absent", "present"])
def test_a_misspelt_owner_with_owner_type_fails_naming_the_owner_and_the_type(gh: FakeGitHub, state: str) -> None:
    gh.mock.get(f"{API}/orgs/octo-orq/packages/npm/web-client/versions", status=404, json={"message": "Not Found"})
    gh.mock.get(f"{API}/users/octo-orq", status=404, json={"message": "Not Found"})
    out = run({"owner": "octo-orq", "owner_type": "org", "package_type": "npm", "name": "web-client", "versions": ["*"], "state": state})
    assert out.failed and out.result["status"] == 404
    assert out.result["msg"].startswith("owner: no organization 'octo-orq' on https://api.github.com (owner_type org; "
                                        "GET /users/octo-orq answered 404); check the spelling and owner_type")


def test_a_misspelt_owner_with_owner_type_auto_fails_naming_the_owner(gh: FakeGitHub) -> None:
    gh.mock.get(f"{API}/users/octo-orq", status=404, json={"message": "Not Found"})
    out = run({"owner": "octo-orq", "package_type": "npm", "name": "web-client", "versions": ["*"]})
    assert out.failed and out.result["msg"].startswith("owner: no user or organization 'octo-orq' on https://api.github.com (owner_type auto")
    assert gh.calls() == ["GET /users/octo-orq"]


def test_an_owner_of_the_other_type_fails_naming_the_right_owner_type(gh: FakeGitHub) -> None:
    gh.mock.get(f"{API}/users/octo-org/packages/npm/web-client/versions", status=404, json={"message": "Not Found"})
    out = run({"owner_type": "user", "package_type": "npm", "name": "web-client", "versions": ["*"]})
    assert out.failed
    assert out.result["msg"] == "owner_type: 'octo-org' is an organization, not a user; set owner_type: org, or auto"
    assert gh.writes() == []


# ---------------------------------------------------------------- issue 21: superseded, re:PATTERN, keep_rules, keep_digests

def reasons(result: dict[str, t.Any]) -> dict[int, tuple[str, str | None]]:
    return {v["id"]: (v["outcome"], v["reason"]) for v in result["versions"]}


def test_superseded_deletes_prereleases_whose_release_is_out_and_says_which(gh: FakeGitHub) -> None:
    pkg = npm_package(gh)
    args = {"package_type": "npm", "name": "web-client", "superseded": True}
    planned = run(args, check_mode=True).result
    assert gh.writes() == []
    assert reasons(planned) == {2: ("would_delete", "superseded by 1.1.0"), 4: ("would_delete", "superseded by 1.2.0"),
                                5: ("would_delete", "superseded by 1.2.0"), 6: ("would_delete", "superseded by 1.2.0")}
    done = run(args).result
    assert reasons(done) == {i: ("deleted", why) for i, (dummy, why) in reasons(planned).items()}
    assert {v["id"] for v in pkg.active()} == {1, 3, 7, 8}  # 2.0.0-alpha has no 2.0.0 yet


def test_superseded_container_tags_with_regular_expression_exclude(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    pkg.add(1, "rc1", 30, ["v1.2.4-rc.1"])
    pkg.add(2, "rc2", 20, ["v1.2.4-rc.2", "keep-me-7"])
    pkg.add(3, "final", 10, ["v1.2.4", "latest"])
    pkg.add(4, "next", 5, ["v1.3.0-rc.1"])
    result = run({"package_type": "container", "name": "app", "superseded": True, "exclude": [r"re:keep-me-[0-9]+"],
                  "manifest_graph": False}).result
    assert reasons(result) == {1: ("deleted", "superseded by v1.2.4"), 2: ("kept", "excluded by pattern 're:keep-me-[0-9]+'")}
    assert {v["id"] for v in pkg.active()} == {2, 3, 4}


def test_keep_rules_keep_releases_pull_requests_and_recent_builds_and_name_the_rule(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "app")
    for i in range(1, 5):
        pkg.add(i, f"release-{i}", 50 - i, [f"v1.{i}.0"])
        pkg.add(10 + i, f"pr-{i}", 30 - i, [f"pr-{i}"])
    pkg.add(21, "untagged-old", 20, [])
    pkg.add(22, "untagged-new", 2, [])
    rules = [{"name": "releases", "tags": [r"re:v[0-9]+\.[0-9]+\.[0-9]+"], "keep_latest": 2},
             {"tags": ["pr-*"], "keep_latest": 1}, {"name": "recent", "untagged": True, "younger_than": "7d"}]
    result = run({"package_type": "container", "name": "app", "versions": ["*"], "keep_rules": rules, "manifest_graph": False},
                 check_mode=True).result
    assert reasons(result) == {
        1: ("would_delete", None), 2: ("would_delete", None),
        3: ("kept", "rule releases (2 newest re:v[0-9]+\\.[0-9]+\\.[0-9]+)"), 4: ("kept", "rule releases (2 newest re:v[0-9]+\\.[0-9]+\\.[0-9]+)"),
        11: ("would_delete", None), 12: ("would_delete", None), 13: ("would_delete", None), 14: ("kept", "rule keep_rules[1] (1 newest pr-*)"),
        21: ("would_delete", None), 22: ("kept", "rule recent (untagged younger than 7d)"),
    }
    assert gh.writes() == [] and len(pkg.active()) == 10


@pytest.mark.parametrize("args, message", [
    ({"tags": ["re:v[0-9"]}, "tags: 're:v[0-9' is not a valid regular expression: unterminated character set at position 1"),
    ({"versions": ["*"], "exclude": ["re:"]}, "exclude: 're:' has no regular expression after 're:'"),
    ({"versions": ["*"], "keep_rules": [{"tags": ["v*"], "keep_latest": 2, "younger_than": "1d"}]},
     "keep_rules[0]: give keep_latest or younger_than, not both"),
    ({"versions": ["*"], "keep_rules": [{"versions": ["re:("]}]}, "keep_rules[0].versions: 're:(' is not a valid regular expression"),
    ({"superseded": True, "state": "present"}, "superseded: compares a pre-release with the releases still in the package"),
    ({"package_type": "npm", "versions": ["*"], "keep_digests": ["sha256:" + "a" * 64]}, "keep_digests: npm package versions are not images"),
    ({"versions": ["*"], "keep_digests": ["ghcr.io/acme/app:v1"]}, "keep_digests: 'ghcr.io/acme/app:v1' is not an image digest"),
    ({"package_type": "npm", "versions": ["*"], "keep_rules": [{"tags": ["v*"]}]}, "keep_rules[0].tags: npm package versions have no tags"),
])
def test_bad_retention_options_fail_naming_the_option_and_the_pattern_before_any_request(gh: FakeGitHub, args: dict[str, t.Any],
                                                                                         message: str) -> None:
    out = run({"package_type": "container", "name": "app", **args})
    assert out.failed and out.result["msg"].startswith(message), out.result["msg"]
    assert gh.calls() == []
