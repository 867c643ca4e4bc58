"""Rules as properties (hypothesis, derandomized so failures reproduce): for random container packages with multi-arch
images, attestations, cosign signatures and referrers, and random policies, the deletion plan package_version makes
never deletes a protected version, keeps keep_latest, keeps everything a kept version references, and does not depend
on the order of the listing."""
from __future__ import annotations

import hashlib
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FIGURES

NOW = datetime(2026, 6, 1, tzinfo=timezone.utc)
INDEX = "application/vnd.oci.image.index.v1+json"
IMAGE = "application/vnd.oci.image.manifest.v1+json"
SETTINGS = settings(max_examples=250, deadline=None, derandomize=True, database=None)


@pytest.fixture(scope="module")
def code(collections_path: Path) -> Any:
    sys.path.insert(0, str(collections_path))
    from ansible_collections.ghpkgs.registry.plugins.module_utils import _oci, _selection, _versions
    return _oci, _selection, _versions


def digest(label: str) -> str:
    return "sha256:" + hashlib.sha256(label.encode()).hexdigest()


@st.composite
def packages(draw: Any) -> dict[str, Any]:
    """Versions (newest last), their manifests (digest -> (media type, children digests, subject)), and the edges."""
    versions: list[dict[str, Any]] = []
    manifests: dict[str, tuple[str, list[str], str | None]] = {}
    clock = NOW - timedelta(days=200)
    images: list[str] = []

    def add(name: str, tags: list[str], kind: str, children: list[str] | None = None, subject: str | None = None) -> None:
        nonlocal clock
        clock += timedelta(hours=draw(st.integers(1, 300)))
        versions.append({"id": len(versions) + 1, "name": name, "tags": tags, "created": clock})
        manifests[name] = (kind, children or [], subject)

    for release in range(draw(st.integers(1, 6))):
        platforms = [digest(f"img-{release}-{p}") for p in range(draw(st.integers(1, 3)))]
        shared = draw(st.booleans()) and images
        if shared:
            platforms.append(draw(st.sampled_from(images)))  # an image reused by a later index
        for child in platforms:
            if child not in manifests:
                add(child, [], IMAGE)
        children = list(platforms)
        if draw(st.booleans()):
            attestation = digest(f"att-{release}")
            add(attestation, [], IMAGE)
            children.append(attestation)
        index = digest(f"index-{release}")
        tags = draw(st.lists(st.sampled_from([f"v1.{release}.0", "latest", f"pr-{release}", "dev"]), unique=True, max_size=2))
        add(index, tags, INDEX, children)
        images += platforms
        if draw(st.booleans()):
            add(digest(f"sig-{release}"), [f"sha256-{index[7:]}.sig"], IMAGE)
        if draw(st.booleans()):
            add(digest(f"sbom-{release}"), [], IMAGE, subject=index)
    for single in range(draw(st.integers(0, 3))):
        add(digest(f"single-{single}"), draw(st.lists(st.sampled_from(["old", "dev", "latest"]), unique=True, max_size=1)), IMAGE)
    # A pushed tag moves: keep each tag on its newest version only.
    seen: set[str] = set()
    for version in reversed(versions):
        version["tags"] = [t for t in version["tags"] if t not in seen]
        seen.update(version["tags"])
    return {"versions": versions, "manifests": manifests}


policies = st.fixed_dictionaries({}, optional={
    "older_than": st.sampled_from(["1d", "30d", "90d", "400d"]),
    "untagged": st.booleans(),
    "tags": st.sampled_from([["pr-*"], ["v1.*"], ["*"], ["dev", "old"]]),
    "versions": st.just(["*"]),
    "exclude": st.sampled_from([["latest"], ["v1.0.*"], ["dev"], []]),
    "keep_latest": st.integers(0, 4),
    "max_versions": st.integers(1, 6),
}).filter(lambda p: any(k in p for k in ("older_than", "untagged", "tags", "versions")))


def job(code: Any, policy: dict[str, Any]) -> Any:
    """The job of a planning-only run (no client calls happen in plan_deletions)."""
    _oci, _selection, _versions = code
    params = {"version_ids": None, "versions": None, "tags": None, "untagged": None, "older_than": None, "prerelease": None,
              "exclude": [], "keep_latest": 0, "max_versions": None, **policy}
    return _versions.Job(package_type="container", name="app", state="absent", policy=_selection.Policy.from_params(params),
                         max_concurrency=4)


