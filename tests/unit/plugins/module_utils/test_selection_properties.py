# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Properties of plan() over random version sets and policies, checked against a naive reference."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from fnmatch import fnmatchcase

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    ACT,
    KEEP,
    SKIP,
    Policy,
    Version,
    is_prerelease,
    plan,
)

BASE = datetime(2026, 1, 1, tzinfo=timezone.utc)
NOW = BASE + timedelta(minutes=120)

NAMES = ["sha256:0a1b", "sha256:ff00", "1.0.0", "v1.2.0-rc.1", "2.0.0-beta", "1.0.0-SNAPSHOT", "1.2.0+build.5", "nightly", "[x]",
         "1.0-SNAPSHOT", "1.0.0-M1", "1.0-m", "1.0.0.Final", "31.1-jre", "1.0.0.pre", "1.2.3.4-beta", "1.2.3.4"]
TAGS = ["latest", "v1.0.0", "v1.1.0-rc.1", "1.2.3", "2.0.0-beta", "pr-12", "dev", "sha256-0a1b.sig", "Latest"]
GLOBS = ["*", "sha256:*", "v1.*", "*-rc.*", "*.0", "?.?.?", "pr-*", "latest", "[!s]*", "*[0-9]", "nothing-matches", "[[]x]"]

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)


@st.composite
def version_sets(draw):
    package_type = draw(st.sampled_from(["container", "docker", "npm", "maven", "nuget", "rubygems"]))
    has_tags = package_type in ("container", "docker")
    ids = draw(st.lists(st.integers(1, 60), unique=True, min_size=1, max_size=25))
    versions = []
    for vid in ids:
        created = BASE + timedelta(minutes=draw(st.integers(0, 40)))  # narrow range: many created_at ties
        updated = created + timedelta(minutes=draw(st.integers(0, 80)))
        tags = tuple(draw(st.lists(st.sampled_from(TAGS), unique=True, max_size=3))) if has_tags else ()
        versions.append(Version(vid, draw(st.sampled_from(NAMES)), tags, created, updated, None, package_type))
    return versions


SELECTORS = {
    "version_ids": st.lists(st.integers(1, 60), min_size=1, max_size=50),
    "versions": st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3),
    "tags": st.lists(st.sampled_from(GLOBS), min_size=1, max_size=3),
    "untagged": st.booleans(),
    "older_than": st.integers(0, 130).map(lambda minutes: timedelta(minutes=minutes)),
    "prerelease": st.booleans(),
}


@st.composite
def policies(draw):
    # Few selectors at a time (each one narrows the selection), so most examples select something.
    chosen = draw(st.sets(st.sampled_from(sorted(SELECTORS)), max_size=3))
    return Policy(
        exclude=draw(st.lists(st.sampled_from(GLOBS + TAGS + NAMES), max_size=3)),
        keep_latest=draw(st.integers(0, 4)),
        max_versions=draw(st.none() | st.integers(1, 6)),
        **{name: draw(SELECTORS[name]) for name in chosen},
    )


def reference_prerelease(version):
    name = version.name
    if version.package_type in ("container", "docker"):
        semver_tags = [tag for tag in version.tags if is_prerelease(tag) or _is_release(tag)]
        return bool(semver_tags) and all(is_prerelease(tag) for tag in semver_tags)
    if version.package_type == "nuget":  # a fourth number (the revision) aside, SemVer
        parts = name.partition("+")[0].partition("-")
        numbers = parts[0].removeprefix("v").split(".")
        if len(numbers) == 4 and numbers[3].isdigit() and (numbers[3] == "0" or not numbers[3].startswith("0")):
            name = ".".join(numbers[:3]) + name[len(parts[0]):]
        return is_prerelease(name)
    if version.package_type == "maven":
        tokens = re.findall(r"[0-9]+|[.-]|[^0-9.-]+", name.lower())
        first_number = next((i for i, token in enumerate(tokens) if token.isdigit()), len(tokens))
        qualifiers = [(i, token) for i, token in enumerate(tokens) if i > first_number and token not in ".-" and not token.isdigit()]
        if not qualifiers:
            return False
        i, first = qualifiers[0]
        by_letter = first in ("a", "b", "m") and i + 1 < len(tokens) and tokens[i + 1].isdigit()
        return tokens[-1] == "snapshot" or first in ("alpha", "beta", "milestone", "rc", "cr", "snapshot") or by_letter
    if version.package_type == "rubygems":
        return any(c.isascii() and c.isalpha() for c in name)
    return is_prerelease(name)


def _is_release(tag):
    parts = tag.removeprefix("v").partition("+")[0].split(".")
    return len(parts) == 3 and all(p.isdigit() and (p == "0" or not p.startswith("0")) for p in parts)


def reference_selects(version, policy, any_tag=False):
    """The selectors exactly as the user-facing documentation words them, one at a time.

    tags: every tag of the version matches a glob (any_tag: at least one does, which lists the version as kept).
    """
    if policy.version_ids is not None and version.id not in policy.version_ids:
        return False
    if policy.versions is not None and not any(fnmatchcase(version.name, g) for g in policy.versions):
        return False
    if policy.tags is not None and not version.tags:
        return False
    if policy.tags is not None and not (any if any_tag else all)(any(fnmatchcase(t, g) for g in policy.tags) for t in version.tags):
        return False
    if policy.untagged is True and version.tags:
        return False
    if policy.untagged is False and not version.tags:
        return False
    if policy.older_than is not None and not version.updated_at < NOW - policy.older_than:
        return False
    if policy.prerelease is not None and reference_prerelease(version) != policy.prerelease:
        return False
    return True


