# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import copy
import json
import os
import stat
import typing as t
from datetime import datetime, timezone

import pytest

from ansible_collections.ghpkgs.registry.plugins.module_utils._report import (
    FORMAT,
    Report,
    ReportPackage,
    ReportVersion,
    build_report,
    load_report,
    merge_packages,
    normalize_api_url,
    parse_report,
    write_report,
)

VALID: t.Dict[str, t.Any] = {
    "format": "ghpkgs.registry.cleanup-report",
    "format_version": 1,
    "generated_at": "2026-11-22T03:00:00Z",
    "api_url": "https://api.github.com",
    "owner": "acme",
    "owner_type": "org",
    "dry_run": False,
    "packages": [
        {"package_type": "container", "name": "team/app", "package_deleted": False,
         "versions": [{"id": 123, "name": "sha256:abc", "tags": ["v1"], "created_at": "2026-01-01T00:00:00Z",
                       "updated_at": "2026-01-02T00:00:00Z", "deleted_at": "2026-11-22T02:59:00Z"}]},
        {"package_type": "npm", "name": "left-pad", "id": 77, "package_deleted": True, "versions": []},
    ],
}


def changed(path: str, value: t.Any) -> t.Dict[str, t.Any]:
    """VALID with the field at a dotted path (list indexes as numbers) set to value, or removed when value is ...;"""
    data = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target: t.Any = data
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    key = int(last) if last.isdigit() else last
    if value is Ellipsis:
        del target[key]
    else:
        target[key] = value
    return data


