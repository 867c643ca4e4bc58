# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ghpkgs.registry.package_version against the shared fake of GitHub's Packages API (github_fake.py, HTTP mocked with responses)."""

from __future__ import annotations

import typing as t
from datetime import datetime, timedelta, timezone

import pytest
import responses
from ansible.module_utils.testing import patch_module_args

from ansible_collections.ghpkgs.registry.plugins.module_utils import _versions
from ansible_collections.ghpkgs.registry.plugins.modules import package_version
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules import github_fake
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.github_fake import (  # noqa: F401 pylint: disable=unused-import
    API,
    MSG_DOWNLOADS,
    MSG_LAST_TAGGED,
    MSG_LAST_VERSION,
    REGISTRY,
    FakePackage,
    digest_of,
    image,
    index,
)
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main

TOKEN = "ghp_PackageVersionUnitSecret0123456789abcd"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


def days_ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub(github_fake.FakeGitHub):
    """The shared fake: the org octo-org on this file's clock; the registry takes this file's token."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        super().__init__(mock, owner="octo-org", now=NOW, token=TOKEN)

    def writes(self) -> list[str]:
        return self.write_calls()


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


def test_a_value_error_that_is_no_option_error_is_a_traceback_not_a_tidy_failure(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    npm_package(gh)

    def broken(*args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise ValueError("a bug in the planner")

    monkeypatch.setattr(_versions, "plan", broken)
    args = {"token": TOKEN, "owner": "octo-org", "max_retries": 0, "points_per_minute": 0, "package_type": "npm", "name": "web-client",
            "versions": ["*"]}
    with patch_module_args(args), pytest.raises(ValueError, match="a bug in the planner"):
        package_version.main()


def popular_package(gh: FakeGitHub) -> FakePackage:
    """older_than 5d and keep_latest 1 select 1 to 3: 1 is refused (downloads), 2 deleted, 3 kept; 4 is not selected."""
    pkg = gh.package("npm", "popular", public=True)
    pkg.add(1, "1.0.0", 30, downloads=9000)
    pkg.add(2, "1.1.0", 20)
    pkg.add(3, "1.2.0", 10)
    pkg.add(4, "2.0.0", 1)
    return pkg


POPULAR = {"package_type": "npm", "name": "popular", "older_than": "5d", "keep_latest": 1}


@pytest.mark.parametrize("return_versions, check_mode, returned", [
    ("all", False, {1: "skipped", 2: "deleted", 3: "kept"}),
    ("changed", False, {1: "skipped", 2: "deleted"}),
    ("changed", True, {1: "would_delete", 2: "would_delete"}),
    ("none", False, None),
])
def test_return_versions_bounds_the_versions_listed_not_the_counts_or_the_work(gh: FakeGitHub, return_versions: str, check_mode: bool,
                                                                               returned: dict[int, str] | None) -> None:
    pkg = popular_package(gh)
    result = run(dict(POPULAR, return_versions=return_versions), check_mode=check_mode).result
    if returned is None:
        assert "versions" not in result
    else:
        assert outcomes(result) == returned
    done = {"would_delete": 2} if check_mode else {"deleted": 1, "skipped": 1}
    assert result["counts"] == dict({"matched": 3, "deleted": 0, "restored": 0, "kept": 1, "skipped": 0, "already_absent": 0,
                                     "would_delete": 0, "would_restore": 0}, **done)
    assert result["deleted_version_ids"] == ([] if check_mode else [2])
    assert {v["id"] for v in pkg.active()} == ({1, 2, 3, 4} if check_mode else {1, 3, 4})


def test_return_versions_all_is_the_default_result(gh: FakeGitHub) -> None:
    popular_package(gh)
    assert run(dict(POPULAR, return_versions="all"), check_mode=True).result == run(POPULAR, check_mode=True).result


@pytest.mark.parametrize("return_versions, returned", [("all", ["skipped"] * 7 + ["kept"]), ("changed", ["skipped"] * 7), ("none", None)])
def test_return_versions_bounds_a_failed_result_too(gh: FakeGitHub, return_versions: str, returned: list[str] | None) -> None:
    npm_package(gh)
    gh.scopes = "read:packages"
    gh.fail_writes["DELETE"] = (403, "Permission denied", {"X-Accepted-OAuth-Scopes": "delete:packages"})
    out = run({"package_type": "npm", "name": "web-client", "versions": ["*"], "return_versions": return_versions})
    # The first delete fails, so the 7 versions to delete are skipped (failed or not attempted); the newest is kept as the last.
    assert out.failed and out.result["missing_scopes"] == ["delete:packages"] and out.result["counts"]["skipped"] == 7
    if returned is None:
        assert "versions" not in out.result
    else:
        assert [v["outcome"] for v in out.result["versions"]] == returned


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


def test_a_malformed_answer_from_github_is_a_failure_naming_it_not_a_traceback(gh: FakeGitHub) -> None:
    pkg = npm_package(gh)
    del pkg.versions[3]["name"]
    out = run({"package_type": "npm", "name": "web-client", "versions": ["*"]})
    assert out.failed and out.result["msg"] == "package version 3: the API answer lacks 'name'"
    assert gh.writes() == []
