# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import re
import sys
import typing as t
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    ACT,
    KEEP,
    SKIP,
    Decision,
    Policy,
    Version,
    has_selector,
    is_prerelease,
    is_prerelease_version,
    parse_duration,
    parse_semver,
    parse_since,
    parse_digests,
    pattern_matcher,
    plan,
    release_of,
    selector,
    superseded_versions,
    tag_selectors,
    validate_globs,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import OptionError

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)


def ver(vid, name=None, tags=(), age_days=0.0, updated_age_days=None, package_type="container", deleted_at=None):
    created = NOW - timedelta(days=age_days)
    updated = NOW - timedelta(days=age_days if updated_age_days is None else updated_age_days)
    return Version(vid, name if name is not None else f"sha256:{vid:064x}", tuple(tags), created, updated, deleted_at, package_type)


def ids(decisions, action=None):
    return [d.version.id for d in decisions if action is None or d.action == action]


# ---------------------------------------------------------------- Version.from_api

CONTAINER_JSON = {
    "id": 101,
    "name": "sha256:1f2e",
    "url": "https://api.github.com/orgs/acme/packages/container/app/versions/101",
    "package_html_url": "https://github.com/orgs/acme/packages/container/package/app",
    "created_at": "2024-05-01T12:00:00Z",
    "updated_at": "2024-05-02T08:30:00Z",
    "html_url": "https://github.com/orgs/acme/packages/container/app/101",
    "metadata": {"package_type": "container", "container": {"tags": ["v1.2.0", "latest"]}},
}


def test_from_api_container_reads_tags_and_timestamps():
    v = Version.from_api(CONTAINER_JSON, "container")
    assert v.id == 101 and v.name == "sha256:1f2e" and v.tags == ("v1.2.0", "latest")
    assert v.created_at == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)
    assert v.updated_at == datetime(2024, 5, 2, 8, 30, tzinfo=timezone.utc)
    assert v.deleted_at is None and v.package_type == "container"


def test_versions_are_compact_and_share_equal_timestamps():
    v = Version.from_api(dict(CONTAINER_JSON, updated_at="2024-05-01T12:00:00+00:00"), "container")
    assert not hasattr(v, "__dict__") and not hasattr(Decision(v, ACT), "__dict__")
    assert v.updated_at is v.created_at
    entry = v.as_dict()
    assert entry["updated_at"] == "2024-05-01T12:00:00Z" and entry["updated_at"] is entry["created_at"]


def test_as_dict_gives_timestamps_as_github_does():
    data = dict(CONTAINER_JSON, deleted_at="2024-06-01T00:00:00Z")
    assert Version.from_api(data, "container").as_dict() == {
        "id": 101,
        "name": "sha256:1f2e",
        "tags": ["v1.2.0", "latest"],
        "created_at": "2024-05-01T12:00:00Z",
        "updated_at": "2024-05-02T08:30:00Z",
        "deleted_at": "2024-06-01T00:00:00Z",
    }


def test_from_api_docker_reads_metadata_docker_tag():
    data = {"id": 7, "name": "1.0", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
            "metadata": {"package_type": "docker", "docker": {"tag": ["1.0", "stable"]}}}
    assert Version.from_api(data, "docker").tags == ("1.0", "stable")


def test_from_api_untagged_container_and_untyped_packages_have_no_tags():
    untagged = dict(CONTAINER_JSON, metadata={"package_type": "container", "container": {"tags": []}})
    assert Version.from_api(untagged, "container").tags == ()
    npm = {"id": 3, "name": "1.0.0", "created_at": "2020-01-01T00:00:00Z", "updated_at": "2020-01-01T00:00:00Z",
           "metadata": {"package_type": "npm"}}
    assert Version.from_api(npm, "npm").tags == ()
    assert Version.from_api(dict(npm, metadata=None), "maven").tags == ()


def test_from_api_accepts_offsets():
    data = dict(CONTAINER_JSON, created_at="2024-05-01T14:00:00+02:00")
    assert Version.from_api(data, "container").created_at == datetime(2024, 5, 1, 12, tzinfo=timezone.utc)


@pytest.mark.parametrize("change, message", [
    ({"id": None}, "lacks 'id'"),
    ({"created_at": None}, "package version 101: the API answer lacks 'created_at'"),
    ({"id": "101"}, "id is not an integer"),
    ({"updated_at": "yesterday"}, "package version 101: updated_at: 'yesterday' is not an ISO 8601 timestamp"),
    ({"metadata": {"container": {"tags": [1]}}}, "tags are not all strings"),
])
def test_from_api_rejects_malformed_json(change, message):
    with pytest.raises(ValueError, match=message):
        Version.from_api(dict(CONTAINER_JSON, **change), "container")


def test_from_api_rejects_unknown_package_type():
    with pytest.raises(ValueError, match="package_type: 'pypi' is not one of npm, maven"):
        Version.from_api(CONTAINER_JSON, "pypi")


# ---------------------------------------------------------------- durations and timestamps

