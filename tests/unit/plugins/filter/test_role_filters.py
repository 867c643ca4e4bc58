# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The filters that hold the roles' logic: variable checks, policy merging, batching and merging the parts of a package."""

from __future__ import annotations

import typing as t

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.ghpkgs.registry.plugins.filter.batch_errors import batch_errors
from ansible_collections.ghpkgs.registry.plugins.filter.cleanup_batches import cleanup_batches
from ansible_collections.ghpkgs.registry.plugins.filter.cleanup_targets import cleanup_targets
from ansible_collections.ghpkgs.registry.plugins.filter.merge_packages import merge_packages
from ansible_collections.ghpkgs.registry.plugins.filter.role_problems import role_problems

SELECTORS = ["version_ids", "versions", "tags", "untagged", "older_than", "prerelease"]


@pytest.mark.parametrize("check, message", [
    (["login", "org_cleanup_owner", "-acme"],
     'org_cleanup_owner: "-acme" is not a GitHub login (letters, digits and single inner hyphens, at most 39 characters)'),
    (["login", "org_report_owner", "a" * 40],
     f'org_report_owner: "{"a" * 40}" is not a GitHub login (letters, digits and single inner hyphens, at most 39 characters)'),
    (["globs", "org_cleanup_include", ["ok", " "]], 'org_cleanup_include: " " is empty or blank; remove it, or give a name or a glob'),
    (["globs", "org_cleanup_exclude", ["web-[ab"]],
     "org_cleanup_exclude: \"web-[ab\" has a '[' that no ']' closes; write '[[]' to match a literal '['"),
    (["override_globs", "org_cleanup_overrides", [{"packages": ["a"]}, {"packages": [""]}]],
     'org_cleanup_overrides[1].packages: "" is empty or blank; remove it, or give a name or a glob'),
    (["positive", "org_cleanup_batch_size", 0], "org_cleanup_batch_size: must be 1 or more, not 0"),
    (["positive", "org_restore_batch_size", "many"], "org_restore_batch_size: must be 1 or more, not many"),
    (["directory", "org_report_dir", " "], "org_report_dir: must be a directory path, not blank"),
    (["optional_url", "org_cleanup_registry_url", ""],
     "org_cleanup_registry_url: must be a URL, not blank; omit it to derive it from the API URL"),
    (["report_file", "org_restore_report", ""], "org_restore_report: must be the path of a cleanup report, not blank"),
])
def test_each_kind_of_check_names_the_variable_and_the_fix(check: list[t.Any], message: str) -> None:
    assert role_problems([check]) == [message]


def test_good_values_pass_and_a_missing_report_names_where_it_looked(tmp_path: t.Any) -> None:
    report = tmp_path / "acme-cleanup-20261204T000000Z.json"
    report.write_text("{}")
    good = [["login", "o", "acme-corp"], ["globs", "i", ["web-*", "[[]x]", "a[!b]c"]], ["override_globs", "o", [{"packages": ["x*"]}]],
            ["positive", "b", 1], ["directory", "d", "reports"], ["optional_url", "u", None], ["report_file", "r", str(report)]]
    assert role_problems(good) == []
    missing = str(tmp_path / "nope.json")
    assert role_problems([["report_file", "org_restore_report", missing]]) == [
        f'org_restore_report: "{missing}" is not a file on the controller (looked for {missing}); give the path of the '
        "OWNER-cleanup-TIME.json report, relative to the directory you run ansible-playbook in"]
    with pytest.raises(AnsibleFilterError, match="'size' is not a kind of check"):
        role_problems([["size", "x", 1]])


FOUND = [{"package_type": "npm", "name": "web-ui", "id": 1}, {"package_type": "maven", "name": "com.acme.lib", "id": 2},
         {"package_type": "maven", "name": "com.acme.solo", "id": 3}, {"package_type": "container", "name": "tools/builder", "id": 4}]


def test_targets_merge_the_policy_by_type_and_matching_overrides_in_order() -> None:
    plan = cleanup_targets(FOUND, SELECTORS, policy={"versions": ["*"], "keep_latest": 1}, policy_by_type={"container": {"untagged": True}},
                           overrides=[{"packages": ["com.acme.*"], "package_types": ["maven"], "policy": {"versions": None, "prerelease": True}},
                                      {"packages": ["com.acme.*"], "package_types": ["npm"], "policy": {"keep_latest": 9}},
                                      {"packages": ["tools/?uilder"], "policy": {"keep_latest": 3}}],
                           exclude=["*.solo"])
    assert plan["targets"] == [
        {"versions": ["*"], "keep_latest": 1, "package_type": "npm", "name": "web-ui", "id": 1},
        {"versions": None, "keep_latest": 1, "prerelease": True, "package_type": "maven", "name": "com.acme.lib", "id": 2},
        {"versions": ["*"], "keep_latest": 3, "untagged": True, "package_type": "container", "name": "tools/builder", "id": 4}]
    assert plan["sources"] == {"npm web-ui": ["org_cleanup_policy"], "maven com.acme.lib": ["org_cleanup_policy", "org_cleanup_overrides[0]"],
                               "container tools/builder": ["org_cleanup_policy", "org_cleanup_policy_by_type.container", "org_cleanup_overrides[2]"]}
    assert plan["problems"] == []


