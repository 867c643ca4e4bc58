"""A real container registry (the CNCF distribution registry) behind the emulator's /v2 side.

The registry holds the manifests and tags; the emulator keeps what GitHub adds (version ids, timestamps, downloads,
deleted state, permissions). Plain HTTP on loopback, no auth: the emulator is the only client that writes to it.
"""
from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

MANIFEST_TYPES = ("application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                  "application/vnd.docker.distribution.manifest.list.v2+json",
                  "application/vnd.docker.distribution.manifest.v2+json")
ACCEPT = ", ".join(MANIFEST_TYPES)


class UpstreamError(Exception):
    """The registry answered something the emulator cannot turn into GitHub's answer."""


class Upstream:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname != "127.0.0.1" or not parts.port:
            raise ValueError(f"the upstream registry must be http://127.0.0.1:PORT, not {url!r}")
        self.url = f"http://127.0.0.1:{parts.port}"
        self.port = parts.port

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"",
                connection: http.client.HTTPConnection | None = None) -> tuple[int, dict[str, str], bytes]:
        """One request; a given keep-alive connection is reused (a sync makes dozens of small requests)."""
        conn = connection or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(method, path, body=body or None, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        except OSError as exc:
            raise UpstreamError(f"the upstream registry {self.url} is unreachable: {exc}") from None
        finally:
            if connection is None:
                conn.close()

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def tags(self, repository: str, conn: http.client.HTTPConnection) -> dict[str, str]:
        """tag -> digest of every tag of the repository (none when the repository does not exist)."""
        status, _, body = self.request("GET", f"/v2/{repository}/tags/list", connection=conn)
        if status == 404:
            return {}
        if status != 200:
            raise UpstreamError(f"tags/list of {repository} answered {status}")
        found = {}
        for tag in json.loads(body).get("tags") or []:
            digest = self.resolve(repository, tag, conn)
            if digest:
                found[tag] = digest
        return found

    def resolve(self, repository: str, reference: str, conn: http.client.HTTPConnection) -> str | None:
        """The digest a tag or digest names in the registry now; None when it holds no such manifest."""
        status, headers, _ = self.request("HEAD", f"/v2/{repository}/manifests/{reference}", {"Accept": ACCEPT}, connection=conn)
        if status == 404:
            return None
        if status != 200:
            raise UpstreamError(f"HEAD manifest {reference} of {repository} answered {status}")
        return headers.get("Docker-Content-Digest")

    def manifest(self, repository: str, digest: str, conn: http.client.HTTPConnection) -> tuple[bytes, str] | None:
        """The bytes and media type of a manifest, or None when the registry does not hold it."""
        status, headers, body = self.request("GET", f"/v2/{repository}/manifests/{digest}", {"Accept": ACCEPT}, connection=conn)
        if status == 404:
            return None
        if status != 200:
            raise UpstreamError(f"GET manifest {digest} of {repository} answered {status}")
        return body, headers.get("Content-Type", "").split(";")[0]

    def put(self, repository: str, reference: str, body: bytes, media_type: str, conn: http.client.HTTPConnection) -> None:
        status, _, answer = self.request("PUT", f"/v2/{repository}/manifests/{reference}", {"Content-Type": media_type}, body, conn)
        if status != 201:
            raise UpstreamError(f"putting manifest {reference} back into {repository} answered {status}: {answer[:300]!r}")

    def delete(self, repository: str, digest: str, conn: http.client.HTTPConnection) -> None:
        """Delete a manifest by digest (every tag on it goes too); already gone is fine."""
        status, _, answer = self.request("DELETE", f"/v2/{repository}/manifests/{digest}", connection=conn)
        if status not in (202, 404):
            raise UpstreamError(f"deleting manifest {digest} of {repository} answered {status}: {answer[:300]!r}")