@pytest.mark.parametrize("value, expected", [
    ("90m", timedelta(minutes=90)),
    ("36h", timedelta(hours=36)),
    ("30d", timedelta(days=30)),
    ("2w", timedelta(weeks=2)),
    ("45s", timedelta(seconds=45)),
    ("7", timedelta(days=7)),
    (" 1.5 ", timedelta(days=1.5)),
    ("1.5h", timedelta(minutes=90)),
    (7, timedelta(days=7)),
    (1.5, timedelta(hours=36)),
    (0, timedelta(0)),
    ("0d", timedelta(0)),
])
def test_parse_duration_accepts(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "   ", "3x", "d", "1.5.2", "-1", "-2d", "1e3", "2 weeks", "30D", ".5", "1.", "nan"])
def test_parse_duration_rejects_text(value):
    with pytest.raises(ValueError, match=r"^older_than: .* is not a duration; use a number of days or a number followed by s, m, h, d or w \("):
        parse_duration(value)


@pytest.mark.parametrize("value", [-1, -0.5, float("nan"), float("inf"), True, None, [1]])
def test_parse_duration_rejects_other_values(value):
    with pytest.raises(ValueError, match="^older_than: .* is not a duration"):
        parse_duration(value)


def test_parse_duration_names_the_option_and_rejects_overflow():
    with pytest.raises(ValueError, match="^max_age: 'x' is not a duration"):
        parse_duration("x", "max_age")
    with pytest.raises(ValueError, match="^older_than: .* is too long a duration"):
        parse_duration("99999999999w")
    with pytest.raises(ValueError, match="too long"):
        parse_duration(10 ** 400)


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T12:00:00Z", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01T14:00:00+02:00", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01T12:00:00", datetime(2024, 5, 1, 12, tzinfo=timezone.utc)),
    ("2024-05-01", datetime(2024, 5, 1, tzinfo=timezone.utc)),
    ("36h", NOW - timedelta(hours=36)),
    ("7", NOW - 7 * DAY),
    (7, NOW - 7 * DAY),
])
def test_parse_since(value, expected):
    result = parse_since(value, NOW)
    assert result == expected and result.tzinfo is not None


def test_parse_since_treats_naive_now_as_utc():
    assert parse_since("1d", NOW.replace(tzinfo=None)) == NOW - DAY


@pytest.mark.parametrize("value", ["last week", "", "2024-13-01", "-3d", None, 10 ** 9])
def test_parse_since_rejects(value):
    with pytest.raises(ValueError, match="^deleted_after: .* (is neither an ISO 8601 timestamp .* nor a duration|reaches before year 1)"):
        parse_since(value, NOW)


# ---------------------------------------------------------------- SemVer

@pytest.mark.parametrize("name", ["1.2.0-rc.1", "2.0.0-beta", "1.0.0-SNAPSHOT", "v1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x-y.z+build"])
def test_prereleases(name):
    assert is_prerelease(name)


@pytest.mark.parametrize("name", ["1.2.0", "1.2.0+build.5", "v3.0.0", "latest", "1.2", "1.0-SNAPSHOT", "01.2.3", "1.2.3-01",
                                  "1.2.3-", "1.2.3-rc..1", "V1.2.3-rc", "1.2.3-rc.1\n", "sha256:abcd", "1.٢.3-rc"])
def test_not_prereleases(name):
    assert not is_prerelease(name)


def test_parse_semver_parts():
    assert parse_semver("v1.20.3-rc.1+build.5") == parse_semver("1.20.3-rc.1+build.5")
    parsed = parse_semver("1.20.3-rc.1+build.5")
    assert (parsed.major, parsed.minor, parsed.patch, parsed.prerelease, parsed.build) == (1, 20, 3, ("rc", "1"), ("build", "5"))
    assert parse_semver("not-a-version") is None


@pytest.mark.parametrize("tags, expected", [
    (("v1.2.0-rc.1",), True),
    (("v1.2.0-rc.1", "latest", "pr-12"), True),
    (("1.2.0-rc.1", "1.2.0-rc.2"), True),
    (("1.2.0-rc.1", "1.2.0"), False),
    (("latest",), False),
    ((), False),
    (("1.2.0+build.5",), False),
])
def test_container_prerelease_judged_on_tags(tags, expected):
    assert is_prerelease_version(ver(1, name="sha256:aa", tags=tags)) is expected
    assert is_prerelease_version(ver(1, name="1.0.0", tags=tags, package_type="docker")) is expected


PRERELEASE_BY_TYPE = {
    "npm": (["1.0.0-beta.2", "v1.2.0-rc.1", "1.0.0-0.3.7", "1.0.0-SNAPSHOT+build.1"],
            ["1.0.0", "v3.0.0", "1.2.0+build.5", "1.0-SNAPSHOT", "1.0.0.pre", "1.2.3.4-beta", "latest"]),
    "nuget": (["1.1.0-preview.1", "v2.0.0-rc.1", "1.2.3.4-beta", "1.2.3.4-beta.2+sha.5", "1.0.0-alpha"],
              ["1.1.0", "1.2.3.4", "1.2.3.4+build.7", "1.2.3+build", "1.2.3.4.5-beta", "01.2.3-beta", "1.0-beta"]),
    "maven": (["1.0-SNAPSHOT", "1.1.0-SNAPSHOT", "1.0.0-M1", "1.2.0-RC1", "1.0-beta-2", "1.0-alpha", "2.0.0-cr2", "1.0.0.CR1",
               "1.0-a1", "1.0-b2", "1.0.0-milestone-3", "1.0alpha", "1.0-sp1-SNAPSHOT", "31.1-rc1-jre", "1.0-snapshot", "v1.2.0-rc.1"],
              ["1.0", "1.0.0", "1.0.0.Final", "1.0.GA", "2.0.0.RELEASE", "1.0-sp1", "31.1-jre", "1.0-a", "1.0-m", "1.0-jre-rc1", "v1.2.0", "release-2"]),
    "rubygems": (["1.0.0.pre", "1.1.0.beta1", "2.0.0.rc2", "1.0.0-alpha", "0.1.a"],
                 ["1.0.0", "0.9", "2.0.0.1"]),
}