def make_plan(code: Any, package: dict[str, Any], policy: dict[str, Any], order: list[int]) -> dict[int, str]:
    _oci, _selection, _versions = code
    listed = [_selection.Version(v["id"], v["name"], tuple(v["tags"]), v["created"], v["created"], None, "container")
              for v in (package["versions"][i] for i in order)]

    def read(digests: list[str]) -> dict[str, Any]:
        found = {}
        for name in digests:
            kind, children, subject = package["manifests"][name]
            found[name] = _oci.Manifest(name, kind, tuple(_oci.Child(c, IMAGE, "linux/amd64", False) for c in children), subject)
        return found

    runner = _versions.PackageVersions(job(code, policy), client=None, owner=None, check_mode=True, now=lambda: NOW)
    runner.graph = _oci.ImageGraph(listed, read)
    decisions, dummy = runner.plan_deletions(listed, NOW, allow_package_delete=False)
    return {d.version.id: d.action for d in decisions}


def references(package: dict[str, Any]) -> dict[int, set[int]]:
    """version id -> ids it needs: index entries, its cosign-tagged signatures, its referrers."""
    by_name = {v["name"]: v["id"] for v in package["versions"]}
    needs: dict[int, set[int]] = {v["id"]: set() for v in package["versions"]}
    for version in package["versions"]:
        kind, children, subject = package["manifests"][version["name"]]
        needs[version["id"]] |= {by_name[c] for c in children if c in by_name}
        if subject in by_name:
            needs[by_name[subject]].add(version["id"])
        for tag in version["tags"]:
            if tag.startswith("sha256-") and tag.endswith(".sig") and "sha256:" + tag[7:-4] in by_name:
                needs[by_name["sha256:" + tag[7:-4]]].add(version["id"])
    return needs


@SETTINGS
@given(package=packages(), policy=policies, data=st.data())
def test_graph_plans_keep_what_kept_images_need_and_respect_protections(code: Any, package: dict[str, Any], policy: dict[str, Any],
                                                                          data: Any) -> None:
    _oci, _selection, _versions = code
    ids = list(range(len(package["versions"])))
    actions = make_plan(code, package, policy, ids)
    deleted = {vid for vid, action in actions.items() if action == _selection.ACT}
    versions = {v["id"]: v for v in package["versions"]}

    # A kept version keeps everything it references, transitively.
    needs = references(package)
    kept = set(versions) - deleted
    for parent in kept:
        assert not needs[parent] & deleted, f"kept {parent} needs deleted {needs[parent] & deleted}"

    # Excluded versions are never deleted.
    for glob in policy.get("exclude", []):
        from fnmatch import fnmatchcase
        hit = {vid for vid, v in versions.items() if fnmatchcase(v["name"], glob) or any(fnmatchcase(t, glob) for t in v["tags"])}
        assert not hit & deleted

    # keep_latest: the newest versions the selectors choose are never deleted.
    policy_object = job(code, policy).policy
    selects = _selection.selector(policy_object, NOW)
    listed = [_selection.Version(v["id"], v["name"], tuple(v["tags"]), v["created"], v["created"], None, "container")
              for v in package["versions"]]
    chosen = sorted((v for v in listed if selects(v)), key=lambda v: (v.created_at, v.id))
    if policy.get("keep_latest"):
        assert not {v.id for v in chosen[-policy["keep_latest"]:]} & deleted

    # Versions with a tag of their own are deleted only when the selectors choose them; only cosign signatures
    # (tagged sha256-<digest>.sig) go with the digest they sign.
    chosen_ids = {v.id for v in chosen}
    own_tags = {vid for vid, v in versions.items() if any(_oci.cosign_subject(t) is None for t in v["tags"])}
    assert not (deleted & own_tags) - chosen_ids

    # GitHub's rule: the last tagged version of a container package is never deleted.
    tagged = {vid for vid, v in versions.items() if v["tags"]}
    assert not tagged or tagged - deleted

    # The plan does not depend on the listing order.
    shuffled = data.draw(st.permutations(ids))
    assert make_plan(code, package, policy, list(shuffled)) == actions
    FIGURES.add("inputs tried (property examples)")
