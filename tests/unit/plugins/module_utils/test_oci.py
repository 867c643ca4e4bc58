# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The image graph of container packages (pure logic, manifests given by a fake reader)."""

from __future__ import annotations

import hashlib
import json
import typing as t
from datetime import datetime, timedelta, timezone

import pytest

from ansible_collections.ghpkgs.registry.plugins.module_utils._oci import (
    OCI_INDEX,
    Child,
    ImageGraph,
    Manifest,
    ManifestUnreadable,
    cosign_subject,
    default_registry_url,
    parse_manifest,
    unpack_blobs,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import Version

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


def digest(label: str) -> str:
    return "sha256:" + hashlib.sha256(label.encode()).hexdigest()


class Repo:
    """Versions and manifests of one package; read() records every digest it is asked for."""

    def __init__(self) -> None:
        self.versions: list[Version] = []
        self.manifests: dict[str, Manifest] = {}
        self.asked: list[str] = []

    def add(self, vid: int, label: str, tags: t.Sequence[str] = (), children: t.Sequence[tuple[str, str]] = (), subject: str | None = None,
            media_type: str = "application/vnd.oci.image.manifest.v1+json") -> str:
        name = digest(label)
        body: dict[str, t.Any] = {"schemaVersion": 2, "mediaType": media_type}
        if children:
            body["mediaType"] = "application/vnd.oci.image.index.v1+json"
            body["manifests"] = [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(c), "size": 1,
                                  "platform": dict(zip(("os", "architecture"), p.split("/")))} for c, p in children]
        if subject:
            body["subject"] = {"digest": subject, "mediaType": "application/vnd.oci.image.index.v1+json", "size": 1}
        self.manifests[name] = parse_manifest(name, json.dumps(body).encode())
        self.versions.append(Version(vid, name, tuple(tags), T0 + timedelta(hours=vid), T0 + timedelta(hours=vid), None, "container"))
        return name

    def read(self, digests: list[str]) -> dict[str, Manifest]:
        self.asked.extend(digests)
        return {d: self.manifests[d] for d in digests}

    def graph(self) -> ImageGraph:
        return ImageGraph(self.versions, self.read)


@pytest.fixture
def repo() -> Repo:
    r = Repo()
    r.add(1, "amd64")
    r.add(2, "arm64")
    r.add(3, "att")
    r.add(4, "index", ["v1"], [("amd64", "linux/amd64"), ("arm64", "linux/arm64"), ("att", "unknown/unknown")])
    r.add(5, "sig", ["sha256-" + digest("index")[7:] + ".sig"])
    r.add(6, "sbom", subject=digest("index"))
    r.add(7, "leftover")
    return r


def test_a_kept_index_keeps_its_entries_signature_and_referrer(repo: Repo) -> None:
    plan = repo.graph().plan(acting={1, 2, 3, 5, 6, 7}, pinned=set())
    assert set(plan.keep) == {1, 2, 3, 5, 6}
    assert plan.keep[1] == f"referenced by kept index v1 ({digest('index')}) (platform linux/amd64)"
    assert plan.keep[3].endswith("(attestation)")
    assert plan.keep[5].endswith("(its cosign tag sha256-%s.sig)" % digest("index")[7:])
    assert plan.keep[6].endswith("(its OCI referrer)")
    assert plan.cascade == {} and set(plan.parents) == {7}


def test_reads_only_what_can_change_the_plan(repo: Repo) -> None:
    repo.graph().plan(acting={1, 2, 3, 5, 6, 7}, pinned=set())
    # the index (kept), then the leftover and the referrer (to delete, unknown); never its entries nor the signature
    assert sorted(repo.asked) == sorted([digest("index"), digest("leftover"), digest("sbom")])
    assert len(repo.asked) == len(set(repo.asked))


def test_deleting_an_index_deletes_its_orphans_after_it(repo: Repo) -> None:
    graph = repo.graph()
    plan = graph.plan(acting={4}, pinned=set())
    assert plan.keep == {}
    assert set(plan.cascade) == {1, 2, 3, 5, 6}
    assert plan.cascade[2].startswith(f"deleted with its index v1 ({digest('index')}) (platform linux/arm64)")
    assert plan.cascade[5].startswith("deleted with v1 (") and "cosign tag" in plan.cascade[5]
    assert ImageGraph.levels(plan.parents) == [[4], [1, 2, 3, 5, 6]]
    assert plan.parents[4] == () and plan.parents[1] == (4,)