def test_parses_a_valid_report_into_typed_objects() -> None:
    report = parse_report(VALID)
    assert report == Report(
        generated_at="2026-11-22T03:00:00Z", api_url="https://api.github.com", owner="acme", owner_type="org", dry_run=False,
        packages=(
            ReportPackage("container", "team/app", False, (
                ReportVersion(123, "sha256:abc", ("v1",), "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "2026-11-22T02:59:00Z"),
            )),
            ReportPackage("npm", "left-pad", True, (), id=77),
        ),
    )
    assert report.as_dict() == VALID


def test_optional_version_fields_may_be_missing_or_null() -> None:
    report = parse_report(changed("packages.0.versions", [{"id": 5, "name": "1.0.0"}, {"id": 6, "name": "1.0.1", "tags": None, "deleted_at": None}]))
    assert report.packages[0].versions == (ReportVersion(5, "1.0.0"), ReportVersion(6, "1.0.1"))


def test_unknown_keys_are_ignored_for_forward_compatibility() -> None:
    data = changed("summary", "deleted 1 version")
    data["packages"][0]["reason"] = "older than 30d"
    assert parse_report(data) == parse_report(VALID)


@pytest.mark.parametrize("path, value, message", [
    ("format", "something-else", "report.format: expected \"ghpkgs.registry.cleanup-report\""),
    ("format", ..., "report.format: expected"),
    ("format_version", 2, "report.format_version: this collection reads version 1, got 2"),
    ("format_version", True, "report.format_version"),
    ("generated_at", "yesterday", "report.generated_at: 'yesterday' is not an ISO 8601 timestamp"),
    ("generated_at", ..., "report.generated_at: is missing"),
    ("api_url", "api.github.com", "report.api_url: \"api.github.com\" is not an http(s) URL"),
    ("api_url", "", "report.api_url: must not be empty"),
    ("owner_type", "team", "report.owner_type: expected one of org, user, authenticated"),
    ("owner", None, "report.owner: is missing"),
    ("dry_run", "no", "report.dry_run: expected true or false, got \"no\""),
    ("packages", {}, "report.packages: expected a list"),
    ("packages.0", [], "report.packages[0]: expected an object"),
    ("packages.0.package_type", "pypi", "report.packages[0].package_type: \"pypi\" is not one of npm, maven"),
    ("packages.0.name", 5, "report.packages[0].name: expected a non-empty string, got 5"),
    ("packages.0.package_deleted", ..., "report.packages[0].package_deleted: is missing"),
    ("packages.0.versions", ..., "report.packages[0].versions: is missing"),
    ("packages.1.id", 0, "report.packages[1].id: expected a positive integer, got 0"),
    ("packages.0.versions.0.id", True, "report.packages[0].versions[0].id: expected a positive integer, got true"),
    ("packages.0.versions.0.id", -3, "report.packages[0].versions[0].id: expected a positive integer, got -3"),
    ("packages.0.versions.0.name", ..., "report.packages[0].versions[0].name: is missing"),
    ("packages.0.versions.0.tags", "v1", "report.packages[0].versions[0].tags: expected a list of non-empty strings"),
    ("packages.0.versions.0.tags", [""], "report.packages[0].versions[0].tags: expected a list of non-empty strings"),
    ("packages.0.versions.0.deleted_at", "2026-13-01", "report.packages[0].versions[0].deleted_at: '2026-13-01' is not an ISO 8601"),
    ("packages.0.versions.0", 123, "report.packages[0].versions[0]: expected an object"),
])
def test_malformed_reports_name_the_field_and_the_problem(path: str, value: t.Any, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_report(changed(path, value))
    assert message in str(info.value)


def test_an_authenticated_report_may_omit_the_owner() -> None:
    report = parse_report(changed("owner_type", "authenticated") | {"owner": None})
    assert report.owner is None and report.owner_type == "authenticated"


def test_duplicates_are_refused() -> None:
    data = copy.deepcopy(VALID)
    data["packages"].append(copy.deepcopy(data["packages"][1]))
    with pytest.raises(ValueError, match=r"report.packages\[2\]: npm package \"left-pad\" is listed twice \(also at packages\[1\]\)"):
        parse_report(data)
    data = copy.deepcopy(VALID)
    data["packages"][0]["versions"].append({"id": 123, "name": "sha256:other"})
    with pytest.raises(ValueError, match=r"versions\[1\]: version id 123 is listed twice"):
        parse_report(data)


def test_not_an_object() -> None:
    with pytest.raises(ValueError, match="report: expected a JSON object"):
        parse_report([VALID])


def test_build_write_load_round_trip_with_mode_0600(tmp_path: t.Any) -> None:
    report = build_report(api_url="https://api.github.com", owner="acme", owner_type="org", dry_run=False,
                          packages=VALID["packages"], generated_at=datetime(2026, 11, 22, 3, 0, 0, 123456, tzinfo=timezone.utc))
    assert report.generated_at == "2026-11-22T03:00:00Z"
    path = str(tmp_path / "report.json")
    write_report(path, report)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_report(path) == report
    assert json.loads(open(path, encoding="utf-8").read())["format"] == FORMAT


def test_build_report_defaults_generated_at_to_now() -> None:
    before = datetime.now(timezone.utc).replace(microsecond=0)
    report = build_report("https://api.github.com", "acme", "org", True, [])
    after = datetime.now(timezone.utc)
    assert before <= datetime.fromisoformat(report.generated_at.replace("Z", "+00:00")) <= after


def test_build_report_validates() -> None:
    with pytest.raises(ValueError, match=r"report.packages\[0\].package_type"):
        build_report("https://api.github.com", "acme", "org", False, [{"package_type": "pip", "name": "x", "package_deleted": True, "versions": []}])


def test_write_replaces_an_existing_file_and_leaves_no_temporary_file(tmp_path: t.Any) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")
    os.chmod(path, 0o644)
    write_report(str(path), VALID)
    assert json.loads(path.read_text()) == VALID
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.listdir(tmp_path) == ["report.json"]


def test_write_refuses_a_malformed_dict_and_keeps_the_old_file(tmp_path: t.Any) -> None:
    path = tmp_path / "report.json"
    path.write_text("old")
    with pytest.raises(ValueError, match="report.dry_run"):
        write_report(str(path), changed("dry_run", None))
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.json"]


def test_load_report_turns_io_and_json_problems_into_value_errors(tmp_path: t.Any) -> None:
    with pytest.raises(ValueError, match="from_report: cannot read .*missing.json: No such file"):
        load_report(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=r"from_report: .*bad.json is not a cleanup report \(not valid JSON: .*\); give the OWNER-cleanup-TIME.json file"):
        load_report(str(bad))
    malformed = tmp_path / "malformed.json"
    malformed.write_text(json.dumps(changed("owner_type", "team")))
    with pytest.raises(ValueError, match=r"malformed.json.owner_type: expected one of"):
        load_report(str(malformed))


@pytest.mark.parametrize("a, b", [
    ("https://api.github.com", "https://API.GitHub.com/"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com:443/api/v3/"),
    ("http://127.0.0.1:8080/api", "HTTP://127.0.0.1:8080/api/"),
])
def test_normalize_api_url_equal(a: str, b: str) -> None:
    assert normalize_api_url(a) == normalize_api_url(b)


@pytest.mark.parametrize("a, b", [
    ("https://api.github.com", "https://ghe.example.com/api/v3"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8081"),
    ("https://ghe.example.com/api/v3", "https://ghe.example.com/API/v3"),
])
def test_normalize_api_url_different(a: str, b: str) -> None:
    assert normalize_api_url(a) != normalize_api_url(b)


def _result(name: str, outcomes: t.Dict[int, str], failed: bool = False, msg: str = "", **extra: t.Any) -> t.Dict[str, t.Any]:
    versions = [{"id": i, "name": f"v{i}", "outcome": outcome, "reason": None} for i, outcome in outcomes.items()]
    counts = dict.fromkeys(("deleted", "kept", "skipped", "already_absent", "would_delete"), 0)
    counts["matched"] = len(versions)
    for version in versions:
        counts[version["outcome"]] += 1
    return {"package_type": "npm", "name": name, "failed": failed, "msg": msg, "package_deleted": False, "counts": counts,
            "versions": versions, "bytes_freed": None, "bytes_unmeasured": None, **extra}


def test_merge_packages_joins_the_parts_of_a_package_run_in_several_batches() -> None:
    # Part 1 deletes the 2 oldest and skips 2 beyond max_versions; part 2 lists what is left and deletes it.
    first = _result("big", {1: "deleted", 2: "deleted", 3: "skipped", 4: "skipped", 9: "kept"}, deleted_version_ids=[1, 2])
    second = _result("big", {3: "deleted", 4: "deleted", 9: "kept"}, deleted_version_ids=[3, 4])
    other = _result("small", {5: "deleted"})
    merged = merge_packages([first, other], [second])
    assert [p["name"] for p in merged] == ["big", "small"]
    big = merged[0]
    assert [(v["id"], v["outcome"]) for v in big["versions"]] == [(1, "deleted"), (2, "deleted"), (3, "deleted"), (4, "deleted"), (9, "kept")]
    assert big["counts"]["matched"] == 5 and big["counts"]["deleted"] == 4 and big["counts"]["skipped"] == 0 and big["counts"]["kept"] == 1
    assert big["deleted_version_ids"] == [1, 2, 3, 4]
    assert big["msg"] == "deleted 4 of 5 matching versions in several runs; kept 1; skipped 0"
    assert merged[1] == other and first["counts"]["deleted"] == 2  # inputs are not changed


def test_merge_packages_keeps_a_failure_and_adds_report_entries() -> None:
    failed = _result("big", {1: "deleted", 2: "skipped"}, failed=True, msg="GitHub refused to delete 1 version(s)")
    merged = merge_packages([failed], [_result("big", {3: "deleted"}, msg="deleted 1 of 1 matching versions; kept 0; skipped 0")])[0]
    assert merged["failed"] and merged["msg"] == "GitHub refused to delete 1 version(s)" and merged["counts"]["deleted"] == 2
    # Report entries (no outcomes, no counts): the versions deleted by each run, bytes added up.
    entry = {"package_type": "container", "name": "app", "package_deleted": False, "bytes_freed": 10, "bytes_unmeasured": 1,
             "versions": [VALID["packages"][0]["versions"][0]]}
    later = dict(entry, versions=[dict(VALID["packages"][0]["versions"][0], id=124)], bytes_freed=5, bytes_unmeasured=0,
                 package_deleted=True)
    joined = merge_packages([entry], [later])
    assert len(joined) == 1 and [v["id"] for v in joined[0]["versions"]] == [123, 124]
    assert joined[0]["package_deleted"] and joined[0]["bytes_freed"] == 15 and joined[0]["bytes_unmeasured"] == 1
    parse_report(dict(VALID, packages=joined))


def test_merge_packages_counts_the_parts_of_results_bounded_by_return_versions() -> None:
    # The role asks for return_versions: none, so its results hold counts and no versions: the merge adds up what each part did.
    first = {k: v for k, v in _result("big", {1: "deleted", 2: "deleted", 3: "skipped", 4: "skipped", 9: "kept"}).items() if k != "versions"}
    second = {k: v for k, v in _result("big", {3: "deleted", 4: "deleted", 9: "kept"}).items() if k != "versions"}
    big = merge_packages([first], [second])[0]
    assert "versions" not in big
    assert big["counts"] == {"matched": 5, "deleted": 4, "kept": 1, "skipped": 0, "already_absent": 0, "would_delete": 0}
    assert big["msg"] == "deleted 4 of 5 matching versions in several runs; kept 1; skipped 0"