def test_a_policy_left_without_selector_is_a_problem_naming_where_it_came_from() -> None:
    plan = cleanup_targets(FOUND[:1], SELECTORS, policy={"older_than": "30d"}, overrides=[{"packages": ["web-*"], "policy": {"older_than": None}}])
    assert plan["problems"] == [
        "org_cleanup_overrides[0]: leaves npm web-ui with no selector (its policy comes from org_cleanup_policy, org_cleanup_overrides[0]); "
        "give it one of version_ids, versions, tags, untagged, older_than, prerelease (versions: ['*'] selects every version), "
        "or leave the package out with org_cleanup_exclude"]


def target(name: str, **policy: t.Any) -> dict[str, t.Any]:
    return {"package_type": "npm", "name": name, "older_than": "1d", **policy}


def planned(**counts: int) -> list[dict[str, t.Any]]:
    return [{"package_type": "npm", "name": name, "counts": {"would_delete": count}} for name, count in counts.items()]


def test_without_a_plan_batches_hold_size_packages() -> None:
    schedule = cleanup_batches([target(n) for n in "abcde"], size=2, deletions=150)
    assert [[p["name"] for p in b] for b in schedule["batches"]] == [["a", "b"], ["c", "d"], ["e"]]
    assert schedule["labels"] == ["batch 1 of 3: 2 packages, npm a .. npm b", "batch 2 of 3: 2 packages, npm c .. npm d",
                                  "batch 3 of 3: 1 packages, npm e"]
    assert schedule["packages_done"] == [2, 4, 5] and schedule["planned"] == 0


def test_a_package_with_more_planned_deletions_than_a_batch_runs_in_capped_parts() -> None:
    schedule = cleanup_batches([target("a"), target("big"), target("c"), target("d")], size=200, deletions=150,
                               plan=planned(a=100, big=320, c=60, d=80))
    assert [[(p["name"], p.get("max_versions")) for p in b] for b in schedule["batches"]] == [
        [("a", None)], [("big", 150)], [("big", 150)], [("big", None)], [("c", None), ("d", None)]]
    assert schedule["labels"][1:4] == [f"batch {i} of 5: npm big, part {i - 1} of 3 (320 planned deletions, at most 150 a part)" for i in (2, 3, 4)]
    assert schedule["packages_done"] == [1, 1, 1, 2, 4] and schedule["planned"] == 560


def test_the_parts_together_never_exceed_the_package_s_own_max_versions() -> None:
    schedule = cleanup_batches([target("big", max_versions=400)], size=200, deletions=150, plan=planned(big=400))
    assert [b[0]["max_versions"] for b in schedule["batches"]] == [150, 150, 100]
    with pytest.raises(AnsibleFilterError, match="must be 1 or more"):
        cleanup_batches([], size=0, deletions=150)


def test_merge_packages_gives_one_result_per_package() -> None:
    part = {"package_type": "npm", "name": "big", "failed": False, "msg": "", "package_deleted": False,
            "counts": {"matched": 2, "deleted": 1, "skipped": 1, "kept": 0}, "versions": [
                {"id": 1, "outcome": "deleted"}, {"id": 2, "outcome": "skipped"}]}
    last = dict(part, counts={"matched": 1, "deleted": 1, "skipped": 0, "kept": 0}, versions=[{"id": 2, "outcome": "deleted"}])
    merged = merge_packages([part, last])
    assert len(merged) == 1 and merged[0]["counts"] == {"matched": 2, "deleted": 2, "skipped": 0, "kept": 0}
    with pytest.raises(AnsibleFilterError):
        merge_packages("big")


def test_batch_errors_name_the_role_variables_a_failed_batch_came_from() -> None:
    sources = {"npm web-ui": ["org_cleanup_policy", "org_cleanup_overrides[0]"]}
    batches = [
        {"packages": [], "changed": False},
        {"failed": True, "msg": "packages[1] (npm web-ui): keep_latest: must be 0 or more, not -1"},
        {"failed": True, "msg": "packages[0] (maven com.acme.lib): the listing failed"},
        {"failed": True},
    ]
    assert batch_errors(batches, sources) == [
        "keep_latest in the policy of npm web-ui (from org_cleanup_policy, org_cleanup_overrides[0]): must be 0 or more, not -1",
        "maven com.acme.lib: the listing failed",
        "the batch failed without a message",
    ]


def test_batch_errors_refuses_what_is_not_a_list_of_results() -> None:
    with pytest.raises(AnsibleFilterError, match="batch_errors: expected a list of batch results"):
        batch_errors("nope", {})
