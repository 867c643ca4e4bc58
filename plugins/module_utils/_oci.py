# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The image graph of a container package: which versions a kept version needs, and what goes with a deleted one.

Pure logic: no HTTP and no Ansible. Manifests are fetched through a function the caller gives
(``read(digests) -> {digest: Manifest}``), so this module decides *which* manifests are worth a
download and the caller decides *how* to download them.

Edges of the graph (``A -> B``: B exists for A, so B is kept while A is kept and is an orphan without it):
  * an OCI image index / Docker manifest list -> each entry of its ``manifests`` (platform images and
    buildx attestation manifests, platform ``unknown/unknown``);
  * a digest -> the versions tagged only with its cosign tags ``sha256-<hex>.sig|.att|.sbom`` or its referrers tag
    ``sha256-<hex>`` (the OCI referrers tag schema: an index listing its referrers, where the registry has no referrers API);
  * a digest -> the OCI referrers whose ``subject.digest`` it is.
"""

from __future__ import annotations

import json
import re
import struct
import sys
import typing as t
from dataclasses import dataclass
from urllib.parse import urlsplit

from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import Version

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_TYPES = (OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST)
INDEX_TYPES = (OCI_INDEX, DOCKER_LIST)

IN_TOTO = "application/vnd.in-toto+json"
# A blob (config or layer) as the graph keeps it: the first 64 bits of its sha256 and its size, packed, 16 bytes a blob.
_BLOB = struct.Struct("<QQ")

DIGEST = re.compile(r"^sha256:[a-f0-9]{64}$")
READ_CHUNK = 1000  # manifests asked for at once: their parsed answers are held together until added to the graph
_COSIGN_TAG = re.compile(r"^sha256-([a-f0-9]{64})(\.(sig|att|sbom))?$")


def cosign_subject(tag: str) -> t.Optional[str]:
    """The digest a cosign tag (sha256-<hex>.sig, .att or .sbom) or a referrers tag (sha256-<hex>) belongs to, or None for
    any other tag."""
    match = _COSIGN_TAG.match(tag)
    return "sha256:" + match.group(1) if match else None


def cosign_subjects(version: Version) -> t.FrozenSet[str]:
    """The digests a version signs or attests when all its tags are cosign tags; empty otherwise (a version with a
    tag of its own, like v1.0.0, is not a mere signature)."""
    subjects = [cosign_subject(tag) for tag in version.tags]
    if not subjects or None in subjects:
        return frozenset()
    return frozenset(t.cast(t.List[str], subjects))


def default_registry_url(api_url: str) -> t.Optional[str]:
    """The container registry of a GitHub API URL; None when it cannot be told.

    api.github.com -> https://ghcr.io; GHE.com api.SUBDOMAIN.ghe.com -> https://containers.SUBDOMAIN.ghe.com;
    GitHub Enterprise Server https://HOST/api/v3 -> https://containers.HOST (the registry needs subdomain isolation);
    a loopback test server (http://127.0.0.1:PORT) serves both on the same origin.
    """
    parts = urlsplit((api_url or "").strip())
    host = (parts.hostname or "").lower()
    path = parts.path.rstrip("/").lower()
    if parts.scheme == "https" and host == "api.github.com" and not path:
        return "https://ghcr.io"
    if parts.scheme == "https" and host.startswith("api.") and host.endswith(".ghe.com") and not path:
        return "https://containers." + host[len("api."):]
    if parts.scheme == "https" and host and path == "/api/v3":
        return "https://containers." + host
    if host in ("localhost", "::1") or host.startswith("127."):
        return "%s://%s" % (parts.scheme, parts.netloc)
    return None


@dataclass(frozen=True, slots=True)
class Child:
    """One entry of an index: digest, media type, platform (like linux/arm64) and whether it is an attestation."""

    digest: str
    media_type: t.Optional[str]
    platform: t.Optional[str]
    attestation: bool


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the graph needs from one manifest (slots: a package may have 100,000 of them)."""

    digest: str
    media_type: t.Optional[str]
    children: t.Tuple[Child, ...] = ()
    subject: t.Optional[str] = None
    attestation: bool = False  # a buildx attestation: every layer is an in-toto statement
    blobs: bytes = b""  # its config and layers, see pack_blobs

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES or bool(self.children)


def _media_type(value: t.Any) -> t.Optional[str]:
    """A media type string, one object per distinct value (the same few repeat in every manifest); None for a non-string."""
    return sys.intern(value) if isinstance(value, str) else None


def parse_manifest(digest: str, body: bytes, content_type: t.Optional[str] = None) -> Manifest:
    """Parse the bytes the registry served for digest; ValueError naming the digest when they are not a manifest."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ValueError("manifest %s: the registry's answer is not JSON" % digest) from None
    if not isinstance(data, dict):
        raise ValueError("manifest %s: the registry's answer is not a JSON object" % digest)
    media_type = _media_type(data.get("mediaType"))
    if media_type is None and content_type:
        media_type = _media_type(content_type.split(";")[0].strip() or None)
    children = []
    entries = data.get("manifests", [])
    if not isinstance(entries, list):
        raise ValueError("manifest %s: 'manifests' is not a list" % digest)
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("digest"), str):
            raise ValueError("manifest %s: an entry of 'manifests' has no digest" % digest)
        platform = entry["platform"] if isinstance(entry.get("platform"), dict) else {}
        annotations = entry["annotations"] if isinstance(entry.get("annotations"), dict) else {}
        name = "/".join(str(platform[key]) for key in ("os", "architecture", "variant") if platform.get(key))
        attestation = name == "unknown/unknown" or annotations.get("vnd.docker.reference.type") == "attestation-manifest"
        children.append(Child(entry["digest"], _media_type(entry.get("mediaType")), sys.intern(name) if name else None, attestation))
    subject = data.get("subject")
    subject_digest = subject.get("digest") if isinstance(subject, dict) and isinstance(subject.get("digest"), str) else None
    layers = data["layers"] if isinstance(data.get("layers"), list) else []
    in_toto = bool(layers) and all(isinstance(layer, dict) and layer.get("mediaType") == IN_TOTO for layer in layers)
    return Manifest(digest, media_type, tuple(children), subject_digest, in_toto, pack_blobs(data))


def pack_blobs(data: t.Mapping[str, t.Any]) -> bytes:
    """The config and layers of a manifest, each once, as packed (digest key, size) pairs; entries without a sha256 digest and a
    non-negative integer size are left out (their bytes cannot be counted)."""
    entries = [data.get("config")] + (data["layers"] if isinstance(data.get("layers"), list) else [])
    blobs = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("digest"), str) and DIGEST.match(entry["digest"]):
            size = entry.get("size")
            if isinstance(size, int) and not isinstance(size, bool) and size >= 0:
                blobs[int(entry["digest"][7:23], 16)] = size
    return b"".join(_BLOB.pack(key, size) for key, size in sorted(blobs.items()))


def unpack_blobs(packed: bytes) -> t.Iterator[t.Tuple[int, int]]:
    """The (digest key, size) pairs of pack_blobs."""
    return _BLOB.iter_unpack(packed)


_BITMAP_BITS = 1 << 23  # 1 MiB a bitmap


def _mark(bitmap: bytearray, key: int) -> None:
    index = key & (_BITMAP_BITS - 1)
    bitmap[index >> 3] |= 1 << (index & 7)


def _marked(bitmap: bytearray, key: int) -> bool:
    index = key & (_BITMAP_BITS - 1)
    return bool(bitmap[index >> 3] & (1 << (index & 7)))


def _bitmap(blobs: t.Iterable[bytes]) -> bytearray:
    """A bitmap of the digest keys of packed blobs: a clear bit means the key is not among them."""
    bitmap = bytearray(_BITMAP_BITS >> 3)
    for packed in blobs:
        for key, dummy in unpack_blobs(packed):
            _mark(bitmap, key)
    return bitmap


class ManifestUnreadable(Exception):
    """A manifest the graph needs could not be read: the package's plan is incomplete, so nothing may be deleted."""

    def __init__(self, digest: str, why: str) -> None:
        self.digest = digest
        self.why = why
        super().__init__("cannot read the manifest %s: %s" % (digest, why))


def describe(version: Version) -> str:
    """A version for a reason: its tags and digest, or the digest alone."""
    if version.tags:
        return "%s (%s)" % (", ".join(version.tags), version.name)
    return version.name


ORPHAN_KINDS = ("signature", "referrer", "attestation", "image")


@dataclass(frozen=True)
class Health:
    """What is wrong with a package's images.

    broken: id of every index some of whose entries are no longer versions of the package -> those entries, in index order;
    orphans: id of every orphan -> (kind, one of ORPHAN_KINDS; reason). Both ordered by id.
    """

    broken: t.Dict[int, t.Tuple[Child, ...]]
    orphans: t.Dict[int, t.Tuple[str, str]]


@dataclass(frozen=True)
class GraphPlan:
    """keep: acting versions a kept version needs (id -> reason); cascade: versions deleted with a deleted one
    (id -> reason); parents: for each version to delete, the versions to delete before it (sorted ids); reasons: why each
    version kept by a reference is kept (id -> reason)."""

    keep: t.Dict[int, str]
    cascade: t.Dict[int, str]
    parents: t.Dict[int, t.Tuple[int, ...]]
    reasons: t.Dict[int, str]


class ImageGraph:
    """The graph of one container package, built from its active versions and the manifests read so far.

    ``read(digests)`` returns the Manifest of every digest asked for or raises ManifestUnreadable; each digest is
    asked for at most once per ImageGraph. ``reads`` counts the manifests read (each one is a download on GitHub).
    """

    def __init__(self, versions: t.Iterable[Version], read: t.Callable[[t.List[str]], t.Dict[str, Manifest]]) -> None:
        self.versions: t.Dict[int, Version] = {v.id: v for v in versions}
        self.by_digest: t.Dict[str, int] = {v.name: v.id for v in self.versions.values()}
        self.read = read
        # digest -> the entries of its manifest that are versions of the package, for every manifest read (an entry's digest
        # is the version's own name string: one object per digest however many indexes list it)
        self.children: t.Dict[str, t.Tuple[Child, ...]] = {}
        self.described: t.Dict[str, t.Optional[str]] = {}  # version name -> the media type of the first index entry naming it
        self.reads = 0
        self.indexes: t.Set[str] = set()  # the names of the versions read that are indexes
        self.missing: t.Dict[str, t.Tuple[Child, ...]] = {}  # index name -> its entries that are no versions of the package
        self.attestations: t.Set[str] = set()  # the names of the versions read that are buildx attestations
        self.blobs: t.Dict[str, bytes] = {}  # version name -> the packed blobs of its manifest, for the manifests read that have any
        self.signatures: t.Dict[str, t.List[int]] = {}
        self.referrers: t.Dict[str, t.List[int]] = {}
        for version in self.versions.values():
            for subject in cosign_subjects(version):
                self.signatures.setdefault(subject, []).append(version.id)

    def plan(self, acting: t.AbstractSet[int], pinned: t.AbstractSet[int]) -> GraphPlan:
        """The graph's part of a deletion plan.

        acting: ids the retention rules would delete; pinned: ids that must never be deleted (kept by a protection).
        Every other version is kept unless it is an orphan of a deleted one: an untagged entry of a deleted index,
        or a cosign signature or OCI referrer of a deleted digest, that no kept version needs.

        Manifests are read in rounds, only where the answer can change the plan: first every kept version not known
        to be a platform image or a signature (a kept index protects its entries), then every version to delete
        that is not known that way (to find an index's entries and a referrer's subject).
        """
        while True:
            kept, deleted, keep, cascade, reasons = self._solve(acting, pinned)
            needed = self._unknown(kept) or self._unknown(deleted)
            if not needed:
                break
            del kept, deleted, keep, cascade, reasons  # a package may have 100,000 versions: free them before the next round
            self._fetch(needed)
        del kept  # not needed for the order of deletion
        # Sorted tuples, not sets: a set weighs 216 bytes even empty, and a package may have 100,000 versions to delete.
        parents: t.Dict[int, t.Tuple[int, ...]] = dict.fromkeys(deleted, ())
        for parent in deleted:
            for child, dummy, dummy2 in self._edges(parent):
                if child in parents and child != parent and parent not in parents[child]:
                    parents[child] = tuple(sorted(parents[child] + (parent,)))
        return GraphPlan(keep, cascade, parents, reasons)

    def bytes_freed(self, deleted: t.Callable[[int], bool]) -> t.Tuple[int, int]:
        """(bytes, unmeasured): the sizes of the config and layer blobs of the manifests read so far of the versions for which
        deleted(id) is true, that no other manifest read so far uses (each blob once), and how many such versions had no manifest
        read, so that their blobs are not counted. Approximate by nature: a blob shared with a kept manifest that was not read
        counts as freed.

        Exact, yet without a set of every blob (a package may have 100,000 manifests): bitmaps find the few blobs that may be
        shared, and only those are checked one by one."""
        kept: t.List[bytes] = []
        gone: t.List[bytes] = []
        for name, packed in self.blobs.items():
            (gone if deleted(self.by_digest[name]) else kept).append(packed)
        kept_bits = _bitmap(kept)
        maybe = {key for packed in gone for key, dummy in unpack_blobs(packed) if _marked(kept_bits, key)}
        del kept_bits
        shared = {key for packed in kept for key, dummy in unpack_blobs(packed) if key in maybe}  # used by a kept manifest
        seen_bits, again = bytearray(_BITMAP_BITS >> 3), set()
        for packed in gone:
            for key, dummy in unpack_blobs(packed):
                if _marked(seen_bits, key):
                    again.add(key)  # named by two deleted manifests, or sharing a bit with one: counted once below
                _mark(seen_bits, key)
        del seen_bits
        freed, counted = 0, set()
        for packed in gone:
            for key, size in unpack_blobs(packed):
                if key not in shared and key not in counted:
                    freed += size
                    if key in again:
                        counted.add(key)
        unmeasured = sum(1 for i, version in self.versions.items() if deleted(i) and version.name not in self.children)
        return freed, unmeasured

    def sizes(self) -> t.Tuple[int, t.Dict[int, int]]:
        """(package bytes, image bytes by id) from the manifests read: every blob once for the package, and for every version
        that no index lists (an image) the blobs of its manifest and of its entries, recursively, each once."""
        total: t.Dict[int, int] = {}
        for packed in self.blobs.values():
            total.update(unpack_blobs(packed))
        images: t.Dict[int, int] = {}
        for i in sorted(self.versions):
            name = self.versions[i].name
            if name in self.described:
                continue
            blobs: t.Dict[int, int] = {}
            stack, visited = [name], set()
            while stack:
                current = stack.pop()
                if current not in visited:
                    visited.add(current)
                    blobs.update(unpack_blobs(self.blobs.get(current, b"")))
                    stack.extend(child.digest for child in self.children.get(current, ()))
            images[i] = sum(blobs.values())
        return sum(total.values()), images

    def read_all(self) -> None:
        """Read every manifest not read yet (platform images and signatures too): what sizes() needs to be complete."""
        needed = [i for i in sorted(self.versions) if self.versions[i].name not in self.children]
        if needed:
            self._fetch(needed)

    def health(self) -> Health:
        """Broken images and orphans, after reading every manifest that may tell: first the tagged versions (an index makes
        its entries known as platform images without a download), then every other version not known that way.

        An orphan is a version that exists for something no longer in the package: a cosign signature (all its tags cosign
        tags) or an OCI referrer whose subject is gone, a buildx attestation that no index lists, or an untagged image that
        no index lists (the platform image of a deleted index; an image whose tag moved to a newer push looks the same, since
        the registry keeps no trace of the index). An untagged index is a whole image, not an orphan.
        """
        tagged = {i for i, v in self.versions.items() if v.tags}
        for ids in (tagged, set(self.versions)):
            needed = self._unknown(ids)
            if needed:
                self._fetch(needed)
        broken = {self.by_digest[name]: entries for name, entries in self.missing.items()}
        subject_of = {i: subject for subject, ids in self.referrers.items() for i in ids}
        orphans: t.Dict[int, t.Tuple[str, str]] = {}
        for i in sorted(self.versions):
            version = self.versions[i]
            subjects = cosign_subjects(version)
            if subjects:
                if not any(subject in self.by_digest for subject in subjects):
                    orphans[i] = ("signature", "orphan: cosign tag %s of %s, which is no longer in the package"
                                  % (", ".join(version.tags), ", ".join(sorted(subjects))))
            elif i in subject_of:
                if subject_of[i] not in self.by_digest:
                    orphans[i] = ("referrer", "orphan: OCI referrer of %s, which is no longer in the package" % subject_of[i])
            elif not version.tags and version.name not in self.described and version.name not in self.indexes:
                if version.name in self.attestations:
                    orphans[i] = ("attestation", "orphan: buildx attestation that no index lists; the image it attests is gone")
                else:
                    orphans[i] = ("image", "orphan: untagged image that no index lists (the platform image of an index that is gone, "
                                           "or an image whose tag moved on: the registry cannot tell which)")
        return Health(dict(sorted(broken.items())), orphans)

    @staticmethod
    def levels(parents: t.Mapping[int, t.Collection[int]]) -> t.List[t.List[int]]:
        """Ids grouped so that every version comes after all its parents (an index before its entries)."""
        level: t.Dict[int, int] = {}
        remaining = set(parents)
        depth = 0
        while remaining:
            ready = {i for i in remaining if all(p in level for p in parents[i] if p in parents)}
            if not ready:  # a cycle cannot happen with content-addressed manifests; never loop on a bad answer
                ready = set(remaining)
            for i in ready:
                level[i] = depth
            remaining -= ready
            depth += 1
        return [sorted(i for i, d in level.items() if d == n) for n in range(depth)]

    def _fetch(self, ids: t.List[int]) -> None:
        digests = sorted({self.versions[i].name for i in ids})
        for digest in digests:
            if not DIGEST.match(digest):
                raise ManifestUnreadable(digest, "the version's name is not a sha256 manifest digest")
        for start in range(0, len(digests), READ_CHUNK):
            self._add(digests[start:start + READ_CHUNK])

    def _add(self, digests: t.List[str]) -> None:
        """Read digests and add what their manifests tell to the graph."""
        found = self.read(digests)
        for digest in digests:
            if digest not in found:
                raise ManifestUnreadable(digest, "the registry did not return it")
            manifest = found[digest]
            children = []
            missing = []
            for child in manifest.children:
                child_id = self.by_digest.get(child.digest)
                if child_id is not None:  # an entry that is no version of the package is no edge
                    name = self.versions[child_id].name
                    self.described.setdefault(name, child.media_type)
                    children.append(Child(name, child.media_type, child.platform, child.attestation))
                else:
                    missing.append(child)
            self.children[digest] = tuple(children)
            if manifest.is_index:
                self.indexes.add(digest)
            if missing:
                self.missing[digest] = tuple(missing)
            if manifest.attestation:
                self.attestations.add(digest)
            if manifest.blobs:
                self.blobs[digest] = manifest.blobs
            if manifest.subject:
                self.referrers.setdefault(manifest.subject, []).append(self.by_digest[digest])
        self.reads += len(digests)

    def _unknown(self, ids: t.AbstractSet[int]) -> t.List[int]:
        """The versions among ids whose manifest may hold edges that are not known yet."""
        unknown = []
        for i in sorted(ids):
            version = self.versions[i]
            if version.name in self.children or cosign_subjects(version):
                continue
            media_type = self.described.get(version.name)
            if media_type is not None and media_type not in INDEX_TYPES:
                continue  # a platform image of a known index: it references nothing
            unknown.append(i)
        return unknown

    def _edges(self, parent: int) -> t.Iterator[t.Tuple[int, str, str]]:
        """(id, kind, what) of the versions that exist for parent, as far as the manifests read so far tell."""
        version = self.versions[parent]
        for child in self.children.get(version.name, ()):
            child_id = self.by_digest.get(child.digest)
            if child_id is not None:
                what = "attestation" if child.attestation else "platform %s" % child.platform if child.platform else "entry"
                yield child_id, "index", what
        for signature in self.signatures.get(version.name, ()):
            tags = self.versions[signature].tags
            kind = "cosign tag" if all("." in tag for tag in tags) else "referrers tag"
            yield signature, "signature", "%s %s" % (kind, ", ".join(tags))
        for referrer in self.referrers.get(version.name, ()):
            yield referrer, "referrer", "OCI referrer"

    def _solve(self, acting: t.AbstractSet[int], pinned: t.AbstractSet[int]
               ) -> t.Tuple[t.Set[int], t.Set[int], t.Dict[int, str], t.Dict[int, str], t.Dict[int, str]]:
        """kept, deleted, keep reasons (acting ids kept by reference), cascade reasons, and the reasons of every version kept
        by a reference, from the manifests known now."""
        cascade: t.Dict[int, str] = {}
        while True:
            roots = [i for i in self.versions if i not in acting and i not in cascade]
            kept, why = self._closure(roots)
            deleted = {i for i in acting if i not in kept} | {i for i in cascade if i not in kept}
            new = {}
            for parent in sorted(deleted):
                for child, kind, what in self._edges(parent):
                    version = self.versions[child]
                    orphan = not version.tags or bool(cosign_subjects(version))
                    if orphan and child not in acting and child not in pinned and child not in cascade and child not in new:
                        new[child] = self._cascade_reason(parent, kind, what)
            if not new:
                keep = {i: why[i] for i in acting if i in kept}
                return kept, deleted, keep, {i: r for i, r in cascade.items() if i in deleted}, why
            cascade.update(new)

    def _closure(self, roots: t.List[int]) -> t.Tuple[t.Set[int], t.Dict[int, str]]:
        kept = set(roots)
        why: t.Dict[int, str] = {}
        queue = list(roots)
        while queue:
            parent = queue.pop()
            for child, kind, what in self._edges(parent):
                if child not in kept:
                    kept.add(child)
                    why[child] = self._keep_reason(parent, kind, what)
                    queue.append(child)
        return kept, why

    def _keep_reason(self, parent: int, kind: str, what: str) -> str:
        where = describe(self.versions[parent])
        if kind == "index":
            return "referenced by kept index %s (%s)" % (where, what)
        return "referenced by kept %s (its %s)" % (where, what)

    def _cascade_reason(self, parent: int, kind: str, what: str) -> str:
        where = describe(self.versions[parent])
        if kind == "index":
            return "deleted with its index %s (%s), which no kept index references" % (where, what)
        return "deleted with %s (its %s)" % (where, what)