def test_the_referrers_tag_index_lives_and_goes_with_its_image(repo: Repo) -> None:
    """A registry without the referrers API lists an image's referrers in an index tagged sha256-<hex>: selecting that tag
    must not delete it (GitHub would take the untagged referrers it lists with it), deleting the image deletes it."""
    repo.add(8, "referrers", ["sha256-" + digest("index")[7:]], [("sbom", "unknown/unknown")])
    kept = repo.graph().plan(acting={8}, pinned=set())
    assert kept.keep == {8: "referenced by kept v1 (%s) (its referrers tag sha256-%s)" % (digest("index"), digest("index")[7:])}
    gone = repo.graph().plan(acting={4}, pinned=set())
    assert set(gone.cascade) == {1, 2, 3, 5, 6, 8} and gone.parents[8] == (4,)


def test_pinned_versions_are_never_cascaded(repo: Repo) -> None:
    plan = repo.graph().plan(acting={4}, pinned={5})
    assert 5 not in plan.cascade and set(plan.cascade) == {1, 2, 3, 6}


def test_a_tagged_entry_of_a_deleted_index_is_not_cascaded() -> None:
    r = Repo()
    r.add(1, "amd64", ["amd64-only"])
    r.add(2, "index", ["v1"], [("amd64", "linux/amd64")])
    assert r.graph().plan(acting={2}, pinned=set()).cascade == {}


def test_nested_indexes_are_followed() -> None:
    r = Repo()
    r.add(1, "leaf")
    r.add(2, "inner", children=[("leaf", "linux/amd64")])
    r.add(3, "outer", ["v1"], [("inner", "linux/amd64")])
    # the outer index describes its entry as an index, so the inner one is read too and keeps the leaf
    r.manifests[digest("outer")] = Manifest(digest("outer"), OCI_INDEX, (Child(digest("inner"), OCI_INDEX, "linux/amd64", False),))
    plan = r.graph().plan(acting={1, 2}, pinned=set())
    assert set(plan.keep) == {1, 2}
    assert plan.keep[1].startswith(f"referenced by kept index {digest('inner')}")


def test_the_graph_keeps_only_entries_that_are_versions_under_their_own_name_strings() -> None:
    r = Repo()
    amd64 = r.add(1, "amd64")
    r.add(2, "index", ["v1"], [("amd64", "linux/amd64"), ("elsewhere", "linux/arm64")])
    r.add(3, "again", ["v2"], [("amd64", "linux/amd64"), ("amd64", "linux/amd64")])
    graph = r.graph()
    plan = graph.plan(acting={1, 2, 3}, pinned=set())
    entries = graph.children[digest("index")]
    assert [c.digest for c in entries] == [amd64] and entries[0].digest is amd64  # one string per digest, not one per entry
    assert graph.children[amd64] == ()
    assert plan.parents == {1: (2, 3), 2: (), 3: ()}  # each parent once, sorted, though index "again" lists amd64 twice


def test_an_unreadable_manifest_raises() -> None:
    r = Repo()
    r.add(1, "index", ["v1"], [("amd64", "linux/amd64")])
    r.add(2, "x")

    def broken(digests: list[str]) -> dict[str, Manifest]:
        raise ManifestUnreadable(digests[0], "500 UNKNOWN")

    with pytest.raises(ManifestUnreadable, match="500 UNKNOWN"):
        ImageGraph(r.versions, broken).plan(acting={2}, pinned=set())


def test_a_version_name_that_is_no_digest_fails_closed() -> None:
    graph = ImageGraph([Version(1, "sha256:aa", ("v1",), T0, T0, None, "container"),
                        Version(2, digest("x"), (), T0, T0, None, "container")], lambda d: {})
    with pytest.raises(ManifestUnreadable, match="sha256:aa.*not a sha256 manifest digest"):
        graph.plan(acting={2}, pinned=set())