def is_excluded(version, policy):
    return any(fnmatchcase(text, g) for g in policy.exclude for text in (version.name,) + version.tags)


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_exactly_the_selected_versions_appear_sorted_oldest_first(versions, policy):
    decisions = plan(versions, policy, NOW)
    expected = sorted((v for v in versions if reference_selects(v, policy, any_tag=True)), key=lambda v: (v.created_at, v.id))
    assert [d.version for d in decisions] == expected
    assert all(d.action in (ACT, KEEP, SKIP) for d in decisions)
    assert all((d.reason is None) == (d.action == ACT) for d in decisions)
    for decision in decisions:
        if not reference_selects(decision.version, policy):  # kept by a tag that tags does not select
            assert decision.action == KEEP
            assert decision.reason.startswith(("tag '", "excluded by pattern "))


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_excluded_versions_are_never_acted_on(versions, policy):
    for decision in plan(versions, policy, NOW):
        if is_excluded(decision.version, policy):
            assert decision.action == KEEP
            assert decision.reason.startswith("excluded by pattern ")


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_keep_latest_newest_matching_are_kept(versions, policy):
    matching = [v for v in versions if reference_selects(v, policy)]
    newest = sorted(matching, key=lambda v: (v.created_at, v.id), reverse=True)[:policy.keep_latest]
    actions = {d.version.id: d.action for d in plan(versions, policy, NOW)}
    assert all(actions[v.id] == KEEP for v in newest)


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_max_versions_is_never_exceeded_and_the_oldest_go_first(versions, policy):
    decisions = plan(versions, policy, NOW)
    acted = [d for d in decisions if d.action == ACT]
    skipped = [d for d in decisions if d.action == SKIP]
    if policy.max_versions is None:
        assert not skipped
    else:
        assert len(acted) <= policy.max_versions
        if skipped:
            assert len(acted) == policy.max_versions
            oldest_skipped = min((d.version.created_at, d.version.id) for d in skipped)
            assert all((d.version.created_at, d.version.id) < oldest_skipped for d in acted)


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_without_max_versions_everything_unprotected_is_acted_on(versions, policy):
    policy = replace(policy, max_versions=None)
    matching = [v for v in versions if reference_selects(v, policy)]
    newest = {v.id for v in sorted(matching, key=lambda v: (v.created_at, v.id), reverse=True)[:policy.keep_latest]}
    expected_act = {v.id for v in matching if v.id not in newest and not is_excluded(v, policy)}
    assert {d.version.id for d in plan(versions, policy, NOW) if d.action == ACT} == expected_act


@PROPERTY_SETTINGS
@given(version_sets(), policies(), st.randoms(use_true_random=False))
def test_plan_does_not_depend_on_input_order(versions, policy, rng):
    shuffled = list(versions)
    rng.shuffle(shuffled)
    assert plan(shuffled, policy, NOW) == plan(versions, policy, NOW)


@PROPERTY_SETTINGS
@given(version_sets(), policies())
def test_acted_on_versions_satisfy_every_selector(versions, policy):
    for decision in plan(versions, policy, NOW):
        if decision.action == ACT:
            assert reference_selects(decision.version, policy)
            assert not is_excluded(decision.version, policy)


@PROPERTY_SETTINGS
@given(version_sets(), policies(), st.data())
def test_protected_versions_are_never_acted_on(versions, policy, data):
    protected_ids = data.draw(st.sets(st.integers(1, 60), max_size=10))
    protected = {vid: f"referenced by kept index {vid}" for vid in protected_ids}
    decisions = plan(versions, policy, NOW, protected=protected)
    assert all(d.action == KEEP for d in decisions if d.version.id in protected)
    unprotected = plan(versions, policy, NOW)
    assert len([d for d in decisions if d.action == ACT]) >= min(
        len([d for d in unprotected if d.action == ACT]),
        len([d for d in decisions if d.action in (ACT, SKIP)]),
    )


def test_reference_semver_release_check_agrees_on_examples():
    # Guards the reference implementation itself, so the properties above test something real.
    assert _is_release("v1.0.0") and _is_release("1.2.3") and _is_release("1.2.0+build.5")
    assert not _is_release("latest") and not _is_release("01.2.3") and not _is_release("v1.1.0-rc.1")
    assert reference_prerelease(Version(1, "x", ("v1.1.0-rc.1", "latest"), BASE, BASE, None, "container"))
    assert not reference_prerelease(Version(1, "x", ("v1.1.0-rc.1", "1.2.3"), BASE, BASE, None, "container"))
    expected = {"maven": ["1.0.0-SNAPSHOT", "1.0-SNAPSHOT", "1.0.0-M1", "2.0.0-beta", "v1.2.0-rc.1", "1.2.3.4-beta"],
                "rubygems": ["sha256:0a1b", "sha256:ff00", "v1.2.0-rc.1", "2.0.0-beta", "1.0.0-SNAPSHOT", "1.2.0+build.5", "nightly", "[x]",
                             "1.0-SNAPSHOT", "1.0.0-M1", "1.0-m", "1.0.0.Final", "31.1-jre", "1.0.0.pre", "1.2.3.4-beta"],
                "nuget": ["v1.2.0-rc.1", "2.0.0-beta", "1.0.0-SNAPSHOT", "1.0.0-M1", "1.2.3.4-beta"],
                "npm": ["v1.2.0-rc.1", "2.0.0-beta", "1.0.0-SNAPSHOT", "1.0.0-M1"]}
    for package_type, names in expected.items():
        found = [name for name in NAMES if reference_prerelease(Version(1, name, (), BASE, BASE, None, package_type))]
        assert sorted(found) == sorted(names), package_type
