# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ghpkgs.registry.package_cleanup against the shared fake of GitHub's Packages API (github_fake.py, HTTP mocked with responses)."""

from __future__ import annotations

import json
import typing as t
from datetime import datetime, timedelta, timezone
from urllib.parse import unquote, urlsplit

import pytest
import responses


from ansible_collections.ghpkgs.registry.plugins.module_utils import _report
from ansible_collections.ghpkgs.registry.plugins.module_utils._report import parse_report
from ansible_collections.ghpkgs.registry.plugins.modules import package_cleanup
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules import github_fake
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, InlineExecutor, run_main
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules import test_package_version as pv
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.test_package_version_graph import children, multi_arch

API = github_fake.API
TOKEN = "ghp_PackageCleanupUnitSecret0123456789abcd"
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
MSG_DOWNLOADS = github_fake.MSG_DOWNLOADS


def days_ago(days: float) -> str:
    return (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


class FakeGitHub(github_fake.FakeGitHub):
    """The shared fake for the org acme on this file's clock; a cleanup never lists deleted versions; writes() shows paths
    unquoted."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        super().__init__(mock, owner="acme", now=NOW)
        self.listable_states = ("active",)

    def writes(self) -> list[str]:
        return [unquote(write) for write in self.write_calls()]


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(package_cleanup, "utcnow", lambda: NOW)


@pytest.fixture
def gh() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = FakeGitHub(mock)
        # app: pr-* images of various ages, a release; web-ui: npm versions; public-app: a release with too many downloads.
        app, web_ui, public_app = fake.package("container", "team/app"), fake.package("npm", "web-ui"), fake.package("container", "public-app", public=True)
        app.add(11, "sha256:aa", 60, ["pr-1"], digest=False)
        app.add(12, "sha256:bb", 40, ["pr-2"], digest=False)
        app.add(13, "sha256:cc", 35, ["v1.0.0", "latest"], digest=False)
        app.add(14, "sha256:dd", 2, ["pr-3"], digest=False)
        web_ui.add(21, "1.0.0", 90)
        web_ui.add(22, "1.1.0-rc.1", 50)
        web_ui.add(23, "1.1.0", 45)
        web_ui.add(24, "2.0.0", 1)
        public_app.add(31, "sha256:p1", 50, ["pr-7"], downloads=12000, digest=False)
        public_app.add(32, "sha256:p2", 45, ["pr-8"], digest=False)
        public_app.add(33, "sha256:p3", 1, ["v2.0.0"], digest=False)
        yield fake


def run(args: dict[str, t.Any], check_mode: bool = False, diff: bool = False) -> Exited:
    # These packages are single-platform images; the image graph has its own test below.
    full = {"token": TOKEN, "owner": "acme", "max_retries": 0, "points_per_minute": 0, "manifest_graph": False, **args}
    return run_main(package_cleanup.main, full, TOKEN, check_mode, diff)


PACKAGES = [
    {"package_type": "container", "name": "team/app", "id": 100, "tags": ["pr-*"]},
    {"package_type": "npm", "name": "web-ui", "older_than": "40d", "tags": None},
]


def by_name(result: dict[str, t.Any]) -> dict[str, dict[str, t.Any]]:
    return {p["name"]: p for p in result["packages"]}


def test_a_package_without_any_selector_fails_before_any_request(gh: FakeGitHub) -> None:
    out = run({"packages": [{"package_type": "npm", "name": "web-ui"}], "policy": {"keep_latest": 2}})
    assert out.failed
    assert out.result["msg"].startswith("packages[0] (npm web-ui): state=absent needs at least one selector")
    assert not gh.mock.calls


def test_a_package_listed_twice_is_refused(gh: FakeGitHub) -> None:
    out = run({"packages": [{"package_type": "npm", "name": "web-ui"}, {"package_type": "npm", "name": "web-ui"}],
               "policy": {"versions": ["*"]}})
    assert out.failed
    assert "packages[1]: npm package 'web-ui' is listed twice (also packages[0])" in out.result["msg"]
    assert not gh.mock.calls


def test_check_mode_plans_every_package_and_sends_no_write(gh: FakeGitHub) -> None:
    out = run({"packages": PACKAGES, "policy": {"older_than": "30d"}}, check_mode=True)
    assert not out.failed and out.result["changed"]
    assert gh.writes() == []
    packages = by_name(out.result)
    assert [(v["id"], v["outcome"]) for v in packages["team/app"]["versions"]] == [(11, "would_delete"), (12, "would_delete")]
    # A package's own selector replaces the policy's (older_than of web-ui) or adds to it (tags of team/app); null means the policy's.
    assert [(v["id"], v["outcome"]) for v in packages["web-ui"]["versions"]] == [(21, "would_delete"), (22, "would_delete"), (23, "would_delete")]
    assert out.result["counts"]["would_delete"] == 5 and out.result["counts"]["packages"] == 2
    report = parse_report(out.result["report"])
    assert report.dry_run is True and report.owner == "acme" and report.owner_type == "org"
    assert [(p.name, p.id, [v.id for v in p.versions]) for p in report.packages] == [("team/app", 100, [11, 12]), ("web-ui", None, [21, 22, 23])]
    assert out.result["msg"] == "would delete 5 versions of 2 packages (0 whole packages); 0 packages failed"
    assert out.result["limit_waits"] == []  # no rate limit was met (the client's test covers the waits themselves)


@pytest.mark.parametrize("check_mode", [True, False])
def test_diff_mode_shows_the_plan_of_each_package_that_changes(gh: FakeGitHub, check_mode: bool) -> None:
    packages = PACKAGES + [{"package_type": "container", "name": "public-app", "tags": ["no-such-tag"]}]
    out = run({"packages": packages, "policy": {"older_than": "30d"}}, check_mode=check_mode, diff=True)
    assert not out.failed
    after = "after the cleanup (planned)" if check_mode else "after the cleanup"
    # public-app has nothing to delete: no entry. Each entry lists the active versions before and after, oldest first.
    assert out.result["diff"] == [
        {"before_header": "container team/app: active versions", "after_header": f"container team/app: {after}",
         "before": "sha256:aa (id 11; tags: pr-1)\nsha256:bb (id 12; tags: pr-2)\nsha256:cc (id 13; tags: v1.0.0, latest)\n"
                   "sha256:dd (id 14; tags: pr-3)\n",
         "after": "sha256:cc (id 13; tags: v1.0.0, latest)\nsha256:dd (id 14; tags: pr-3)\n"},
        {"before_header": "npm web-ui: active versions", "after_header": f"npm web-ui: {after}",
         "before": "1.0.0 (id 21)\n1.1.0-rc.1 (id 22)\n1.1.0 (id 23)\n2.0.0 (id 24)\n", "after": "2.0.0 (id 24)\n"},
    ]
    assert all("diff" not in package for package in out.result["packages"])


def test_without_diff_mode_there_is_no_diff(gh: FakeGitHub) -> None:
    out = run({"packages": PACKAGES, "policy": {"older_than": "30d"}}, check_mode=True)
    assert "diff" not in out.result


def test_deletes_exactly_the_plan_of_every_package_and_reports_it(gh: FakeGitHub) -> None:
    policy = {"older_than": "30d"}
    plan = run({"packages": PACKAGES, "policy": policy}, check_mode=True).result
    out = run({"packages": PACKAGES, "policy": policy})
    assert not out.failed and out.result["changed"]
    assert sorted(gh.writes()) == sorted(f"DELETE /orgs/acme/packages/{p['package_type']}/{p['name']}/versions/{v['id']}"
                                         for p in plan["packages"] for v in p["versions"] if v["outcome"] == "would_delete")
    assert gh.active_ids("container", "team/app") == {13, 14}
    assert gh.active_ids("npm", "web-ui") == {24}
    report = parse_report(out.result["report"])
    assert report.dry_run is False
    versions = {v.id: v for p in report.packages for v in p.versions}
    assert sorted(versions) == [11, 12, 21, 22, 23]
    assert versions[11].name == "sha256:aa" and versions[11].tags == ("pr-1",) and versions[11].created_at == days_ago(60)
    assert by_name(out.result)["team/app"]["deleted_version_ids"] == [11, 12]


def test_running_again_changes_nothing(gh: FakeGitHub) -> None:
    run({"packages": PACKAGES, "policy": {"older_than": "30d"}})
    before = len(gh.writes())
    out = run({"packages": PACKAGES, "policy": {"older_than": "30d"}})
    assert not out.failed and not out.result["changed"]
    assert len(gh.writes()) == before
    assert out.result["report"]["packages"] == []


def test_a_refused_version_fails_its_package_but_not_the_others(gh: FakeGitHub, warnings: list[str]) -> None:
    packages = [{"package_type": "container", "name": "public-app", "tags": ["pr-*"]}, *PACKAGES]
    out = run({"packages": packages, "policy": {"older_than": "30d"}})
    assert out.failed
    public = by_name(out.result)["public-app"]
    assert public["failed"] and public["refused_version_ids"] == [31]
    assert {v["id"]: v["outcome"] for v in public["versions"]} == {31: "skipped", 32: "deleted"}
    assert MSG_DOWNLOADS in public["msg"] and "ids 31" in public["msg"]
    assert not by_name(out.result)["team/app"]["failed"] and gh.active_ids("container", "team/app") == {13, 14}
    assert out.result["failed_packages"] == [{"package_type": "container", "name": "public-app", "msg": public["msg"]}]
    assert out.result["msg"].startswith("deleted 6 versions of 3 packages (0 whole packages); 1 packages failed: container public-app: GitHub refused")
    # What was deleted, including in the failed package, is in the report so that it can be restored.
    assert sorted(v["id"] for p in out.result["report"]["packages"] for v in p["versions"]) == [11, 12, 21, 22, 23, 32]
    assert any("container public-app: GitHub refused to delete 1 version(s)" in w for w in warnings)


def test_a_missing_scope_fails_every_package_with_one_write_each(gh: FakeGitHub) -> None:
    gh.scopes = "read:packages"
    out = run({"packages": PACKAGES, "policy": {"versions": ["*"], "keep_latest": 1}})
    assert out.failed
    assert [p["failed"] for p in out.result["packages"]] == [True, True]
    assert all(p["missing_scopes"] == ["delete:packages"] for p in out.result["packages"])
    assert len(gh.writes()) == 2
    assert out.result["report"]["packages"] == []
    assert "container team/app: DELETE /orgs/acme/packages/container/team%2Fapp/versions/" in out.result["msg"]


def test_a_missing_package_is_already_clean_and_says_why_it_may_be_missing(gh: FakeGitHub, warnings: list[str]) -> None:
    out = run({"packages": [{"package_type": "npm", "name": "gone"}], "policy": {"versions": ["*"]}})
    assert not out.failed and not out.result["changed"]
    assert out.result["packages"][0]["package_found"] is False and not out.result["packages"][0]["failed"]
    assert out.result["packages"][0]["msg"].startswith("package gone (npm) not found for the org acme, so nothing was deleted")
    assert warnings == ["npm gone: " + out.result["packages"][0]["msg"]]


def test_a_policys_tag_selectors_skip_packages_without_tags(gh: FakeGitHub, warnings: list[str]) -> None:
    packages = [{"package_type": "container", "name": "team/app"}, {"package_type": "npm", "name": "web-ui"}]
    out = run({"packages": packages, "policy": {"untagged": False, "older_than": "30d", "keep_latest": 1}})
    assert not out.failed
    npm = by_name(out.result)["web-ui"]
    assert npm["skipped"] and not npm["failed"] and npm["versions"] == [] and npm["counts"]["matched"] == 0
    assert npm["msg"].startswith("skipped, nothing deleted: untagged: npm package versions have no tags")
    assert gh.active_ids("npm", "web-ui") == {21, 22, 23, 24}
    assert not any("/npm/" in c.request.url for c in gh.mock.calls)
    assert gh.active_ids("container", "team/app") == {13, 14}
    assert by_name(out.result)["team/app"]["skipped"] is False
    assert out.result["counts"]["skipped_packages"] == 1
    assert out.result["msg"].endswith("; 1 packages skipped (tag selectors on a type without tags)")
    assert warnings == ["npm web-ui: " + npm["msg"]]


def test_a_packages_own_null_tag_selector_lets_the_policys_other_selectors_apply(gh: FakeGitHub) -> None:
    packages = [{"package_type": "npm", "name": "web-ui", "tags": None}]
    assert by_name(run({"packages": packages, "policy": {"tags": ["pr-*"]}}, check_mode=True).result)["web-ui"]["skipped"]
    out = run({"packages": packages, "policy": {"older_than": "40d"}}, check_mode=True)
    assert [v["id"] for v in by_name(out.result)["web-ui"]["versions"]] == [21, 22, 23]


@pytest.mark.parametrize("check_mode", [True, False])
def test_the_whole_package_goes_when_asked_and_the_report_lists_only_versions_deleted_one_by_one(gh: FakeGitHub, check_mode: bool) -> None:
    out = run({"packages": [{"package_type": "npm", "name": "web-ui", "id": 7}, {"package_type": "container", "name": "team/app", "tags": ["pr-*"]}],
               "policy": {"versions": ["*"]}, "delete_package_when_empty": True}, check_mode=check_mode)
    assert not out.failed
    deleted = "would_delete" if check_mode else "deleted"
    expected_writes = [f"DELETE /orgs/acme/packages/container/team/app/versions/{i}" for i in (11, 12, 14)] + ["DELETE /orgs/acme/packages/npm/web-ui"]
    assert sorted(gh.writes()) == ([] if check_mode else expected_writes)
    # The versions of web-ui went with the package, so the report (docs/cleanup-report.md) lists none of them; its result does.
    entries = {p["name"]: p for p in parse_report(out.result["report"]).as_dict()["packages"]}
    assert (entries["web-ui"]["package_deleted"], entries["web-ui"]["id"], entries["web-ui"]["versions"]) == (True, 7, [])
    assert (entries["team/app"]["package_deleted"], [v["id"] for v in entries["team/app"]["versions"]]) == (False, [11, 12, 14])
    assert [v["outcome"] for v in by_name(out.result)["web-ui"]["versions"]] == [deleted] * 4
    verb = "would delete" if check_mode else "deleted"
    assert out.result["msg"] == f"{verb} 7 versions of 2 packages (1 whole packages); 0 packages failed"


def test_the_last_tagged_version_is_kept_per_package(gh: FakeGitHub) -> None:
    out = run({"packages": [{"package_type": "container", "name": "team/app", "untagged": False}], "policy": {"versions": ["*"]}})
    assert not out.failed
    outcomes = {v["id"]: v["outcome"] for v in out.result["packages"][0]["versions"]}
    assert outcomes == {11: "deleted", 12: "deleted", 13: "deleted", 14: "kept"}


def test_container_packages_are_planned_with_the_image_graph_through_one_registry_client() -> None:
    """The multi-arch fake of package_version's tests: untagged leftovers go, the children of kept indexes stay, in every package."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = pv.FakeGitHub(mock)
        releases = {}
        for name, first in (("team/app", 100), ("team/api", 1000)):
            pkg = fake.package("container", name)
            releases[name] = [multi_arch(pkg, first, 60, ["v1.0.0"]), multi_arch(pkg, first + 100, 20, ["v1.1.0", "latest"], sign=True)]
            pkg.add(first - 50, "leftover", 50)
        packages = [{"package_type": "container", "name": name} for name in releases]
        args = {"token": pv.TOKEN, "owner": "octo-org", "packages": packages, "policy": {"untagged": True}, "manifest_graph": True}
        plan = run(args, check_mode=True)
        assert not plan.failed and fake.writes() == []
        out = run(args)
        assert not out.failed
        for result, first in zip(out.result["packages"], (100, 1000)):
            deleted = {v["id"] for v in result["versions"] if v["outcome"] == "deleted"}
            kept = {v["id"] for v in result["versions"] if v["outcome"] == "kept"}
            assert deleted == {first - 50}
            assert all(children(release) <= kept for release in releases[result["name"]])
        assert [v["id"] for p in plan.result["packages"] for v in p["versions"] if v["outcome"] == "would_delete"] == [50, 950]
        # Every manifest read is accounted for per package, and each run asked the registry for a pull token once per repository.
        reads = fake.manifest_reads()
        assert len(reads) == sum(p["manifests_read"] for r in (plan, out) for p in r.result["packages"]) > 0
        assert len([c for c in mock.calls if c.request.url.startswith(pv.REGISTRY + "/token")]) == 4


def test_results_keep_the_order_of_packages_when_container_packages_start_first(gh: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> None:
    # Packages run one at a time, in the order the module starts them (threads would send in the scheduler's order).
    monkeypatch.setattr(package_cleanup, "ThreadPoolExecutor", InlineExecutor)
    packages = [PACKAGES[1], PACKAGES[0], {"package_type": "container", "name": "public-app", "tags": ["pr-*"]}]
    out = run({"packages": packages, "policy": {"older_than": "30d"}}, check_mode=True)
    listed = [unquote(urlsplit(c.request.url).path) for c in gh.mock.calls if c.request.url.startswith(f"{API}/orgs/acme/packages/")]
    assert listed == ["/orgs/acme/packages/container/team/app/versions", "/orgs/acme/packages/container/public-app/versions",
                      "/orgs/acme/packages/npm/web-ui/versions"]
    assert [p["name"] for p in out.result["packages"]] == ["web-ui", "team/app", "public-app"]
    assert [p["name"] for p in out.result["report"]["packages"]] == ["web-ui", "team/app", "public-app"]


def test_the_report_and_summary_files_are_written_in_check_mode_too(gh: FakeGitHub, tmp_path: t.Any) -> None:
    report_file, summary_file = tmp_path / "new" / "acme.json", tmp_path / "new" / "acme.md"
    out = run({"packages": PACKAGES, "policy": {"older_than": "30d"}, "report_file": str(report_file), "summary_file": str(summary_file)},
              check_mode=True)
    assert not out.failed and gh.writes() == []
    assert "report" not in out.result and out.result["report_file"] == str(report_file) and out.result["summary_file"] == str(summary_file)
    assert (report_file.parent.stat().st_mode & 0o777) == 0o700
    assert (report_file.stat().st_mode & 0o777) == 0o600 and (summary_file.stat().st_mode & 0o777) == 0o600
    data = json.loads(report_file.read_text())
    report = parse_report(data)
    assert report.dry_run and [(p.name, [v.id for v in p.versions]) for p in report.packages] == [("team/app", [11, 12]), ("web-ui", [21, 22, 23])]
    # Every package's result is kept for the summary, the versions with their outcome and reason.
    assert [(r["name"], r["counts"]["would_delete"]) for r in data["results"]] == [("team/app", 2), ("web-ui", 3)]
    summary = summary_file.read_text()
    assert summary.startswith("# Dry run of the cleanup of acme\n")
    assert f"- Report: `{report_file}` (a dry run: nothing was deleted, and it cannot be restored)" in summary
    assert "| 2 | 0 | 5 | 5 | 0 | 0 | 0 | 0 |" in summary  # totals: packages, failed, matched, would delete, kept, ...
    assert "| container | team/app | 2 | 2 | 0 | 0 | would delete 2 of 2 matching versions" in summary
    assert "| would delete | `sha256:aa` | 11 | pr-1 | " + days_ago(60) + " |  |" in summary


def test_report_append_adds_a_batch_to_the_report_and_the_summary(gh: FakeGitHub, tmp_path: t.Any) -> None:
    files = {"report_file": str(tmp_path / "r.json"), "summary_file": str(tmp_path / "r.md")}
    first = run({"packages": PACKAGES[:1], "policy": {"older_than": "30d"}, **files})
    failed = run({"packages": [{"package_type": "container", "name": "public-app", "tags": ["pr-*"]}, PACKAGES[1]],
                  "policy": {"older_than": "30d"}, "report_append": True, **files})
    assert not first.failed and failed.failed and failed.result["report_file"] == files["report_file"]
    report = parse_report(json.loads((tmp_path / "r.json").read_text()))
    assert not report.dry_run
    # The failed package's deletion is in the report too, so that it can be restored.
    assert {p.name: sorted(v.id for v in p.versions) for p in report.packages} == {"team/app": [11, 12], "public-app": [32], "web-ui": [21, 22, 23]}
    summary = (tmp_path / "r.md").read_text()
    assert summary.startswith("# Cleanup of acme\n") and "| 3 | 1 | 7 | 6 | 0 | 1 | 0 | 0 |" in summary
    assert "### container public-app (FAILED)" in summary and "| skipped | `sha256:p1` | 31 |" in summary
    # A package run again is merged into its entry: what the first run deleted stays in the report, to be restored.
    again = run({"packages": PACKAGES[:1], "policy": {"older_than": "30d"}, "report_append": True, **files})
    assert not again.failed and again.result["packages"][0]["counts"]["deleted"] == 0
    data = json.loads((tmp_path / "r.json").read_text())
    assert [p["name"] for p in data["results"]] == ["team/app", "public-app", "web-ui"]
    assert [(p["name"], sorted(v["id"] for v in p["versions"])) for p in data["packages"]] == [
        ("team/app", [11, 12]), ("public-app", [32]), ("web-ui", [21, 22, 23])]
    assert data["results"][0]["counts"]["deleted"] == 2
    # Without report_append the file is replaced.
    run({"packages": PACKAGES[:1], "policy": {"older_than": "30d"}, **files})
    assert [p["name"] for p in json.loads((tmp_path / "r.json").read_text())["results"]] == ["team/app"]


@pytest.mark.parametrize("args, message", [
    ({"report_append": True}, "report_append: needs report_file"),
    ({"report_append": True, "report_file": "EXISTING"}, "is the report of another cleanup (owner acme, https://api.github.com, dry_run True)"),
    ({"summary_file": "/tmp/x.md"}, "missing parameter(s) required by 'summary_file': report_file"),
    ({"report_file": "   "}, "report_file: is blank"),
    ({"report_file": "EXISTING", "summary_file": " "}, "summary_file: is blank"),
])
def test_report_options_are_checked_before_any_request(gh: FakeGitHub, tmp_path: t.Any, args: dict[str, t.Any], message: str) -> None:
    existing = tmp_path / "dry.json"
    run({"packages": PACKAGES, "policy": {"older_than": "30d"}, "report_file": str(existing)}, check_mode=True)
    gh.mock.calls.reset()
    if args.get("report_file") == "EXISTING":
        args = dict(args, report_file=str(existing))
    out = run({"packages": PACKAGES, "policy": {"older_than": "30d"}, **args})  # not a dry run: does not match the file
    assert out.failed and message in out.result["msg"]
    assert not gh.mock.calls


def test_the_bytes_freed_are_in_the_result_the_report_and_the_summary(tmp_path: t.Any) -> None:
    """Two container packages with untagged leftovers (pv.image: one 9-byte blob each) and an npm package without bytes."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = pv.FakeGitHub(mock)
        for name, first in (("team/app", 100), ("team/api", 1000)):
            pkg = fake.package("container", name)
            multi_arch(pkg, first, 20, ["v1.0.0"])
            pkg.add(first - 50, "leftover-a", 50)
            pkg.add(first - 49, "leftover-b", 50)
        fake.package("npm", "web").add(7, "1.0.0", 40)
        files = {"report_file": str(tmp_path / "r.json"), "summary_file": str(tmp_path / "r.md")}
        packages = [{"package_type": "container", "name": "team/app", "untagged": True},
                    {"package_type": "container", "name": "team/api", "version_ids": [951]}, {"package_type": "npm", "name": "web"}]
        out = run({"token": pv.TOKEN, "owner": "octo-org", "packages": packages, "policy": {"versions": ["*"], "keep_latest": 0},
                   "manifest_graph": True, **files}, check_mode=True)
    assert not out.failed, out.result["msg"]
    assert [(p["bytes_freed"], p["bytes_unmeasured"]) for p in out.result["packages"]] == [(18, 0), (9, 0), (None, None)]
    assert (out.result["bytes_freed"], out.result["bytes_unmeasured"]) == (27, 0)
    data = json.loads((tmp_path / "r.json").read_text())
    # web keeps its last version (nothing deleted), so it is not in the report's packages, only in its results
    assert [(p["name"], p.get("bytes_freed")) for p in data["packages"]] == [("team/app", 18), ("team/api", 9)]
    assert [r["bytes_freed"] for r in data["results"]] == [18, 9, None]
    assert parse_report(data).packages[0].bytes_freed == 18
    summary = (tmp_path / "r.md").read_text()
    assert "## Bytes freed (approximate)" in summary and "About 27 bytes in 2 container packages" in summary
    assert "| container | team/app | 18 bytes | 0 |" in summary and "| npm | web |" not in summary.split("## Bytes freed")[1]


@pytest.mark.parametrize("count, text", [(0, "0 bytes"), (999, "999 bytes"), (1000, "1.0 kB"), (48213344, "48.2 MB"),
                                         (3 * 10**9, "3.0 GB"), (7 * 10**12, "7.0 TB")])
def test_human_bytes(count: int, text: str) -> None:
    assert _report.human_bytes(count) == text


@pytest.mark.parametrize("return_versions, returned", [
    ("all", {"public-app": {31: "skipped", 32: "kept"}, "team/app": {11: "deleted", 12: "kept"}, "web-ui": {21: "deleted", 22: "deleted", 23: "kept"}}),
    ("changed", {"public-app": {31: "skipped"}, "team/app": {11: "deleted"}, "web-ui": {21: "deleted", 22: "deleted"}}),
    ("none", None),
])
def test_return_versions_bounds_the_result_and_the_report_files_keep_every_version(gh: FakeGitHub, tmp_path: t.Any, return_versions: str,
                                                                                   returned: dict[str, dict[int, str]] | None) -> None:
    report_file, summary_file = tmp_path / "r.json", tmp_path / "r.md"
    packages = [{"package_type": "container", "name": "public-app", "tags": ["pr-*"]}, *PACKAGES]
    out = run({"packages": packages, "policy": {"older_than": "30d", "keep_latest": 1}, "report_file": str(report_file),
               "summary_file": str(summary_file), "return_versions": return_versions})
    assert out.failed and out.result["failed_packages"][0]["name"] == "public-app"  # GitHub refused 31: the failed result is bounded too
    if returned is None:
        assert all("versions" not in p for p in out.result["packages"])
    else:
        assert {p["name"]: {v["id"]: v["outcome"] for v in p["versions"]} for p in out.result["packages"]} == returned
    assert [(p["name"], p["counts"]["matched"], p["counts"]["deleted"]) for p in out.result["packages"]] == [
        ("public-app", 2, 0), ("team/app", 2, 1), ("web-ui", 3, 2)]
    data = json.loads(report_file.read_text())
    every = {"public-app": [31, 32], "team/app": [11, 12], "web-ui": [21, 22, 23]}
    assert {r["name"]: [v["id"] for v in r["versions"]] for r in data["results"]} == every
    assert sorted(v["id"] for p in data["packages"] for v in p["versions"]) == [11, 21, 22]
    assert "| kept | `sha256:bb` | 12 | pr-2 |" in summary_file.read_text()


def test_policy_superseded_and_keep_rules_apply_per_package_with_reasons(gh: FakeGitHub) -> None:
    policy = {"versions": ["*"], "keep_rules": [{"name": "releases", "tags": ["re:v[0-9.]+"], "keep_latest": 1},
                                                {"name": "fresh", "untagged": False, "younger_than": "7d"}]}
    packages = [{"package_type": "container", "name": "team/app"}, {"package_type": "npm", "name": "web-ui", "superseded": True,
                                                                    "keep_rules": [{"versions": ["2.*"]}]}]
    out = run({"packages": packages, "policy": policy}, check_mode=True)
    assert not out.failed and gh.writes() == []
    found = {p["name"]: [(v["id"], v["outcome"], v["reason"]) for v in p["versions"]] for p in out.result["packages"]}
    assert found["team/app"] == [(11, "would_delete", None), (12, "would_delete", None), (13, "kept", "rule releases (1 newest re:v[0-9.]+)"),
                                 (14, "kept", "rule fresh (tagged younger than 7d)")]
    # versions: ['*'] and superseded: true together select only 1.1.0-rc.1; the package's own keep_rules replace the policy's.
    assert found["web-ui"] == [(22, "would_delete", "superseded by 1.1.0")]


def test_a_bad_regular_expression_of_one_package_fails_before_any_request(gh: FakeGitHub) -> None:
    out = run({"packages": [{"package_type": "npm", "name": "web-ui"}, {"package_type": "container", "name": "team/app", "exclude": ["re:("]}],
               "policy": {"versions": ["*"]}})
    assert out.failed
    assert out.result["msg"].startswith("packages[1] (container team/app): exclude: 're:(' is not a valid regular expression: missing )")
    assert not gh.mock.calls