@pytest.mark.parametrize("package_type, name, expected", [
    (package_type, name, expected)
    for package_type, (pre, release) in PRERELEASE_BY_TYPE.items()
    for expected, names in ((True, pre), (False, release))
    for name in names
])
def test_other_types_prerelease_judged_on_name_by_their_own_rule(package_type, name, expected):
    assert is_prerelease_version(ver(1, name=name, package_type=package_type)) is expected


def test_prerelease_selector_follows_each_ecosystem():
    versions = [ver(i, name=name, package_type=package_type, age_days=i)
                for i, (package_type, name) in enumerate([("maven", "1.0-SNAPSHOT"), ("maven", "1.0.0.Final"), ("rubygems", "1.0.0.pre"),
                                                          ("rubygems", "1.0.0"), ("nuget", "1.2.3.4-beta"), ("nuget", "1.2.3.4")], 1)]
    assert ids(plan(versions, Policy(prerelease=True), NOW)) == [5, 3, 1]
    assert ids(plan(versions, Policy(prerelease=False), NOW)) == [6, 4, 2]


# ---------------------------------------------------------------- globs and policy validation

def test_validate_globs_accepts_ordinary_patterns():
    validate_globs(["v1.*", "sha256:*", "[[]weird]", "[!a]x", "[]]", "release-?"], "tags")
    validate_globs([], "tags")


@pytest.mark.parametrize("patterns, message", [
    ("v1.*", "^tags: expected a list of patterns"),
    ([""], "^tags: an empty pattern matches nothing"),
    ([3], "^tags: 3 is not a string"),
    (["v1.[0-9"], r"^tags: 'v1.\[0-9' has a '\[' that no '\]' closes; write '\[\[\]'"),
    (["[]"], "^tags: .* has a '.' that no"),
    (["[!]"], "^tags: .* has a '.' that no"),
])
def test_validate_globs_rejects(patterns, message):
    with pytest.raises(ValueError, match=message):
        validate_globs(patterns, "tags")


