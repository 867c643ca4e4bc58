"""Write the real-registry tier's images as an OCI layout, with fixed digests, without pulling anything.

    python tests/registry/images.py DIR        # DIR/layout (oci layout) and DIR/images.json (what to push, what to expect)

Every byte is derived from fixed strings, so every digest is the same on every run. Two repositories:
  acme/app           v1.0.0, v1.1.0 (+ cosign .sig/.att tags), v1.2.0 + latest (+ cosign .sig, an SBOM whose `subject` is
                     the index, and the referrers fallback tag sha256-<hex> listing it), pr-12, pr-13, v1.3.0-rc.1, and `dev` pushed
                     twice, so that the first dev image is an untagged leftover with its own platform images.
  acme/tools/builder main (multi-arch) and an older `main` left untagged the same way.
Each multi-arch image is an OCI index of linux/amd64 and linux/arm64 images plus one buildx attestation manifest
(platform unknown/unknown) per platform.

images.json: {"pushes": [{"repository", "ref", "tag"}] in push order (skopeo, from the layout),
              "raw": [{"repository", "reference", "media_type", "blob"}] (pushed as exact bytes over HTTP, after the others),
              "images": {"REPO:TAG": {"index", "platforms": {"linux/amd64": digest}, "attestations": [..], "signatures": {tag: digest},
                                       "referrers": [..], "fallback": digest or null}},
              "leftovers": {"REPO": [index digest, its entries...]}, "manifests": {digest: repository}}
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
import tarfile
from pathlib import Path
from typing import Any

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
EMPTY = "application/vnd.oci.empty.v1+json"
PLATFORMS = (("linux", "amd64"), ("linux", "arm64"))


def encode(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def tar_of(name: str, content: bytes) -> bytes:
    """A one-file tar with fixed metadata: the same bytes on every run."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode, info.uid, info.gid = len(content), 0, 0o644, 0, 0
        archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class Layout:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.refs: list[dict[str, Any]] = []
        self.manifests: dict[str, str] = {}  # digest -> repository
        self.pushes: list[dict[str, str]] = []
        self.raw: list[dict[str, str]] = []

    def blob(self, data: bytes, media_type: str, **extra: Any) -> dict[str, Any]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        (self.blobs / digest[7:]).write_bytes(data)
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    def image(self, repository: str, label: str, platform: tuple[str, str] | None, layer_type: str = OCI_LAYER,
              config_type: str = OCI_CONFIG, **fields: Any) -> dict[str, Any]:
        """One image manifest with one tiny layer; returns its descriptor."""
        layer_bytes = tar_of("id", f"{repository} {label}\n".encode()) if layer_type == OCI_LAYER else encode({"for": label})
        layer = self.blob(layer_bytes, layer_type)
        if config_type == OCI_CONFIG:
            os_name, arch = platform or ("linux", "amd64")
            config = self.blob(encode({"architecture": arch, "os": os_name, "config": {},
                                       "rootfs": {"type": "layers", "diff_ids": [layer["digest"]]}}), config_type)
        else:
            config = self.blob(b"{}", config_type)
        manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer], **fields}
        return self.manifest(repository, manifest, OCI_MANIFEST)

    def manifest(self, repository: str, manifest: dict[str, Any], media_type: str, **extra: Any) -> dict[str, Any]:
        descriptor = self.blob(encode(manifest), media_type, **extra)
        self.manifests[descriptor["digest"]] = repository
        return descriptor

    def multi_arch(self, repository: str, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """An index of linux/amd64 and linux/arm64 images and their buildx attestations; (descriptor, expectation)."""
        entries, attestations, platforms = [], [], {}
        for os_name, arch in PLATFORMS:
            image = self.image(repository, f"{label} {arch}", (os_name, arch))
            platforms[f"{os_name}/{arch}"] = image["digest"]
            entries.append({**image, "platform": {"architecture": arch, "os": os_name}})
        for os_name, arch in PLATFORMS:
            attestation = self.image(repository, f"{label} {arch} provenance", None, layer_type="application/vnd.in-toto+json")
            attestations.append(attestation["digest"])
            entries.append({**attestation, "platform": {"architecture": "unknown", "os": "unknown"},
                            "annotations": {"vnd.docker.reference.digest": platforms[f"{os_name}/{arch}"],
                                            "vnd.docker.reference.type": "attestation-manifest"}})
        index = self.manifest(repository, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}, OCI_INDEX)
        return index, {"index": index["digest"], "platforms": platforms, "attestations": attestations,
                       "signatures": {}, "referrers": [], "fallback": None}

    def push(self, repository: str, descriptor: dict[str, Any], tag: str, ref: str | None = None) -> None:
        ref = ref or f"{repository.replace('/', '_')}_{tag}"
        self.refs.append({**descriptor, "annotations": {"org.opencontainers.image.ref.name": ref}})
        self.pushes.append({"repository": repository, "ref": ref, "tag": tag})

    def write(self) -> None:
        (self.root / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
        (self.root / "index.json").write_bytes(encode({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.refs}))


def build(root: Path) -> dict[str, Any]:
    layout = Layout(root / "layout")
    images: dict[str, Any] = {}
    leftovers: dict[str, list[str]] = {}

    def release(repository: str, tags: list[str], label: str) -> dict[str, Any]:
        index, expected = layout.multi_arch(repository, label)
        for tag in tags:
            layout.push(repository, index, tag)
            images[f"{repository}:{tag}"] = expected
        return expected

    def leftover(repository: str, tag: str, label: str) -> None:
        """Pushed under tag, then replaced: an untagged index with its own untagged entries, as CI leaves behind."""
        index, expected = layout.multi_arch(repository, label)
        layout.push(repository, index, tag, ref=f"{repository.replace('/', '_')}_{tag}_old")
        leftovers[repository] = [index["digest"], *expected["platforms"].values(), *expected["attestations"]]

    app = "acme/app"
    release(app, ["v1.0.0"], "v1.0.0")
    v110 = release(app, ["v1.1.0"], "v1.1.0")
    leftover(app, "dev", "dev 1")
    release(app, ["pr-12"], "pr-12")
    v120 = release(app, ["v1.2.0", "latest"], "v1.2.0")
    release(app, ["pr-13"], "pr-13")
    release(app, ["v1.3.0-rc.1"], "v1.3.0-rc.1")
    release(app, ["dev"], "dev 2")
    for expected, suffixes in ((v110, (".sig", ".att")), (v120, (".sig",))):
        for suffix in suffixes:
            tag = "sha256-" + expected["index"][7:] + suffix
            kind = "application/vnd.dev.cosign.simplesigning.v1+json" if suffix == ".sig" else "application/vnd.dsse.envelope.v1+json"
            signature = layout.image(app, tag, None, layer_type=kind)
            layout.push(app, signature, tag, ref=f"acme_app_{suffix[1:]}_{expected['index'][7:19]}")
            expected["signatures"][tag] = signature["digest"]
    # An OCI 1.1 referrer: an SBOM artifact whose subject is the v1.2.0 index; untagged, found through `subject` or the
    # referrers fallback tag sha256-<hex> (an index listing it), since the distribution registry has no referrers API.
    subject = {"mediaType": OCI_INDEX, "digest": v120["index"], "size": (layout.blobs / v120["index"][7:]).stat().st_size}
    sbom = layout.image(app, "v1.2.0 sbom", None, layer_type="application/spdx+json", config_type=EMPTY,
                        artifactType="application/spdx+json", subject=subject)
    v120["referrers"].append(sbom["digest"])
    fallback = layout.manifest(app, {"schemaVersion": 2, "mediaType": OCI_INDEX,
                                     "manifests": [{**sbom, "artifactType": "application/spdx+json"}]}, OCI_INDEX)
    v120["fallback"] = fallback["digest"]
    for blob, reference in ((sbom, sbom["digest"]), (fallback, "sha256-" + v120["index"][7:])):
        layout.raw.append({"repository": app, "reference": reference, "media_type": blob["mediaType"], "blob": blob["digest"]})

    builder = "acme/tools/builder"
    leftover(builder, "main", "main 1")
    release(builder, ["main"], "main 2")
    layout.write()
    return {"pushes": layout.pushes, "raw": layout.raw, "images": images, "leftovers": leftovers, "manifests": layout.manifests}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: images.py DIR", file=sys.stderr)
        return 2
    root = Path(argv[1])
    plan = build(root)
    (root / "images.json").write_text(json.dumps(plan, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
