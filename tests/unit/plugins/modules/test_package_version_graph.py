# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ghpkgs.registry.package_version on container packages: the image graph (multi-arch indexes, attestations, cosign, referrers)."""

from __future__ import annotations

import hashlib
import typing as t

import pytest

from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.test_package_version import (  # pylint: disable=unused-import
    TOKEN,
    FakeGitHub,
    clock,
    FakePackage,
    digest_of,
    gh,
    image,
    index,
    outcomes,
    run,
)

CONTAINER = {"package_type": "container", "name": "team/app", "max_concurrency": 4}


def multi_arch(pkg: FakePackage, first_id: int, age: float, tags: list[str], sign: bool = False, referrer: bool = False) -> dict[str, int]:
    """A tagged index with amd64/arm64 images and their attestations as untagged versions; optional cosign .sig and SBOM referrer."""
    amd64, arm64 = image(f"{first_id}-amd64"), image(f"{first_id}-arm64")
    att1, att2 = image(f"{first_id}-att-amd64"), image(f"{first_id}-att-arm64")
    idx = index([(amd64, "linux/amd64"), (arm64, "linux/arm64"), (att1, "unknown/unknown"), (att2, "unknown/unknown")])
    ids = {"amd64": first_id, "arm64": first_id + 1, "att1": first_id + 2, "att2": first_id + 3, "index": first_id + 4}
    for key, manifest in (("amd64", amd64), ("arm64", arm64), ("att1", att1), ("att2", att2)):
        pkg.add(ids[key], key, age + 0.01, manifest=manifest)
    digest = pkg.add(ids["index"], "index", age, tags, manifest=idx)
    if sign:
        ids["sig"] = first_id + 5
        pkg.add(ids["sig"], "sig", age - 0.01, ["sha256-" + digest.split(":")[1] + ".sig"], manifest=image(f"{first_id}-sig"))
    if referrer:
        ids["sbom"] = first_id + 6
        pkg.add(ids["sbom"], "sbom", age - 0.02, manifest=image(f"{first_id}-sbom", subject=digest))
    return ids


@pytest.fixture
def app(gh: FakeGitHub) -> tuple[FakePackage, dict[str, dict[str, int]]]:
    pkg = gh.package("container", "team/app")
    releases = {
        "v1.0.0": multi_arch(pkg, 100, 60, ["v1.0.0"]),
        "v1.1.0": multi_arch(pkg, 200, 40, ["v1.1.0"], sign=True),
        "v1.2.0": multi_arch(pkg, 300, 20, ["v1.2.0", "latest"], sign=True, referrer=True),
    }
    pkg.add(50, "leftover-1", 50)
    pkg.add(51, "leftover-2", 30)
    return pkg, releases


def children(release: dict[str, int]) -> set[int]:
    return {release[k] for k in ("amd64", "arm64", "att1", "att2")}