@pytest.mark.parametrize("body, error", [
    (b"not json", "not JSON"),
    (b"[]", "not a JSON object"),
    (b'{"manifests": {}}', "'manifests' is not a list"),
    (b'{"manifests": [{"size": 1}]}', "has no digest"),
])
def test_parse_manifest_rejects_what_is_not_a_manifest(body: bytes, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        parse_manifest("sha256:" + "0" * 64, body)


def test_parse_docker_manifest_list_and_content_type() -> None:
    platform = {"os": "linux", "architecture": "arm", "variant": "v7"}
    body = json.dumps({"schemaVersion": 2, "manifests": [{"digest": "sha256:" + "1" * 64, "platform": platform}]}).encode()
    manifest = parse_manifest("sha256:" + "0" * 64, body, "application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8")
    assert manifest.is_index and manifest.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert manifest.children[0].platform == "linux/arm/v7" and not manifest.children[0].attestation


@pytest.mark.parametrize("tag, subject", [
    ("sha256-" + "a" * 64 + ".sig", "sha256:" + "a" * 64),
    ("sha256-" + "a" * 64 + ".att", "sha256:" + "a" * 64),
    ("sha256-" + "a" * 64 + ".sbom", "sha256:" + "a" * 64),
    ("sha256-" + "a" * 64, "sha256:" + "a" * 64),
    ("sha256-" + "a" * 63 + ".sig", None),
    ("v1.0.0", None),
    ("sha256-" + "a" * 64 + ".sig.bak", None),
])
def test_cosign_tags(tag: str, subject: str | None) -> None:
    assert cosign_subject(tag) == subject


@pytest.mark.parametrize("api_url, registry", [
    ("https://api.github.com", "https://ghcr.io"),
    ("https://api.github.com/", "https://ghcr.io"),
    ("https://ghe.example.com/api/v3", "https://containers.ghe.example.com"),
    ("https://api.acme.ghe.com", "https://containers.acme.ghe.com"),
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("http://localhost:9/api/v3", "http://localhost:9"),
    ("https://git.example.com/custom", None),
    ("https://api.github.com.evil.example", None),
])
def test_default_registry_url(api_url: str, registry: str | None) -> None:
    assert default_registry_url(api_url) == registry


def add_attestation(repo: Repo, vid: int, label: str) -> str:
    """A buildx attestation manifest (its only layer an in-toto statement) as an untagged version."""
    name = digest(label)
    body = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "layers": [{"mediaType": "application/vnd.in-toto+json", "digest": digest(label + "-statement"), "size": 3}]}
    repo.manifests[name] = parse_manifest(name, json.dumps(body).encode())
    repo.versions.append(Version(vid, name, (), T0 + timedelta(hours=vid), T0 + timedelta(hours=vid), None, "container"))
    return name


def test_health_of_a_whole_package_finds_the_leftover_and_reads_no_platform_image(repo: Repo) -> None:
    health = repo.graph().health()
    assert health.broken == {}
    assert list(health.orphans) == [7] and health.orphans[7][0] == "image"
    assert "no index lists" in health.orphans[7][1]
    # tagged first, so the index's entries are known without a download; the signature is known from its tag
    assert sorted(repo.asked) == sorted([digest("index"), digest("sbom"), digest("leftover")])


def test_health_finds_what_a_deleted_index_left_behind() -> None:
    repo = Repo()
    repo.add(1, "amd64")
    add_attestation(repo, 2, "att")
    repo.add(3, "sig", ["sha256-" + digest("index")[7:] + ".sig"])
    repo.add(4, "sbom", subject=digest("index"))
    repo.add(5, "v2", ["v2"])
    repo.add(6, "v2-sig", ["sha256-" + digest("v2")[7:] + ".sig"])
    health = repo.graph().health()
    assert {i: kind for i, (kind, dummy) in health.orphans.items()} == {1: "image", 2: "attestation", 3: "signature", 4: "referrer"}
    assert health.orphans[3][1] == "orphan: cosign tag sha256-%s.sig of %s, which is no longer in the package" % (digest("index")[7:], digest("index"))
    assert health.orphans[4][1] == "orphan: OCI referrer of %s, which is no longer in the package" % digest("index")
    assert health.broken == {}


def test_health_finds_an_index_whose_platform_image_is_gone() -> None:
    repo = Repo()
    repo.add(1, "amd64")
    repo.add(4, "index", ["v1"], [("amd64", "linux/amd64"), ("arm64", "linux/arm64")])
    health = repo.graph().health()
    assert list(health.broken) == [4]
    assert [(c.digest, c.platform) for c in health.broken[4]] == [(digest("arm64"), "linux/arm64")]
    assert health.orphans == {}


def test_an_untagged_index_and_its_entries_are_no_orphans() -> None:
    repo = Repo()
    repo.add(1, "amd64")
    repo.add(2, "old-index", [], [("amd64", "linux/amd64")])
    repo.add(3, "new", ["v2"])
    health = repo.graph().health()
    assert health.orphans == {} and health.broken == {}


def test_a_signature_is_no_orphan_while_its_subject_is_there_even_an_orphan_one() -> None:
    repo = Repo()
    repo.add(1, "leftover")
    repo.add(2, "sig", ["sha256-" + digest("leftover")[7:] + ".sig"])
    repo.add(3, "v1", ["v1"])
    assert {i: kind for i, (kind, dummy) in repo.graph().health().orphans.items()} == {1: "image"}


@pytest.mark.parametrize("layers, attestation", [
    ([{"mediaType": "application/vnd.in-toto+json", "digest": digest("a"), "size": 1}], True),
    ([{"mediaType": "application/vnd.in-toto+json", "digest": digest("a"), "size": 1},
      {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest("b"), "size": 1}], False),
    ([], False),
    ("not a list", False),
])
def test_a_manifest_is_an_attestation_when_all_its_layers_are_in_toto_statements(layers: t.Any, attestation: bool) -> None:
    body = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": layers}
    assert parse_manifest(digest("m"), json.dumps(body).encode()).attestation is attestation