@pytest.mark.parametrize("kwargs, message", [
    ({"version_ids": [1, "2"]}, "^version_ids: '2' is not an integer"),
    ({"version_ids": [True]}, "^version_ids: True is not an integer"),
    ({"version_ids": 5}, "^version_ids: expected a list"),
    ({"versions": ["["]}, "^versions: "),
    ({"exclude": [""]}, "^exclude: "),
    ({"untagged": "yes"}, "^untagged: expected true, false or null"),
    ({"prerelease": 1}, "^prerelease: expected true, false or null"),
    ({"older_than": "3x"}, "^older_than: '3x' is not a duration"),
    ({"older_than": timedelta(days=-1)}, "^older_than: must not be negative"),
    ({"keep_latest": -1}, "^keep_latest: must be at least 0"),
    ({"keep_latest": "3"}, "^keep_latest: expected an integer"),
    ({"max_versions": 0}, "^max_versions: must be at least 1"),
    ({"max_versions": 2.5}, "^max_versions: expected an integer"),
])
def test_policy_rejects_bad_options(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Policy(**kwargs)


def test_policy_normalizes():
    policy = Policy(version_ids=[3, 1], versions=["a*"], exclude=None, keep_latest=None, older_than="2w")
    assert policy.version_ids == (3, 1) and policy.versions == ("a*",) and policy.exclude == ()
    assert policy.keep_latest == 0 and policy.older_than == timedelta(weeks=2)


def test_policy_from_params_ignores_other_module_options():
    params = {"owner": "acme", "token": "ghp_x", "state": "absent", "tags": ["pr-*"], "keep_latest": 2, "max_versions": None}
    assert Policy.from_params(params) == Policy(tags=("pr-*",), keep_latest=2)


@pytest.mark.parametrize("policy, expected", [
    (Policy(), False),
    (Policy(exclude=["*"], keep_latest=3, max_versions=5), False),
    (Policy(versions=["*"]), True),
    (Policy(version_ids=[]), True),
    (Policy(tags=["*"]), True),
    (Policy(untagged=False), True),
    (Policy(prerelease=False), True),
    (Policy(older_than=0), True),
])
def test_has_selector(policy, expected):
    assert has_selector(policy) is expected


# ---------------------------------------------------------------- selectors

VERSIONS = [
    ver(1, name="sha256:aaa1", tags=("v1.0.0",), age_days=100),
    ver(2, name="sha256:bbb2", tags=(), age_days=90),
    ver(3, name="sha256:ccc3", tags=("v1.1.0-rc.1", "pr-12"), age_days=60, updated_age_days=5),
    ver(4, name="sha256:ddd4", tags=("latest", "v1.1.0"), age_days=30),
    ver(5, name="sha256:eee5", tags=(), age_days=2),
    ver(6, name="sha256:fff6", tags=("Latest-Dev",), age_days=1),
]


@pytest.mark.parametrize("policy, expected", [
    (Policy(), [1, 2, 3, 4, 5, 6]),
    (Policy(version_ids=[4, 2, 99]), [2, 4]),
    (Policy(version_ids=[]), []),
    (Policy(versions=["sha256:[a-c]*"]), [1, 2, 3]),
    (Policy(versions=["sha256:aaa1", "sha256:eee?"]), [1, 5]),
    (Policy(versions=["SHA256:*"]), []),
    (Policy(versions=[]), []),
    (Policy(tags=["*"]), [1, 3, 4, 6]),
    (Policy(tags=["pr-*", "v1.1.0-rc.1"]), [3]),
    (Policy(untagged=True), [2, 5]),
    (Policy(untagged=False), [1, 3, 4, 6]),
    (Policy(older_than="30d"), [1, 2]),
    (Policy(older_than=timedelta(days=29)), [1, 2, 4]),
    (Policy(older_than=0), [1, 2, 3, 4, 5, 6]),
    (Policy(prerelease=True), [3]),
    (Policy(prerelease=False), [1, 2, 4, 5, 6]),
    (Policy(untagged=False, older_than="10d", prerelease=False), [1, 4]),
    (Policy(versions=["*"], untagged=True, older_than="50d"), [2]),
])
def test_selectors_combine_with_and(policy, expected):
    decisions = plan(VERSIONS, policy, NOW)
    assert ids(decisions) == expected
    assert all(d.action == ACT and d.reason is None for d in decisions)


def test_older_than_is_strict_and_uses_updated_at():
    exactly = ver(1, age_days=10)
    just_older = Version(2, "sha256:2", (), NOW - 40 * DAY, NOW - 10 * DAY - timedelta(microseconds=1), None, "container")
    recently_updated = ver(3, age_days=40, updated_age_days=1)
    assert ids(plan([exactly, just_older, recently_updated], Policy(older_than="10d"), NOW)) == [2]


def test_age_from_created_at_ignores_a_recent_re_tag():
    retagged = ver(3, age_days=40, updated_age_days=1)
    fresh = ver(4, age_days=5)
    assert ids(plan([retagged, fresh], Policy(older_than="10d", age_from="created_at"), NOW)) == [3]
    assert ids(plan([retagged, fresh], Policy(older_than="10d", age_from="updated_at"), NOW)) == []
    assert Policy(age_from=None).age_from == "updated_at" == Policy().age_from


def test_age_from_must_name_a_timestamp():
    with pytest.raises(ValueError, match="^age_from: 'deleted_at' is not one of updated_at, created_at"):
        Policy(older_than="1d", age_from="deleted_at")


def test_older_than_beyond_year_one_selects_nothing():
    assert plan(VERSIONS, Policy(older_than=timedelta(days=999_999)), NOW) == []


@pytest.mark.parametrize("policy, acted, kept", [
    (Policy(tags=["v1.*"]), [1], {3: "pr-12", 4: "latest"}),
    (Policy(tags=["latest*"]), [], {4: "v1.1.0"}),
    (Policy(tags=["pr-*", "Latest*"]), [6], {3: "v1.1.0-rc.1"}),
])
def test_tags_select_in_tag_space_and_name_the_tag_that_keeps_a_version(policy, acted, kept):
    decisions = plan(VERSIONS, policy, NOW)
    assert [d.version.id for d in decisions if d.action == ACT] == acted
    assert {d.version.id: d.reason for d in decisions if d.action == KEEP} == {
        vid: f"tag '{tag}' is not selected by tags ({', '.join(policy.tags)}); a version is only selected when every one of its tags is"
        for vid, tag in kept.items()}
    assert ids(decisions) == sorted(acted + list(kept))  # oldest first: VERSIONS are numbered oldest first


def test_an_excluded_version_kept_by_another_tag_gives_the_exclusion_as_its_reason():
    decisions = {d.version.id: d for d in plan(VERSIONS, Policy(tags=["pr-*"], exclude=["v1.1.0*"]), NOW)}
    assert decisions[3] == Decision(VERSIONS[2], KEEP, "excluded by pattern 'v1.1.0*'")
    assert list(decisions) == [3]


def test_a_version_kept_by_another_tag_does_not_count_for_keep_latest():
    release_and_pr = ver(3, tags=("pr-3", "v1.0.0"), age_days=1)
    prs = [ver(1, tags=("pr-1",), age_days=3), ver(2, tags=("pr-2",), age_days=2), release_and_pr]
    decisions = plan(prs, Policy(tags=["pr-*"], keep_latest=1), NOW)
    assert [(d.version.id, d.action) for d in decisions] == [(1, ACT), (2, KEEP), (3, KEEP)]
    assert decisions[1].reason == "among the 1 newest matching versions (keep_latest)"
    assert decisions[2].reason.startswith("tag 'v1.0.0' is not selected by tags (pr-*)")


def test_any_tag_selector_is_the_restore_meaning():
    selects = selector(Policy(tags=["pr-*"]), NOW, any_tag=True)
    assert [v.id for v in VERSIONS if selects(v)] == [3]
    assert [v.id for v in VERSIONS if selector(Policy(tags=["pr-*"]), NOW)(v)] == []


def test_tag_selectors_are_named_for_types_without_tags():
    assert tag_selectors(Policy(tags=["*"], untagged=False, older_than="1d")) == ["tags", "untagged"]
    assert tag_selectors(Policy(prerelease=True, versions=["*"])) == []
    npm = [ver(1, name="1.0.0", package_type="npm"), ver(2, name="1.1.0-beta.1", package_type="npm")]
    assert plan(npm, Policy(tags=["*"]), NOW) == []
    assert ids(plan(npm, Policy(prerelease=True), NOW)) == [2]
    assert ids(plan(npm, Policy(versions=["1.0.*"]), NOW)) == [1]


# ---------------------------------------------------------------- protections

def test_exclude_matches_name_or_any_tag_and_names_the_first_glob():
    policy = Policy(exclude=["latest", "sha256:bbb*", "v1.*"])
    decisions = {d.version.id: d for d in plan(VERSIONS, policy, NOW)}
    assert decisions[4] == Decision(VERSIONS[3], KEEP, "excluded by pattern 'latest'")
    assert decisions[2].reason == "excluded by pattern 'sha256:bbb*'"
    assert decisions[1].reason == "excluded by pattern 'v1.*'"
    assert decisions[3].reason == "excluded by pattern 'v1.*'"
    assert [decisions[i].action for i in (5, 6)] == [ACT, ACT]


def test_keep_latest_keeps_the_newest_matching():
    decisions = plan(VERSIONS, Policy(untagged=False, keep_latest=2), NOW)
    assert ids(decisions, ACT) == [1, 3]
    assert ids(decisions, KEEP) == [4, 6]
    assert {d.reason for d in decisions if d.action == KEEP} == {"among the 2 newest matching versions (keep_latest)"}


def test_keep_latest_counts_excluded_versions():
    decisions = plan(VERSIONS, Policy(versions=["*"], exclude=["Latest-Dev"], keep_latest=2), NOW)
    reasons = {d.version.id: d.reason for d in decisions if d.action == KEEP}
    assert reasons == {6: "excluded by pattern 'Latest-Dev'", 5: "among the 2 newest matching versions (keep_latest)"}
    assert ids(decisions, ACT) == [1, 2, 3, 4]


def test_keep_latest_breaks_created_at_ties_by_id():
    same_time = [ver(i, age_days=5) for i in (30, 10, 20)]
    decisions = plan(same_time, Policy(versions=["*"], keep_latest=1), NOW)
    assert ids(decisions) == [10, 20, 30]
    assert ids(decisions, KEEP) == [30]


def test_keep_latest_larger_than_selection_keeps_all():
    decisions = plan(VERSIONS, Policy(untagged=True, keep_latest=10), NOW)
    assert ids(decisions, KEEP) == [2, 5] and ids(decisions, ACT) == []


def test_max_versions_acts_on_the_oldest_and_skips_the_rest():
    decisions = plan(VERSIONS, Policy(versions=["*"], exclude=["sha256:aaa1"], keep_latest=1, max_versions=2), NOW)
    assert [(d.version.id, d.action) for d in decisions] == [(1, KEEP), (2, ACT), (3, ACT), (4, SKIP), (5, SKIP), (6, KEEP)]
    assert decisions[3].reason == "beyond max_versions=2; run again to continue"


def test_protected_adds_keep_decisions_and_frees_the_budget():
    policy = Policy(untagged=True, max_versions=1)
    assert [(d.version.id, d.action) for d in plan(VERSIONS, policy, NOW)] == [(2, ACT), (5, SKIP)]
    decisions = plan(VERSIONS, policy, NOW, protected={2: "referenced by kept index sha256:ddd4", 4: "not selected"})
    assert [(d.version.id, d.action, d.reason) for d in decisions] == [(2, KEEP, "referenced by kept index sha256:ddd4"), (5, ACT, None)]


def test_protected_reason_must_be_text():
    with pytest.raises(ValueError, match="^protected: the reason for version 2 must be a non-empty string"):
        plan(VERSIONS, Policy(), NOW, protected={2: ""})


def test_exclude_wins_over_keep_latest_and_protected():
    decisions = plan(VERSIONS, Policy(versions=["sha256:fff6"], exclude=["Latest-*"], keep_latest=1), NOW, protected={6: "mine"})
    assert decisions[0].reason == "excluded by pattern 'Latest-*'"


def test_plan_collapses_identical_duplicates_and_rejects_conflicting_ones():
    assert ids(plan(VERSIONS + VERSIONS[:2], Policy(), NOW)) == [1, 2, 3, 4, 5, 6]
    with pytest.raises(ValueError, match="package version 1: the listing holds two different versions"):
        plan(VERSIONS + [ver(1, name="sha256:other")], Policy(), NOW)


def test_decision_as_dict():
    decision = plan(VERSIONS, Policy(version_ids=[2], keep_latest=1), NOW)[0]
    assert decision.as_dict() == {
        "id": 2, "name": "sha256:bbb2", "tags": [], "created_at": "2025-12-01T12:00:00Z", "updated_at": "2025-12-01T12:00:00Z",
        "deleted_at": None, "action": "keep", "reason": "among the 1 newest matching versions (keep_latest)",
    }


def test_plan_accepts_naive_now_as_utc():
    assert plan(VERSIONS, Policy(older_than="30d"), NOW.replace(tzinfo=None)) == plan(VERSIONS, Policy(older_than="30d"), NOW)


def test_plan_is_fast_on_100000_versions():
    many = [
        Version(i, f"sha256:{i:064x}", (f"v1.{i % 50}.0-rc.{i % 7}", "latest") if i % 3 else (), NOW - timedelta(minutes=i),
                NOW - timedelta(minutes=i), None, "container")
        for i in range(100_000)
    ]
    policy = Policy(versions=["sha256:*"], tags=["v1.*", "latest"], older_than="1h", prerelease=True, exclude=["*.49.0-*"],
                    keep_latest=10, max_versions=50_000)
    # Work, not seconds (which depend on the machine): the Python lines plan runs (with calls and returns), about 30 per
    # version today; a plan that compared every version with every other would run thousands per version.
    steps = [0]

    def count(frame: t.Any, event: str, arg: t.Any) -> t.Any:
        steps[0] += 1
        return count

    previous = sys.gettrace()  # coverage's, when measured
    sys.settrace(count)
    try:
        decisions = plan(many, policy, NOW)
    finally:
        sys.settrace(previous)
    assert len(ids(decisions, ACT)) == 50_000
    assert steps[0] < 100 * len(many), f"plan ran {steps[0]} lines for 100,000 versions"


# ---------------------------------------------------------------- superseded pre-releases (issue 21 part 3)

@pytest.mark.parametrize("package_type, names, superseded", [
    # npm: SemVer's major.minor.patch; build metadata does not matter, and a pre-release without its release stays.
    ("npm", ["1.2.4-rc.1", "1.2.4-rc.2+build.7", "1.2.4", "1.3.0-beta.1", "1.2.3"],
     {"1.2.4-rc.1": "superseded by 1.2.4", "1.2.4-rc.2+build.7": "superseded by 1.2.4"}),
    ("npm", ["2.0.0-rc.1", "2.0.0+build.1"], {"2.0.0-rc.1": "superseded by 2.0.0+build.1"}),
    # maven: SNAPSHOT and the qualifiers Maven ranks below the release; trailing zeros and case do not matter.
    ("maven", ["1.0-SNAPSHOT", "1.0.0", "2.0-RC1", "2.0", "3.1-beta-2", "3.1-sp1-SNAPSHOT", "3.1-sp1", "4.0.0-M1", "31.1-jre"],
     {"1.0-SNAPSHOT": "superseded by 1.0.0", "2.0-RC1": "superseded by 2.0", "3.1-sp1-SNAPSHOT": "superseded by 3.1-sp1"}),
    # nuget: four numbers, the fourth 0 when absent.
    ("nuget", ["1.2.3-beta", "1.2.3.0", "1.2.3.4-rc.1", "1.2.3.5"], {"1.2.3-beta": "superseded by 1.2.3.0"}),
    # rubygems: the segments before the first with a letter, as Gem::Version#release.
    ("rubygems", ["1.0.0.pre", "1.0", "1.1.0.beta1", "1.2.0.rc1", "1.2.0"],
     {"1.0.0.pre": "superseded by 1.0", "1.2.0.rc1": "superseded by 1.2.0"}),
])
def test_superseded_follows_each_ecosystem(package_type, names, superseded):
    versions = [ver(i + 1, name, package_type=package_type, age_days=len(names) - i) for i, name in enumerate(names)]
    found = superseded_versions(versions)
    assert {versions[i - 1].name: why for i, why in found.items()} == superseded


def test_superseded_container_needs_every_semver_tag_released_and_names_the_release_tag():
    versions = [
        ver(1, tags=["v1.2.4-rc.1", "pr-12"], age_days=5),  # pr-12 is not SemVer: ignored
        ver(2, tags=["v1.2.4", "latest"], age_days=4),
        ver(3, tags=["1.3.0-rc.1", "v1.2.4-rc.2"], age_days=3),  # 1.3.0 is not out
        ver(4, tags=["1.2.4-rc.3"], age_days=2),  # the leading v does not matter
        ver(5, tags=["v2.0.0-rc.1", "v2.0.0"], age_days=1),  # carries its own release: not a pre-release
        ver(6, tags=[], age_days=1),
    ]
    assert superseded_versions(versions) == {1: "superseded by v1.2.4", 4: "superseded by v1.2.4"}


def test_release_of_tells_non_versions_apart():
    assert release_of("npm", "not-a-version") == (False, None)
    assert release_of("container", "latest") == (False, None)
    assert release_of("nuget", "x") == (False, None)
    assert release_of("rubygems", "pre") == (True, None)  # a letter, and nothing before it


def test_superseded_selector_selects_with_the_reason_and_combines_with_others():
    versions = [ver(1, "1.2.4-rc.1", package_type="npm", age_days=30), ver(2, "1.2.4", package_type="npm", age_days=20),
                ver(3, "1.2.5-rc.1", package_type="npm", age_days=10), ver(4, "1.2.4-rc.2", package_type="npm", age_days=1)]
    decisions = plan(versions, Policy(superseded=True), NOW)
    assert [(d.version.id, d.action, d.reason) for d in decisions] == [
        (1, ACT, "superseded by 1.2.4"), (4, ACT, "superseded by 1.2.4")]
    assert ids(plan(versions, Policy(superseded=True, older_than="7d"), NOW)) == [1]
    assert [(d.version.id, d.action, d.reason) for d in plan(versions, Policy(superseded=True, keep_latest=1), NOW)] == [
        (1, ACT, "superseded by 1.2.4"), (4, KEEP, "among the 1 newest matching versions (keep_latest)")]
    assert ids(plan(versions, Policy(superseded=False), NOW)) == [2, 3]
    assert has_selector(Policy(superseded=False))


def test_superseded_counts_only_releases_in_the_listing():
    versions = [ver(1, "1.2.4-rc.1", package_type="npm", age_days=3)]
    assert plan(versions, Policy(superseded=True), NOW) == []


def test_selector_needs_the_superseded_versions():
    with pytest.raises(TypeError):
        selector(Policy(superseded=True), NOW)


# ---------------------------------------------------------------- regular expressions (issue 21 part 2)

def test_regular_expressions_match_the_whole_text_beside_globs():
    matches = pattern_matcher(["re:v[0-9]+", "pr-*", r"re:(a)\1"])
    assert [bool(matches(text)) for text in ["v12", "v12-rc", "xv12", "pr-7", "aa", "a"]] == [True, False, False, True, True, False]
    assert not pattern_matcher([])("anything")


def test_regular_expressions_in_tags_versions_and_exclude():
    versions = [ver(1, tags=["v1"], age_days=3), ver(2, tags=["v1-rc"], age_days=2), ver(3, tags=["v22"], age_days=1)]
    assert ids(plan(versions, Policy(tags=["re:v[0-9]+"]), NOW), ACT) == [1, 3]
    decisions = plan(versions, Policy(versions=["*"], exclude=["latest", "re:v2+"]), NOW)
    assert [(d.version.id, d.reason) for d in decisions] == [(1, None), (2, None), (3, "excluded by pattern 're:v2+'")]
    npm = [ver(4, "1.0.0", package_type="npm"), ver(5, "1.0.0-rc.1", package_type="npm")]
    assert ids(plan(npm, Policy(versions=[r"re:[0-9.]+"]), NOW)) == [4]


@pytest.mark.parametrize("option, pattern, message", [
    ("tags", "re:v[0-9", "tags: 're:v[0-9' is not a valid regular expression: unterminated character set at position 1"),
    ("versions", "re:(", "versions: 're:(' is not a valid regular expression: missing ), unterminated subpattern"),
    ("exclude", "re:  ", "exclude: 're:  ' has no regular expression after 're:'"),
])
def test_bad_regular_expressions_name_the_option_the_pattern_and_the_error(option, pattern, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        Policy(**{option: [pattern]})


def test_a_regular_expression_may_hold_what_a_glob_may_not():
    validate_globs([r"re:a\[", "re:[^]]"], "tags")  # a '[' that a glob would leave open is fine in a regular expression
    assert pattern_matcher([r"re:a\["])("a[")


# ---------------------------------------------------------------- keep rules (issue 21 part 1)

RULE_VERSIONS = [
    ver(1, tags=["v1.0"], age_days=40), ver(2, tags=["v1.1"], age_days=30), ver(3, tags=["v1.2"], age_days=20),
    ver(4, tags=["pr-1"], age_days=15), ver(5, tags=["pr-2"], age_days=12), ver(6, tags=["pr-3"], age_days=11),
    ver(7, tags=[], age_days=10), ver(8, tags=[], age_days=3), ver(9, tags=["v1.3", "pr-4"], age_days=2),
]


def test_keep_rules_keep_what_any_rule_keeps_and_name_the_first_rule():
    policy = Policy(versions=["*"], keep_rules=[
        {"name": "releases", "tags": ["v*"], "keep_latest": 2},
        {"tags": ["pr-*"], "keep_latest": 2},
        {"name": "recent", "untagged": True, "younger_than": "7d"},
    ])
    decisions = plan(RULE_VERSIONS, policy, NOW)
    assert [(d.version.id, d.action, d.reason) for d in decisions] == [
        (1, ACT, None), (2, ACT, None),
        (3, KEEP, "rule releases (2 newest v*)"),
        (4, ACT, None), (5, ACT, None),
        (6, KEEP, "rule keep_rules[1] (2 newest pr-*)"),
        (7, ACT, None),
        (8, KEEP, "rule recent (untagged younger than 7d)"),
        (9, KEEP, "rule releases (2 newest v*)"),  # pr-4 also keeps it; the first rule is named
    ]


def test_keep_rules_rank_among_every_version_the_rule_applies_to_not_only_the_selected():
    policy = Policy(older_than="25d", keep_rules=[{"tags": ["v*"], "keep_latest": 2}])
    # The 2 newest v* are 3 and 9 (not selected: too young), so 1 and 2 go, as in Harbor.
    assert ids(plan(RULE_VERSIONS, policy, NOW), ACT) == [1, 2]


def test_a_rule_without_a_limit_keeps_all_it_applies_to_and_filters_combine():
    policy = Policy(versions=["*"], keep_rules=[{"name": "all pr", "tags": ["re:pr-[0-9]+"]},
                                                {"versions": [RULE_VERSIONS[0].name], "untagged": False}])
    kept = {d.version.id: d.reason for d in plan(RULE_VERSIONS, policy, NOW) if d.action == KEEP}
    assert kept == {1: "rule keep_rules[1] (every " + RULE_VERSIONS[0].name + " tagged)", 4: "rule all pr (every re:pr-[0-9]+)",
                    5: "rule all pr (every re:pr-[0-9]+)", 6: "rule all pr (every re:pr-[0-9]+)", 9: "rule all pr (every re:pr-[0-9]+)"}


def test_keep_rules_after_exclude_and_keep_latest_and_before_max_versions():
    policy = Policy(versions=["*"], exclude=["v1.0"], keep_latest=1, max_versions=1,
                    keep_rules=[{"tags": ["v*"], "keep_latest": 10}])
    assert [(d.version.id, d.action) for d in plan(RULE_VERSIONS, policy, NOW)] == [
        (1, KEEP), (2, KEEP), (3, KEEP), (4, ACT), (5, SKIP), (6, SKIP), (7, SKIP), (8, SKIP), (9, KEEP)]


def test_keep_rules_younger_than_follows_age_from():
    versions = [ver(1, tags=[], age_days=10, updated_age_days=1)]
    rule = [{"untagged": True, "younger_than": "2d"}]
    assert ids(plan(versions, Policy(versions=["*"], keep_rules=rule), NOW), KEEP) == [1]
    assert ids(plan(versions, Policy(versions=["*"], keep_rules=rule, age_from="created_at"), NOW), ACT) == [1]


@pytest.mark.parametrize("rules, message", [
    ("x", "keep_rules: expected a list of rules"),
    ([{"tags": ["v*"], "keep_latest": 1, "younger_than": "1d"}], "keep_rules[0]: give keep_latest or younger_than, not both"),
    ([{}], "keep_rules[0]: keeps every version"),
    ([{"tag": ["v*"]}], "keep_rules[0]: unknown key(s) tag"),
    ([{"tags": ["v*"], "keep_latest": 0}], "keep_rules[0].keep_latest: must be at least 1"),
    ([{"untagged": True, "younger_than": "soon"}], "keep_rules[0].younger_than: 'soon' is not a duration"),
    ([{"tags": ["re:("]}], "keep_rules[0].tags: 're:(' is not a valid regular expression"),
    ([{"tags": ["v*"], "untagged": True}], "keep_rules[0]: tags and untagged: true exclude each other"),
    ([{"name": "a", "tags": ["v*"]}, {"name": "a", "untagged": True}], "keep_rules[1].name: 'a' is also the name of keep_rules[0]"),
    ([{"name": " ", "tags": ["v*"]}], "keep_rules[0].name: expected a non-blank string"),
])
def test_bad_keep_rules_name_the_entry(rules, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        Policy(versions=["*"], keep_rules=rules)


def test_keep_rules_with_tags_are_tag_selectors_for_types_without_tags():
    assert tag_selectors(Policy(versions=["*"], keep_rules=[{"tags": ["v*"]}, {"versions": ["1.*"]}])) == ["keep_rules[0].tags"]


# ---------------------------------------------------------------- deployed digests (issue 21 part 6)

DIGEST_A = "sha256:" + "a" * 64
DIGEST_B = "sha256:" + "b" * 64


def test_keep_digests_keeps_deployed_versions_first():
    versions = [ver(1, DIGEST_A, tags=["latest"], age_days=3), ver(2, DIGEST_B, age_days=2), ver(3, age_days=1)]
    policy = Policy(versions=["*"], exclude=["latest"], keep_digests=[f"ghcr.io/acme/app@{DIGEST_A}", DIGEST_B])
    assert [(d.version.id, d.action, d.reason) for d in plan(versions, policy, NOW)] == [
        (1, KEEP, "deployed (keep_digests)"), (2, KEEP, "deployed (keep_digests)"), (3, ACT, None)]


def test_parse_digests_takes_digests_and_image_ids():
    assert parse_digests([DIGEST_A, f"docker-pullable://ghcr.io/acme/app@{DIGEST_A}", f" ghcr.io/x@{DIGEST_B} "], "keep_digests") == (
        DIGEST_A, DIGEST_B)
    assert parse_digests(None, "keep_digests") == ()


@pytest.mark.parametrize("value, message", [
    ("sha256:abc", "keep_digests: expected a list of image digests"),
    (["sha256:abc"], "keep_digests: 'sha256:abc' is not an image digest"),
    (["ghcr.io/acme/app:v1"], "keep_digests: 'ghcr.io/acme/app:v1' is not an image digest"),
    (["sha256:" + "A" * 64], "is not an image digest"),
    ([7], "keep_digests: 7 is not an image digest"),
])
def test_parse_digests_rejects(value, message):
    with pytest.raises(OptionError, match=re.escape(message)):
        Policy(versions=["*"], keep_digests=value)