def test_untagged_keeps_the_platform_images_attestations_signatures_and_referrers_of_kept_images(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    result = run({**CONTAINER, "untagged": True}).result
    deleted = {i for i, o in outcomes(result).items() if o == "deleted"}
    assert deleted == {50, 51} and intact(pkg)
    assert sorted(gh.writes()) == ["DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/50",
                                   "DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/51"]
    reasons = {v["id"]: v["reason"] for v in result["versions"]}
    latest = pkg.versions[releases["v1.2.0"]["index"]]["name"]
    assert reasons[releases["v1.2.0"]["amd64"]] == f"referenced by kept index v1.2.0, latest ({latest}) (platform linux/amd64)"
    assert reasons[releases["v1.2.0"]["att1"]] == f"referenced by kept index v1.2.0, latest ({latest}) (attestation)"
    assert reasons[releases["v1.2.0"]["sbom"]] == f"referenced by kept v1.2.0, latest ({latest}) (its OCI referrer)"
    assert all(o == "kept" for i, o in outcomes(result).items() if i not in deleted)
    # indexes, the tagged pr image-free package's other tagged versions and the two leftovers and the referrer: read once each
    assert len(gh.manifest_reads()) == len(set(gh.manifest_reads())) == result["manifests_read"]
    assert {pkg.versions[i]["name"] for i in (50, 51, releases["v1.2.0"]["sbom"])} <= set(gh.manifest_reads())
    assert pkg.versions[releases["v1.0.0"]["amd64"]]["name"] not in gh.manifest_reads()  # known from its index: no download


def test_check_mode_reads_the_graph_and_predicts_the_same_plan_without_writing(gh: FakeGitHub, app: t.Any) -> None:
    predicted = run({**CONTAINER, "untagged": True}, check_mode=True).result
    assert gh.writes() == []
    real = run({**CONTAINER, "untagged": True}).result
    assert {i for i, o in outcomes(predicted).items() if o == "would_delete"} == {i for i, o in outcomes(real).items() if o == "deleted"}
    assert [v["reason"] for v in predicted["versions"] if v["outcome"] == "kept"] == [v["reason"] for v in real["versions"] if v["outcome"] == "kept"]


def test_an_old_release_goes_with_its_platform_images_and_attestations_index_first(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    old = releases["v1.0.0"]
    result = run({**CONTAINER, "tags": ["v1.0.0"]}).result
    assert intact(pkg)
    assert {i for i, o in outcomes(result).items() if o == "deleted"} == children(old) | {old["index"]}
    reasons = {v["id"]: v["reason"] for v in result["versions"]}
    assert reasons[old["arm64"]].startswith("deleted with its index v1.0.0 (sha256:") and "no kept index references" in reasons[old["arm64"]]
    writes = gh.writes()
    assert writes[0].endswith(f"/versions/{old['index']}") and len(writes) == 5
    assert sorted(result["deleted_version_ids"]) == sorted(children(old) | {old["index"]})
    assert result["counts"]["matched"] == 5 and result["counts"]["deleted"] == 5
    assert {v["id"] for v in pkg.active()} >= children(releases["v1.1.0"]) | children(releases["v1.2.0"])


def test_entries_removed_by_github_with_their_index_count_as_deleted(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    old = releases["v1.0.0"]
    original = pkg.delete_version

    def github_deletes_untagged_children(vid: int) -> tuple[int, str | None]:
        status, message = original(vid)
        if vid == old["index"] and status == 204:
            for child in children(old):
                original(child)
        return status, message

    pkg.delete_version = github_deletes_untagged_children  # type: ignore[method-assign]
    result = run({**CONTAINER, "tags": ["v1.0.0"]}).result
    assert outcomes(result) == {i: "deleted" for i in children(old) | {old["index"]}}
    assert result["counts"]["already_absent"] == 0 and result["changed"]


def test_a_cosign_signature_is_kept_with_its_image_and_deleted_with_it(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    rel = releases["v1.1.0"]
    kept = run({**CONTAINER, "tags": ["sha256-*"]}).result
    assert set(outcomes(kept).values()) == {"kept"} and gh.writes() == []
    assert {v["reason"].split(" (its ")[1] for v in kept["versions"]} == {"cosign tag " + v["tags"][0] + ")" for v in kept["versions"]}
    gone = run({**CONTAINER, "tags": ["v1.1.0"]}).result
    assert outcomes(gone)[rel["sig"]] == "deleted"
    assert {v["id"]: v["reason"] for v in gone["versions"]}[rel["sig"]].startswith("deleted with v1.1.0 (sha256:")
    assert "deleted_at" in pkg.versions[rel["sig"]] and "deleted_at" not in pkg.versions[releases["v1.2.0"]["sig"]]
    assert gh.writes().index(f"DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/{rel['index']}") < \
        gh.writes().index(f"DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/{rel['sig']}")


def test_an_unreadable_manifest_stops_every_deletion_of_the_package(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    broken = pkg.versions[releases["v1.1.0"]["index"]]["name"]
    gh.unreadable[broken] = 500
    out = run({**CONTAINER, "untagged": True})
    assert out.failed and gh.writes() == []
    assert broken in out.result["msg"] and "v1.1.0" in out.result["msg"] and "nothing was deleted" in out.result["msg"]
    assert "500" in out.result["msg"]
    assert not out.result["changed"] and out.result["counts"]["deleted"] == 0
    assert {v["reason"] for v in out.result["versions"] if v["outcome"] == "skipped"} == {
        "not deleted: the image graph of the package could not be read, so nothing in it is deleted"}


def test_entries_of_an_index_github_refuses_to_delete_are_not_deleted(gh: FakeGitHub, warnings: list[str]) -> None:
    pkg = gh.package("container", "team/app", public=True)
    old = multi_arch(pkg, 100, 60, ["v1"])
    multi_arch(pkg, 200, 10, ["v2"])
    pkg.downloads[old["index"]] = 9000
    result = run({**CONTAINER, "tags": ["v1"]}).result
    assert outcomes(result)[old["index"]] == "skipped"
    for child in children(old):
        assert outcomes(result)[child] == "skipped"
        assert "was not deleted" in {v["id"]: v["reason"] for v in result["versions"]}[child]
    assert gh.writes() == [f"DELETE /orgs/octo-org/packages/container/team%2Fapp/versions/{old['index']}"]
    assert any("5000 downloads" in w for w in warnings)


def intact(pkg: FakePackage) -> bool:
    """No active index refers to a deleted manifest (what docker pull reports as manifest unknown)."""
    active = {v["name"] for v in pkg.active()}
    return all(entry["digest"] in active for name in active for entry in pkg.manifests[name].get("manifests", []))


def test_max_versions_never_deletes_an_entry_of_an_index_it_keeps(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "team/app")
    pkg.add(1, "orphan-image", 90)
    orphan_index = multi_arch(pkg, 100, 80, [])  # an untagged index (its tag moved on): still pullable by digest
    pkg.add(200, "tagged", 1, ["v9"])
    first = run({**CONTAINER, "untagged": True, "max_versions": 2}).result
    assert intact(pkg)
    assert outcomes(first)[1] == "deleted"
    assert {i for i, o in outcomes(first).items() if o == "deleted"} == {1} | children(orphan_index) | {orphan_index["index"]}
    assert gh.writes()[1].endswith(f"/versions/{orphan_index['index']}")
    assert {v["id"]: v["reason"] for v in first["versions"]}[orphan_index["amd64"]].startswith("deleted with its index sha256:")


def test_an_untagged_index_selected_for_deletion_goes_with_its_entries(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "team/app")
    orphan_index = multi_arch(pkg, 100, 80, [])
    pkg.add(200, "tagged", 1, ["v9"])
    result = run({**CONTAINER, "untagged": True}).result
    assert {i for i, o in outcomes(result).items() if o == "deleted"} == children(orphan_index) | {orphan_index["index"]}
    assert gh.writes()[0].endswith(f"/versions/{orphan_index['index']}")


def test_an_entry_shared_with_a_kept_index_is_kept(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "team/app")
    shared, own = image("shared"), image("own")
    pkg.add(1, "shared", 50, manifest=shared)
    pkg.add(2, "own", 50, manifest=own)
    pkg.add(3, "old", 49, ["v1"], manifest=index([(shared, "linux/amd64"), (own, "linux/arm64")]))
    pkg.add(4, "new", 10, ["v2"], manifest=index([(shared, "linux/amd64")]))
    result = run({**CONTAINER, "tags": ["v1"]}).result
    assert outcomes(result) == {2: "deleted", 3: "deleted"}  # the shared entry is not reported: neither selected nor deleted
    assert "deleted_at" not in pkg.versions[1] and intact(pkg)
    # v2 is now the last tagged version: GitHub's rule keeps it, and the graph keeps its entry
    both = run({**CONTAINER, "version_ids": [1, 4]}, check_mode=True).result
    reasons = {v["id"]: v["reason"] for v in both["versions"]}
    assert outcomes(both) == {1: "kept", 4: "kept"} and "last tagged version" in reasons[4]
    assert reasons[1].startswith("referenced by kept index v2 (sha256:") and reasons[1].endswith("(platform linux/amd64)")


def test_manifest_graph_false_plans_from_the_listing_alone(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    result = run({**CONTAINER, "untagged": True, "manifest_graph": False}, check_mode=True).result
    assert releases["v1.2.0"]["amd64"] in {i for i, o in outcomes(result).items() if o == "would_delete"}
    assert gh.manifest_reads() == [] and result["manifests_read"] == 0


def test_nothing_to_delete_reads_no_manifest(gh: FakeGitHub, app: t.Any) -> None:
    result = run({**CONTAINER, "tags": ["no-such-tag"]}).result
    assert result["versions"] == [] and gh.manifest_reads() == []


def test_the_token_reaches_the_registry_only_through_its_token_service(gh: FakeGitHub, app: t.Any) -> None:
    run({**CONTAINER, "untagged": True})
    for call in gh.mock.calls:
        if call.request.url.startswith("https://ghcr.io/v2/"):
            assert TOKEN not in str(call.request.headers.get("Authorization", ""))
    assert hashlib.sha256(TOKEN.encode()).hexdigest() not in str([c.request.url for c in gh.mock.calls])


def test_registry_url_cannot_be_guessed_for_an_unknown_api_url(gh: FakeGitHub) -> None:
    out = run({**CONTAINER, "untagged": True, "api_url": "https://git.example.com/custom"})
    assert out.failed and out.result["msg"].startswith("registry_url:")
    assert not gh.calls(), "refused before any request"


def test_the_last_tagged_version_kept_is_an_image_not_its_signature(gh: FakeGitHub) -> None:
    pkg = gh.package("container", "team/app")
    rel = multi_arch(pkg, 100, 30, ["v1"], sign=True)
    result = run({**CONTAINER, "tags": ["*"]}).result
    assert outcomes(result)[rel["index"]] == "kept" and "last tagged version" in {v["id"]: v["reason"] for v in result["versions"]}[rel["index"]]
    assert outcomes(result)[rel["sig"]] == "kept" and gh.writes() == []
    assert digest_of(image("100-amd64")) == pkg.versions[rel["amd64"]]["name"]


def test_orphans_selects_what_a_deleted_index_left_behind_and_nothing_a_kept_image_needs(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    gone = releases["v1.1.0"]
    assert pkg.delete_version(gone["index"])[0] == 204  # deleted by another tool: its entries and signature stay behind
    predicted = run({**CONTAINER, "orphans": True}, check_mode=True).result
    assert gh.writes() == []
    left = children(gone) | {gone["sig"], 50, 51}
    assert {i for i, o in outcomes(predicted).items() if o == "would_delete"} == left and predicted["counts"]["matched"] == len(left)
    reasons = {v["id"]: v["reason"] for v in predicted["versions"]}
    assert reasons[gone["sig"]].startswith("orphan: cosign tag sha256-") and "no longer in the package" in reasons[gone["sig"]]
    assert all(reasons[i].startswith("orphan: untagged image that no index lists") for i in children(gone) | {50, 51})
    assert predicted["manifests_read"] == len(gh.manifest_reads()) == len(set(gh.manifest_reads()))
    real = run({**CONTAINER, "orphans": True}).result
    assert {i for i, o in outcomes(real).items() if o == "deleted"} == left and intact(pkg)
    assert [v["reason"] for v in real["versions"]] == [v["reason"] for v in predicted["versions"]]
    assert {v["id"] for v in pkg.active()} >= children(releases["v1.2.0"]) | children(releases["v1.0.0"])


def test_orphans_with_other_selectors_all_must_hold(gh: FakeGitHub, app: t.Any) -> None:
    result = run({**CONTAINER, "orphans": True, "older_than": "40d"}, check_mode=True).result
    assert set(outcomes(result)) == {50}  # leftover-2 (30 days) is an orphan too young; the releases are not orphans
    others = run({**CONTAINER, "orphans": False, "untagged": True}, check_mode=True).result
    assert 50 not in outcomes(others) and 51 not in outcomes(others)
    assert set(outcomes(others).values()) == {"kept"}  # the rest of the untagged versions belong to kept images


def test_orphans_an_unreadable_manifest_deletes_and_selects_nothing(gh: FakeGitHub, app: t.Any) -> None:
    pkg, dummy = app
    gh.unreadable[pkg.versions[50]["name"]] = 500
    out = run({**CONTAINER, "orphans": True})
    assert out.failed and gh.writes() == [] and "nothing was deleted" in out.result["msg"]
    assert out.result["versions"] == []


@pytest.mark.parametrize("args, message", [
    ({"package_type": "npm", "name": "web"}, "orphans: only container packages have orphans"),
    ({**CONTAINER, "state": "present"}, "orphans: selects versions to delete"),
    ({**CONTAINER, "manifest_graph": False}, "orphans: are found in the image graph; set manifest_graph: true"),
])
def test_orphans_is_refused_where_it_cannot_work_before_any_request(gh: FakeGitHub, args: dict[str, t.Any], message: str) -> None:
    out = run({**args, "orphans": True})
    assert out.failed and out.result["msg"].startswith(message) and gh.calls() == []


def test_bytes_freed_counts_the_blobs_of_the_deleted_manifests_read_and_says_how_many_were_not(gh: FakeGitHub, app: t.Any) -> None:
    leftovers = run({**CONTAINER, "untagged": True}, check_mode=True).result
    assert (leftovers["bytes_freed"], leftovers["bytes_unmeasured"]) == (18, 0)  # two leftovers of one 9-byte blob each
    release = run({**CONTAINER, "tags": ["v1.0.0"]}, check_mode=True).result
    # the index names no blob; its four entries were read while they still counted as kept (before the index was), so they are measured
    assert (release["bytes_freed"], release["bytes_unmeasured"]) == (4 * 9, 0)
    real = run({**CONTAINER, "untagged": True}).result
    assert (real["bytes_freed"], real["bytes_unmeasured"]) == (18, 0)
    assert run({**CONTAINER, "untagged": True, "manifest_graph": False}, check_mode=True).result["bytes_freed"] is None


def test_keep_digests_keeps_a_deployed_index_with_its_platform_images(gh: FakeGitHub, app: t.Any) -> None:
    pkg, releases = app
    deployed = pkg.versions[releases["v1.1.0"]["index"]]["name"]
    result = run({**CONTAINER, "untagged": False, "older_than": "30d",
                  "keep_digests": [f"ghcr.io/octo-org/team/app@{deployed}"]}).result
    found = {v["id"]: (v["outcome"], v["reason"]) for v in result["versions"]}
    assert found[releases["v1.1.0"]["index"]] == ("kept", "deployed (keep_digests)")
    assert found[releases["v1.1.0"]["sig"]][0] == "kept"  # its signature is selected (tagged, old) and kept with it
    active = {v["id"] for v in pkg.active()}
    assert {releases["v1.1.0"][key] for key in ("amd64", "arm64", "att1", "att2", "index", "sig")} <= active
    assert not {releases["v1.0.0"][key] for key in ("amd64", "arm64", "att1", "att2", "index")} & active
