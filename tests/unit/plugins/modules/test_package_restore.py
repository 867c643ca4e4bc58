# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t
from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import responses


from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._report import build_report, write_report
from ansible_collections.ghpkgs.registry.plugins.modules import package_restore
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules import github_fake
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.github_fake import FakePackage, version
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main

API = github_fake.API
TOKEN = "ghp_RestoreUnitTestSecret0123456789abcdef"
RESTORE_TOKEN = "rt-5ecret-restore-token"
NOW = datetime(2026, 11, 22, 3, 0, 0, tzinfo=timezone.utc)


class FakeGitHub(github_fake.FakeGitHub):
    """The shared fake for the org octo-org on this file's clock; writes are "METHOD PATH"."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        super().__init__(mock, owner="octo-org", now=NOW)

    @property
    def writes(self) -> t.List[str]:
        return self.write_calls()


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_restore, "_now", lambda: NOW)


@pytest.fixture
def gh() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGitHub(mock)


def run(args: t.Dict[str, t.Any], check_mode: bool = False) -> Exited:
    full = {"token": TOKEN, "max_retries": 0, "points_per_minute": 0, "owner": "octo-org", **args}
    return run_main(package_restore.main, full, TOKEN, check_mode)


def outcomes(result: t.Dict[str, t.Any]) -> t.Dict[t.Any, str]:
    return {(item["package"], item["version_id"]): item["outcome"] for item in result["restores"]}


def app(gh: FakeGitHub) -> FakePackage:
    """team/app: 1 and 2 active; 3, 4, 5 deleted (5 long ago, GitHub refuses it); 6 deleted but its name is active again as 2."""
    return gh.add(FakePackage("container", "team/app", 100, [
        version(1, "sha256:aaa1", ["v1.0.0"]),
        version(2, "sha256:dup", ["v2.0.0"]),
        version(3, "sha256:ccc3", ["v1.1.0"], deleted_at="2026-11-22T01:00:00Z"),
        version(4, "sha256:ddd4", [], deleted_at="2026-11-21T01:00:00Z"),
        version(5, "sha256:eee5", ["v0.9.0"], deleted_at="2026-10-01T00:00:00Z", _expired=True),
        version(6, "sha256:dup", ["old"], deleted_at="2026-11-20T00:00:00Z"),
    ]))


def restore_posts(gh: FakeGitHub) -> t.List[str]:
    return [w for w in gh.writes if w.startswith("POST")]


# ---- versions of one package --------------------------------------------------------------------

def test_restores_the_given_version_ids_only(gh: FakeGitHub) -> None:
    app(gh)
    result = run({"package_type": "container", "name": "team/app", "version_ids": [3, 4]}).result
    assert result["changed"] is True
    assert outcomes(result) == {("team/app", 3): "restored", ("team/app", 4): "restored"}
    assert result["counts"] == {"restored": 2, "already_present": 0, "failed": 0}
    assert sorted(restore_posts(gh)) == ["POST /orgs/octo-org/packages/container/team%2Fapp/versions/3/restore",
                                         "POST /orgs/octo-org/packages/container/team%2Fapp/versions/4/restore"]
    assert gh.find("container", "team/app").versions[3].get("deleted_at") is None
    item = next(i for i in result["restores"] if i["version_id"] == 3)
    assert item == {"package_type": "container", "package": "team/app", "version_id": 3, "version": "sha256:ccc3", "tags": ["v1.1.0"],
                    "deleted_at": "2026-11-22T01:00:00Z", "outcome": "restored", "reason": None}


def test_second_run_is_already_present_and_sends_no_write(gh: FakeGitHub) -> None:
    app(gh)
    run({"package_type": "container", "name": "team/app", "version_ids": [3, 4]})
    gh.mock.calls.reset()
    result = run({"package_type": "container", "name": "team/app", "version_ids": [3, 4]}).result
    assert result["changed"] is False
    assert outcomes(result) == {("team/app", 3): "already_present", ("team/app", 4): "already_present"}
    assert gh.writes == []


def test_check_mode_predicts_the_real_run_exactly_without_writing(gh: FakeGitHub) -> None:
    app(gh)
    args = {"package_type": "container", "name": "team/app", "versions": ["sha256:*"], "deleted_after": "2026-11-19T00:00:00Z"}
    predicted = run(args, check_mode=True)
    assert gh.writes == []
    real = run(args)
    assert predicted.failed and real.failed  # version 6 cannot come back while 2 holds its name
    assert outcomes(predicted.result) == outcomes(real.result)
    assert predicted.result["counts"] == real.result["counts"] == {"restored": 2, "already_present": 2, "failed": 1}
    assert "would restore 2" in predicted.result["msg"]


def test_a_name_taken_again_is_predicted_and_not_attempted(gh: FakeGitHub) -> None:
    app(gh)
    exited = run({"package_type": "container", "name": "team/app", "version_ids": [6, 3]})
    assert exited.failed
    assert outcomes(exited.result) == {("team/app", 6): "failed", ("team/app", 3): "restored"}
    failed = next(i for i in exited.result["restores"] if i["version_id"] == 6)
    assert "same name exists again (id 2)" in failed["reason"] and "delete that one first" in failed["reason"]
    assert "versions/6/restore" not in " ".join(gh.writes)
    assert "team/app version 6" in exited.result["msg"]


def test_tags_glob_and_deleted_after_duration_are_anded(gh: FakeGitHub) -> None:
    app(gh)
    # 3 (v1.1.0, 2 h ago) matches both; 5 (v0.9.0) matches the tag but was deleted long ago; 4 has no tag.
    result = run({"package_type": "container", "name": "team/app", "tags": ["v*"], "deleted_after": "3h"}).result
    restored = [i["version_id"] for i in result["restores"] if i["outcome"] == "restored"]
    assert restored == [3]
    # Active versions that match the identity selectors are reported as already present.
    assert sorted(i["version_id"] for i in result["restores"] if i["outcome"] == "already_present") == [1, 2]


def test_deleted_after_alone_does_not_list_active_versions(gh: FakeGitHub) -> None:
    app(gh)
    result = run({"package_type": "container", "name": "team/app", "deleted_after": "2026-11-21T00:00:00Z"}).result
    assert outcomes(result) == {("team/app", 4): "restored", ("team/app", 3): "restored"}
    assert gh.listings == ["team/app deleted"]


def test_an_expired_version_fails_with_the_30_day_reason_and_the_rest_is_restored(gh: FakeGitHub) -> None:
    app(gh)
    exited = run({"package_type": "container", "name": "team/app", "version_ids": [5, 4, 999]})
    assert exited.failed
    assert outcomes(exited.result) == {("team/app", 5): "failed", ("team/app", 4): "restored", ("team/app", 999): "failed"}
    reasons = {i["version_id"]: i["reason"] for i in exited.result["restores"]}
    assert "GitHub answered 404" in reasons[5] and "30 days" in reasons[5] and "publish it again" in reasons[5]
    assert "not among the package's deleted or active versions" in reasons[999]
    assert exited.result["counts"] == {"restored": 1, "already_present": 0, "failed": 2}
    assert exited.result["changed"] is True


def multi(gh: FakeGitHub, index_tags: t.Sequence[str]) -> FakePackage:
    """multi: index 10 deleted along with its platform manifest 11 (untagged); 12 active."""
    return gh.add(FakePackage("container", "multi", 7, [
        version(10, "sha256:index", index_tags, deleted_at="2026-11-22T00:00:00Z"),
        version(11, "sha256:amd64", [], deleted_at="2026-11-22T00:00:00Z", _with=10),
        version(12, "sha256:keep", ["latest"]),
    ]))


def test_the_manifests_of_a_tagged_index_are_restored_before_it_with_one_post_each(gh: FakeGitHub) -> None:
    multi(gh, ["v1"])
    result = run({"package_type": "container", "name": "multi", "version_ids": [10, 11], "max_concurrency": 4}).result
    assert outcomes(result) == {("multi", 10): "restored", ("multi", 11): "restored"}
    assert [i["version_id"] for i in result["restores"]] == [10, 11]  # oldest first, whatever the order of the restores
    assert [r for r in gh.requests if "/versions/" in r] == ["POST /orgs/octo-org/packages/container/multi/versions/11/restore",
                                                             "POST /orgs/octo-org/packages/container/multi/versions/10/restore"]


def test_a_child_restored_along_with_its_index_counts_as_restored(gh: FakeGitHub) -> None:
    multi(gh, [])  # an untagged index: nothing tells it from its manifests, so it may come first and bring 11 back
    result = run({"package_type": "container", "name": "multi", "version_ids": [10, 11], "max_concurrency": 1}).result
    assert outcomes(result) == {("multi", 10): "restored", ("multi", 11): "restored"}
    child = next(i for i in result["restores"] if i["version_id"] == 11)
    assert "multi-arch index" in child["reason"]


def test_a_version_selector_on_a_deleted_package_says_to_restore_the_package_first(gh: FakeGitHub) -> None:
    gh.add(FakePackage("npm", "gone", 8, [version(20, "1.0.0", deleted_at="2026-11-22T00:00:00Z")], deleted_at="2026-11-22T00:00:00Z"))
    exited = run({"package_type": "npm", "name": "gone", "versions": ["1.*"]})
    assert exited.failed
    assert "without version selectors" in exited.result["restores"][0]["reason"]
    assert gh.writes == []


def test_missing_write_scope_is_named_and_results_so_far_are_kept(gh: FakeGitHub) -> None:
    app(gh)
    gh.scopes = "read:packages, delete:packages"
    gh.overrides[("POST", "/orgs/octo-org/packages/container/team%2Fapp/versions/3/restore")] = (404, "Not Found")
    exited = run({"package_type": "container", "name": "team/app", "version_ids": [3]})
    assert exited.failed
    assert exited.result["missing_scopes"] == ["write:packages"]
    assert "write:packages" in exited.result["msg"]


# ---- the package itself -------------------------------------------------------------------------

def test_restores_a_deleted_package_with_the_restore_token_kept_secret(gh: FakeGitHub) -> None:
    gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0", deleted_at="2026-11-21T00:00:00Z")], deleted_at="2026-11-21T00:00:00Z"))
    target = gh.add(FakePackage("npm", "lib", 31, [version(41, "2.0.0", deleted_at="2026-11-22T00:00:00Z")], deleted_at="2026-11-22T00:00:00Z"))
    target.restore_token = RESTORE_TOKEN
    result = run({"package_type": "npm", "name": "lib", "restore_token": RESTORE_TOKEN}).result
    assert result["changed"] is True
    assert outcomes(result) == {("lib", None): "restored"}
    assert target.deleted_at is None
    post = next(call.request.url for call in gh.mock.calls if call.request.method == "POST")
    assert parse_qs(urlsplit(post).query) == {"token": [RESTORE_TOKEN]}
    assert RESTORE_TOKEN not in json.dumps(result)


def test_an_active_package_without_a_deleted_one_behind_its_name_is_already_present(gh: FakeGitHub) -> None:
    app(gh)
    result = run({"package_type": "container", "name": "team/app"}).result
    assert result["changed"] is False
    assert outcomes(result) == {("team/app", None): "already_present"}
    assert result["restores"][0]["reason"] is None
    # Only a restore can tell that no deleted package waits behind the name: GitHub answers 404 and nothing changes.
    assert gh.writes == ["POST /orgs/octo-org/packages/container/team%2Fapp/restore"]


def taken(gh: FakeGitHub) -> FakePackage:
    """lib: deleted (id 30), and a new, active lib (id 77) published since."""
    deleted = gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0")], deleted_at="2026-11-21T00:00:00Z"))
    deleted.restore_token = RESTORE_TOKEN
    gh.add(FakePackage("npm", "lib", 77, [version(90, "9.0.0")]))
    return deleted


@pytest.mark.parametrize("restore_token", [None, RESTORE_TOKEN])
def test_a_name_taken_by_another_package_fails_naming_it_and_the_way_out(gh: FakeGitHub, restore_token: t.Optional[str]) -> None:
    deleted = taken(gh)
    exited = run({"package_type": "npm", "name": "lib", "restore_token": restore_token})
    assert exited.failed and exited.result["changed"] is False
    assert outcomes(exited.result) == {("lib", None): "failed"}
    reason = exited.result["restores"][0]["reason"]
    assert reason.startswith("the name is taken by another, active package (id 77), so the deleted package is still deleted")
    assert "delete the new package first (ghpkgs.registry.package with state=absent), then run this again" in reason
    assert reason in exited.result["msg"]
    assert deleted.deleted_at and gh.find("npm", "lib").id == 77
    assert gh.writes == ["POST /orgs/octo-org/packages/npm/lib/restore"]


def test_check_mode_cannot_tell_an_active_package_from_a_taken_name_and_says_so(gh: FakeGitHub) -> None:
    taken(gh)
    result = run({"package_type": "npm", "name": "lib"}, check_mode=True).result
    assert result["changed"] is False
    assert outcomes(result) == {("lib", None): "already_present"}
    reason = result["restores"][0]["reason"]
    assert "an active package of this name exists (id 77)" in reason and "only the restore itself tells" in reason
    assert gh.writes == []


def test_a_409_while_no_package_was_active_names_the_package_that_took_the_name(gh: FakeGitHub) -> None:
    taken(gh)
    gh.find("npm", "lib").deleted_at = "2026-11-22T02:00:00Z"  # inactive when read: the restore is sent, then someone publishes
    original = gh.restore_package

    def publish_first(*args: t.Any) -> t.Tuple[int, t.Dict[str, str], str]:
        gh.packages[-1].deleted_at = None
        return original(*args)

    gh.restore_package = publish_first  # type: ignore[method-assign]
    exited = run({"package_type": "npm", "name": "lib", "restore_token": RESTORE_TOKEN})
    assert exited.failed
    assert "taken by another, active package (id 77)" in exited.result["restores"][0]["reason"]


@pytest.mark.parametrize("twin", [False, True])
def test_a_package_restore_whose_answer_is_lost_is_confirmed(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch, twin: bool) -> None:
    monkeypatch.setattr(GitHubPackagesClient, "_backoff", lambda self, retries: 0.0)
    if twin:  # an older deleted lib: the repeated restore meets it (409) instead of nothing (404)
        gh.add(FakePackage("npm", "lib", 29, [version(39, "0.1.0")], deleted_at="2026-11-20T00:00:00Z"))
    gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0")], deleted_at="2026-11-21T00:00:00Z"))
    gh.lost_once.add(("POST", "/orgs/octo-org/packages/npm/lib/restore"))
    result = run({"package_type": "npm", "name": "lib", "max_retries": 1}).result
    assert outcomes(result) == {("lib", None): "restored"} and result["changed"] is True
    assert restore_posts(gh) == ["POST /orgs/octo-org/packages/npm/lib/restore"] * 2
    assert gh.find("npm", "lib").id == 30


def test_check_mode_predicts_a_package_restore_with_a_note_and_no_write(gh: FakeGitHub) -> None:
    gh.add(FakePackage("npm", "lib", 30, [], deleted_at="2026-11-21T00:00:00Z"))
    result = run({"package_type": "npm", "name": "lib"}, check_mode=True).result
    assert result["changed"] is True
    assert outcomes(result) == {("lib", None): "restored"}
    assert "only the restore itself tells" in result["restores"][0]["reason"]
    assert gh.writes == []


def test_a_package_gone_for_good_fails_saying_why_and_what_to_do(gh: FakeGitHub) -> None:
    exited = run({"package_type": "npm", "name": "never"})
    assert exited.failed
    reason = exited.result["restores"][0]["reason"]
    assert "GitHub answered 404" in reason and "30 days" in reason and "publish it again" in reason
    assert exited.result["changed"] is False


# ---- from a report ------------------------------------------------------------------------------

def report_file(tmp_path: t.Any, packages: t.List[t.Dict[str, t.Any]], **overrides: t.Any) -> str:
    args = {"api_url": API, "owner": "octo-org", "owner_type": "org", "dry_run": False, "packages": packages}
    args.update(overrides)
    path = str(tmp_path / "report.json")
    write_report(path, build_report(**args))
    return path


def rv(vid: int, name: str, tags: t.Sequence[str] = ()) -> t.Dict[str, t.Any]:
    return {"id": vid, "name": name, "tags": list(tags), "deleted_at": "2026-11-22T01:00:00Z"}


def test_report_restores_packages_before_their_versions_and_carries_on_after_a_failure(gh: FakeGitHub, tmp_path: t.Any) -> None:
    app(gh)
    gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0", deleted_at="2026-11-21T00:00:00Z"),
                                          version(41, "1.1.0", deleted_at="2026-11-22T00:00:00Z")], deleted_at="2026-11-22T00:00:00Z"))
    path = report_file(tmp_path, [
        {"package_type": "npm", "name": "lib", "package_deleted": True, "versions": [rv(40, "1.0.0"), rv(41, "1.1.0")]},
        {"package_type": "container", "name": "team/app", "package_deleted": False,
         "versions": [rv(5, "sha256:eee5"), rv(3, "sha256:ccc3"), rv(1, "sha256:aaa1")]},
        {"package_type": "npm", "name": "vanished", "package_deleted": True, "versions": [rv(50, "0.1.0")]},
    ])
    exited = run({"from_report": path, "owner": None})
    assert exited.failed
    assert outcomes(exited.result) == {
        ("lib", None): "restored", ("lib", 41): "restored", ("lib", 40): "restored",
        ("team/app", 5): "failed", ("team/app", 3): "restored", ("team/app", 1): "already_present",
        ("vanished", None): "failed", ("vanished", 50): "failed",
    }
    posts = restore_posts(gh)
    assert posts[0] == "POST /orgs/octo-org/packages/npm/lib/restore"
    assert posts[1] == "POST /orgs/octo-org/packages/npm/lib/versions/40/restore"
    lib_items = {i["version_id"]: i["reason"] for i in exited.result["restores"] if i["package"] == "lib"}
    assert lib_items[41] == "restored along with its package"
    assert exited.result["counts"] == {"restored": 4, "already_present": 1, "failed": 3}
    assert exited.result["changed"] is True
    assert "restored 4, 1 already present, 3 failed" in exited.result["msg"]


def test_report_costs_one_deleted_listing_and_one_post_per_version(gh: FakeGitHub, tmp_path: t.Any) -> None:
    multi(gh, ["v1"])
    path = report_file(tmp_path, [{"package_type": "container", "name": "multi", "package_deleted": False,
                                   "versions": [rv(10, "sha256:index", ["v1"]), rv(11, "sha256:amd64")]}])
    result = run({"from_report": path}).result
    assert outcomes(result) == {("multi", 10): "restored", ("multi", 11): "restored"}
    assert gh.requests == ["GET /orgs/octo-org/packages/container/multi/versions",
                           "POST /orgs/octo-org/packages/container/multi/versions/11/restore",
                           "POST /orgs/octo-org/packages/container/multi/versions/10/restore"]
    assert gh.listings == ["multi deleted"]
    gh.mock.calls.reset()
    again = run({"from_report": path}).result  # nothing deleted any more: the active listing tells they are back
    assert again["changed"] is False
    assert outcomes(again) == {("multi", 10): "already_present", ("multi", 11): "already_present"}
    assert gh.listings == ["multi deleted", "multi active"]
    assert gh.writes == []


def test_report_restore_whose_answer_is_lost_is_confirmed(gh: FakeGitHub, tmp_path: t.Any) -> None:
    app(gh)
    gh.lost.add(("POST", "/orgs/octo-org/packages/container/team%2Fapp/versions/3/restore"))
    path = report_file(tmp_path, [{"package_type": "container", "name": "team/app", "package_deleted": False,
                                   "versions": [rv(3, "sha256:ccc3"), rv(4, "sha256:ddd4")]}])
    result = run({"from_report": path}).result
    assert outcomes(result) == {("team/app", 3): "restored", ("team/app", 4): "restored"}
    assert "GET /orgs/octo-org/packages/container/team%2Fapp/versions/3" in gh.requests
    assert gh.listings == ["team/app deleted"]


def test_report_name_taken_again_fails_the_same_in_check_mode_and_for_real(gh: FakeGitHub, tmp_path: t.Any) -> None:
    app(gh)
    path = report_file(tmp_path, [{"package_type": "container", "name": "team/app", "package_deleted": False,
                                   "versions": [rv(6, "sha256:dup"), rv(3, "sha256:ccc3")]}])
    predicted = run({"from_report": path}, check_mode=True)
    assert gh.listings == ["team/app deleted", "team/app active"] and gh.writes == []
    reason = {i["version_id"]: i["reason"] for i in predicted.result["restores"]}[6]
    assert "same name exists again (id 2)" in reason
    gh.mock.calls.reset()
    real = run({"from_report": path})  # GitHub's 409 tells, instead of a listing of the active versions
    assert predicted.failed and real.failed
    assert outcomes(predicted.result) == outcomes(real.result) == {("team/app", 6): "failed", ("team/app", 3): "restored"}
    assert "GitHub answered 409" in {i["version_id"]: i["reason"] for i in real.result["restores"]}[6]
    assert gh.listings == ["team/app deleted"]
    assert gh.find("container", "team/app").versions[6].get("deleted_at")


def test_report_check_mode_predicts_versions_of_a_deleted_package(gh: FakeGitHub, tmp_path: t.Any) -> None:
    gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0", deleted_at="2026-11-21T00:00:00Z")], deleted_at="2026-11-22T00:00:00Z"))
    path = report_file(tmp_path, [{"package_type": "npm", "name": "lib", "package_deleted": True, "versions": [rv(40, "1.0.0")]}])
    result = run({"from_report": path}, check_mode=True).result
    assert outcomes(result) == {("lib", None): "restored", ("lib", 40): "restored"}
    assert "once it is restored" in result["restores"][1]["reason"]
    assert gh.writes == []


def test_report_package_whose_name_was_taken_again_is_not_attempted(gh: FakeGitHub, tmp_path: t.Any) -> None:
    gh.add(FakePackage("npm", "lib", 77, [version(90, "9.0.0")]))
    path = report_file(tmp_path, [{"package_type": "npm", "name": "lib", "id": 30, "package_deleted": True, "versions": [rv(40, "1.0.0")]}])
    exited = run({"from_report": path})
    assert exited.failed
    assert outcomes(exited.result) == {("lib", None): "failed", ("lib", 40): "failed"}
    assert "taken by another, active package (id 77; the deleted one had id 30)" in exited.result["restores"][0]["reason"]
    assert gh.writes == []


def test_report_for_the_tokens_own_account_uses_the_user_endpoints(gh: FakeGitHub, tmp_path: t.Any) -> None:
    gh.add(FakePackage("npm", "lib", 30, [version(40, "1.0.0", deleted_at="2026-11-21T00:00:00Z"), version(41, "1.1.0")]))
    path = report_file(tmp_path, [{"package_type": "npm", "name": "lib", "package_deleted": False, "versions": [rv(40, "1.0.0")]}],
                       owner=None, owner_type="authenticated")
    result = run({"from_report": path, "owner": None}).result
    assert outcomes(result) == {("lib", 40): "restored"}
    assert restore_posts(gh) == ["POST /user/packages/npm/lib/versions/40/restore"]


@pytest.mark.parametrize("overrides, args, expected", [
    ({"api_url": "https://ghe.example.com/api/v3"}, {}, "restoring into another server is a mistake: set api_url to https://ghe.example.com/api/v3"),
    ({"dry_run": True}, {}, "report of a dry run"),
    ({}, {"owner": "someone-else"}, "owner: someone-else, but the report"),
    ({}, {"owner": "octo-org", "owner_type": "user"}, "owner_type: user, but the report"),
    ({"owner": None, "owner_type": "authenticated"}, {"owner": "octo-org"}, "for the token's own account"),
])
def test_report_mismatches_fail_before_any_request(gh: FakeGitHub, tmp_path: t.Any, overrides: t.Dict[str, t.Any],
                                                   args: t.Dict[str, t.Any], expected: str) -> None:
    path = report_file(tmp_path, [{"package_type": "npm", "name": "lib", "package_deleted": True, "versions": []}], **overrides)
    exited = run({"from_report": path, "owner": None, **args})
    assert exited.failed
    assert expected in exited.result["msg"]
    assert gh.requests == []


def test_api_url_compare_ignores_case_and_trailing_slash(gh: FakeGitHub, tmp_path: t.Any) -> None:
    gh.add(FakePackage("npm", "lib", 30, [version(41, "1.1.0")]))
    path = report_file(tmp_path, [{"package_type": "npm", "name": "lib", "package_deleted": True, "versions": []}], api_url="HTTPS://API.github.com/")
    result = run({"from_report": path}).result
    assert outcomes(result) == {("lib", None): "already_present"}


def test_a_malformed_report_names_the_field_before_any_request(gh: FakeGitHub, tmp_path: t.Any) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"format": "ghpkgs.registry.cleanup-report", "format_version": 1, "generated_at": "2026-11-22T03:00:00Z",
                                "api_url": API, "owner": "octo-org", "owner_type": "org", "dry_run": False,
                                "packages": [{"package_type": "npm", "name": "lib", "package_deleted": False, "versions": [{"id": "40", "name": "x"}]}]}))
    exited = run({"from_report": str(path)})
    assert exited.failed
    assert exited.result["msg"].endswith(".packages[0].versions[0].id: expected a positive integer, got \"40\"")
    assert gh.requests == []


# ---- options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    ({"from_report": "/r.json", "name": "x", "package_type": "npm"}, "mutually exclusive"),
    ({"from_report": "/r.json", "tags": ["v1"]}, "mutually exclusive"),
    ({"package_type": "npm"}, "name"),
    ({"package_type": "npm", "name": "x", "restore_token": "t", "version_ids": [1]}, "restore_token: only restores the package itself"),
    ({"package_type": "npm", "name": "x", "deleted_after": "yesterday"}, "deleted_after: 'yesterday' is neither"),
    ({"package_type": "npm", "name": "x", "versions": ["[abc"]}, "versions:"),
    ({"package_type": "npm", "name": "x", "version_ids": [0]}, "version_ids: 0 is not a version id"),
    ({"from_report": "/nonexistent/report.json"}, "from_report: cannot read /nonexistent/report.json"),
])
def test_bad_options_fail_naming_the_option_before_any_request(gh: FakeGitHub, args: t.Dict[str, t.Any], expected: str) -> None:
    exited = run(args)
    assert exited.failed
    assert expected in exited.result["msg"]
    assert gh.requests == []
