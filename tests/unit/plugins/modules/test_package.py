# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t

import pytest
import responses


from ansible_collections.ghpkgs.registry.plugins.modules import package as package_module
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules import github_fake
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main

API = github_fake.API
TOKEN = "ghp_PackageUnitTestSecret0123456789abcdef"
DOWNLOADS = github_fake.MSG_DOWNLOADS


class FakeGitHub(github_fake.FakeGitHub):
    """The shared fake for the org octo-org; its packages have two versions, and writes are "METHOD URL" (with the query)."""

    @property
    def writes(self) -> t.List[str]:
        return self.urls()


@pytest.fixture
def gh() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeGitHub(mock)


def run(args: t.Dict[str, t.Any], check_mode: bool = False, diff: bool = False) -> Exited:
    full = {"token": TOKEN, "max_retries": 0, "points_per_minute": 0, "owner": "octo-org", "package_type": "container", "name": "team/app", **args}
    return run_main(package_module.main, full, TOKEN, check_mode, diff)


def test_absent_deletes_the_whole_package(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    exited = run({"state": "absent"}, diff=True)
    assert not exited.failed
    assert exited.result["changed"] is True
    assert exited.result["package"] is None
    assert gh.writes == ["DELETE https://api.github.com/orgs/octo-org/packages/container/team%2Fapp"]
    assert ("container", "team/app") not in gh.active
    assert exited.result["diff"]["before"]["state"] == "present" and exited.result["diff"]["after"]["state"] == "absent"


def test_absent_when_missing_is_ok_and_sends_no_delete(gh: FakeGitHub) -> None:
    exited = run({"state": "absent"})
    assert exited.result["changed"] is False
    assert "already absent" in exited.result["msg"]
    assert gh.writes == []


def test_absent_in_check_mode_predicts_without_deleting(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    exited = run({"state": "absent"}, check_mode=True, diff=True)
    assert exited.result["changed"] is True
    assert exited.result["diff"] == {
        "before": {"package_type": "container", "name": "team/app", "state": "present", "id": 5, "visibility": "public", "version_count": 2},
        "after": {"package_type": "container", "name": "team/app", "state": "absent"},
    }
    assert gh.writes == []
    assert ("container", "team/app") in gh.active


def test_a_404_on_delete_is_already_absent(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    gh.refuse_delete = (404, "Package not found.")
    exited = run({"state": "absent"})
    assert not exited.failed
    assert exited.result["changed"] is False


def test_the_5000_downloads_rule_fails_with_githubs_reason_and_what_to_do(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    gh.refuse_delete = (400, DOWNLOADS)
    exited = run({"state": "absent"})
    assert exited.failed
    assert exited.result["changed"] is False
    assert DOWNLOADS in exited.result["msg"]
    assert "only GitHub Support can delete it" in exited.result["msg"]
    assert exited.result["status"] == 400


def test_present_when_it_exists_is_ok(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    exited = run({"state": "present"})
    assert exited.result["changed"] is False
    assert exited.result["package"]["id"] == 5
    assert gh.writes == []


def test_present_restores_a_deleted_package_and_returns_it(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5, deleted=True)
    exited = run({}, diff=True)
    assert exited.result["changed"] is True
    assert exited.result["package"]["id"] == 5
    assert gh.writes == ["POST https://api.github.com/orgs/octo-org/packages/container/team%2Fapp/restore"]
    assert exited.result["diff"]["before"]["state"] == "absent"
    assert exited.result["diff"]["after"]["state"] == "present" and exited.result["diff"]["after"]["id"] == 5


def test_present_passes_the_restore_token_and_never_shows_it(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5, deleted=True, restore_token="rt-five")
    gh.add("container", "team/app", 6, deleted=True, restore_token="rt-six")
    exited = run({"restore_token": "rt-five"})
    assert exited.result["package"]["id"] == 5
    assert gh.writes == ["POST https://api.github.com/orgs/octo-org/packages/container/team%2Fapp/restore?token=rt-five"]
    assert "rt-five" not in json.dumps(exited.result)


def test_present_in_check_mode_predicts_a_restore_with_a_warning_and_no_write(gh: FakeGitHub, warnings: t.List[str]) -> None:
    exited = run({}, check_mode=True)
    assert exited.result["changed"] is True
    assert "would restore" in exited.result["msg"]
    assert any("GitHub cannot list deleted packages" in w for w in warnings)
    assert gh.writes == []


def test_present_fails_clearly_when_there_is_nothing_to_restore(gh: FakeGitHub) -> None:
    exited = run({})
    assert exited.failed
    msg = exited.result["msg"]
    assert "does not exist and cannot be restored" in msg and "30 days" in msg and "cannot publish" in msg
    assert exited.result["status"] == 404


def test_present_fails_clearly_when_the_name_is_taken_again(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5, deleted=True)
    # A new package takes the name between the module's look and its restore.
    gh.before_restore = lambda: gh.add("container", "team/app", 9)
    exited = run({})
    assert exited.failed
    assert "in use by an active package again (GitHub answered 409)" in exited.result["msg"]


def test_missing_delete_scope_is_named(gh: FakeGitHub) -> None:
    gh.add("container", "team/app", 5)
    gh.scopes = "read:packages"
    gh.refuse_delete = (403, "Must have admin rights to Repository.")
    exited = run({"state": "absent"})
    assert exited.failed
    assert exited.result["missing_scopes"] == ["delete:packages"]


@pytest.mark.parametrize("args, expected", [
    ({"state": "absent", "restore_token": "x"}, "restore_token: only used with state=present"),
    ({"name": " "}, "name: must not be empty"),
    ({"state": "gone"}, "value of state must be one of"),
])
def test_bad_options_fail_before_any_request(gh: FakeGitHub, args: t.Dict[str, t.Any], expected: str) -> None:
    exited = run(args)
    assert exited.failed
    assert expected in exited.result["msg"]
    assert len(gh.mock.calls) == 0