def test_health_of_an_unreadable_manifest_raises() -> None:
    repo = Repo()
    repo.add(1, "v1", ["v1"])
    repo.manifests.clear()

    def read(digests: list[str]) -> dict[str, Manifest]:
        return {}

    with pytest.raises(ManifestUnreadable):
        ImageGraph(repo.versions, read).health()


def image_body(*blobs: tuple[str, int], config: tuple[str, int] = ("config", 5)) -> bytes:
    return json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"digest": digest(config[0]), "size": config[1]},
                       "layers": [{"digest": digest(label), "size": size} for label, size in blobs]}).encode()


def sized(repo: Repo, vid: int, label: str, tags: t.Sequence[str], body: bytes) -> str:
    name = digest(label)
    repo.manifests[name] = parse_manifest(name, body)
    repo.versions.append(Version(vid, name, tuple(tags), T0 + timedelta(hours=vid), T0 + timedelta(hours=vid), None, "container"))
    return name


def test_blobs_are_packed_once_each_and_unusable_ones_are_left_out() -> None:
    body = json.dumps({"config": {"digest": digest("c"), "size": 5}, "layers": [
        {"digest": digest("a"), "size": 100}, {"digest": digest("a"), "size": 100}, {"digest": "sha512:" + "0" * 128, "size": 7},
        {"digest": digest("b"), "size": -1}, {"digest": digest("d"), "size": True}, "junk", {"digest": digest("e")}]}).encode()
    pairs = list(unpack_blobs(parse_manifest(digest("m"), body).blobs))
    assert sorted(size for dummy, size in pairs) == [5, 100]
    assert parse_manifest(digest("i"), json.dumps({"manifests": []}).encode()).blobs == b""


def test_bytes_freed_counts_each_blob_once_and_not_those_a_kept_manifest_uses() -> None:
    repo = Repo()
    sized(repo, 1, "old", [], image_body(("base", 1000), ("old-app", 30)))
    sized(repo, 2, "older", [], image_body(("base", 1000), ("older-app", 20)))
    sized(repo, 3, "new", ["v2"], image_body(("new-app", 40), config=("config2", 6)))
    graph = repo.graph()
    graph.read_all()
    # base is shared by the two deleted images only: freed once; config (5 bytes) is shared by both deleted ones too
    assert graph.bytes_freed(lambda i: i in (1, 2)) == (1000 + 30 + 20 + 5, 0)
    assert graph.bytes_freed(lambda i: i == 1) == (30, 0)  # base and config stay with the kept "older"


def test_bytes_freed_tells_how_many_deleted_versions_were_not_read() -> None:
    repo = Repo()
    sized(repo, 1, "old", [], image_body(("old-app", 30)))
    sized(repo, 2, "new", ["v2"], image_body(("new-app", 40)))
    graph = repo.graph()
    assert graph.bytes_freed(lambda i: i == 1) == (0, 1)
    assert repo.asked == []


def test_sizes_count_an_image_with_its_entries_and_the_package_each_blob_once() -> None:
    repo = Repo()
    sized(repo, 1, "amd64", [], image_body(("base", 1000), ("amd64-app", 30)))
    sized(repo, 2, "arm64", [], image_body(("base", 1000), ("arm64-app", 20)))
    repo.add(3, "index", ["v1"], [("amd64", "linux/amd64"), ("arm64", "linux/arm64")])
    sized(repo, 4, "single", ["v0"], image_body(("base", 1000), ("single-app", 10)))
    graph = repo.graph()
    graph.read_all()
    total, images = graph.sizes()
    assert images == {3: 1000 + 30 + 20 + 5, 4: 1000 + 10 + 5}
    assert total == 1000 + 30 + 20 + 10 + 5


def test_bytes_freed_is_exact_when_blobs_share_a_bit_of_its_bitmaps() -> None:
    """Keys 2**23 apart fall on the same bit: the bitmaps only point at candidates, which are then checked one by one."""
    def blob(key: int) -> str:
        return "sha256:%016x" % key + "0" * 48

    def body(*blobs: tuple[int, int]) -> bytes:
        return json.dumps({"schemaVersion": 2, "layers": [{"digest": blob(k), "size": s} for k, s in blobs]}).encode()

    repo = Repo()
    sized(repo, 1, "kept", ["v1"], body((1, 100)))
    sized(repo, 2, "gone-a", [], body((1 + 2 ** 23, 7), (5, 3)))
    sized(repo, 3, "gone-b", [], body((1 + 2 ** 23, 7), (5 + 2 ** 24, 11)))
    graph = repo.graph()
    graph.read_all()
    assert graph.bytes_freed(lambda i: i in (2, 3)) == (7 + 3 + 11, 0)
    assert graph.bytes_freed(lambda i: i == 1) == (100, 0)
