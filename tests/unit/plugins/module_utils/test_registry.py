# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""RegistryClient: manifests from a container registry with the bearer-token flow (HTTP mocked with responses)."""

from __future__ import annotations

import base64
import hashlib
import json
import typing as t

import pytest
import requests
import responses

from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import (
    RegistryClient,
    parse_bearer_challenge,
    repository_name,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    BadCredentials,
    InsecureTransport,
    NotFound,
    SecondaryRateLimit,
    ServerError,
    TransportError,
)

REGISTRY = "https://ghcr.io"
TOKEN = "ghp_RegistryUnitSecret0123456789abcdefgh"
BEARER = "ghcr_BearerUnitSecret987654321"
BODY = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": []}).encode()
DIGEST = "sha256:" + hashlib.sha256(BODY).hexdigest()
PATH = f"/v2/acme/app/manifests/{DIGEST}"
CHALLENGE = 'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:acme/app:pull"'


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(**kwargs: t.Any) -> tuple[RegistryClient, Sleeps]:
    sleeps = Sleeps()
    options = {"max_retries": 2, "rate_limit_wait": 100, "sleep": sleeps, **kwargs}
    return RegistryClient(TOKEN, options.pop("registry_url", REGISTRY), **options), sleeps


def challenge_then_manifest(mock: responses.RequestsMock, realm: str = "https://ghcr.io/token") -> None:
    def manifest(request: t.Any) -> tuple[int, dict[str, str], bytes]:
        if request.headers.get("Authorization") != f"Bearer {BEARER}":
            return 401, {"WWW-Authenticate": CHALLENGE.replace("https://ghcr.io/token", realm)}, b'{"errors":[{"code":"UNAUTHORIZED"}]}'
        return 200, {"Content-Type": "application/vnd.oci.image.index.v1+json"}, BODY

    mock.add_callback("GET", REGISTRY + PATH, callback=manifest)


def token_service(mock: responses.RequestsMock) -> None:
    def token(request: t.Any) -> tuple[int, dict[str, str], str]:
        expected = "Basic " + base64.b64encode(f"ghpkgs:{TOKEN}".encode()).decode()
        assert request.headers["Authorization"] == expected
        assert "scope=repository%3Aacme%2Fapp%3Apull" in request.url or "scope=repository:acme/app:pull" in request.url
        assert "service=ghcr.io" in request.url
        return 200, {}, json.dumps({"token": BEARER, "expires_in": 300})

    mock.add_callback("GET", REGISTRY + "/token", callback=token)


def test_challenge_token_and_cached_bearer() -> None:
    reg, dummy = client()
    with responses.RequestsMock() as mock:
        challenge_then_manifest(mock)
        token_service(mock)
        first = reg.get_manifest("acme/app", DIGEST)
        second = reg.get_manifest("acme/app", DIGEST)
        assert first.body == BODY and second.content_type == "application/vnd.oci.image.index.v1+json"
        assert [c.request.url.split("?")[0] for c in mock.calls] == [REGISTRY + PATH, REGISTRY + "/token", REGISTRY + PATH, REGISTRY + PATH]
        assert "Authorization" not in mock.calls[0].request.headers  # no netrc, no GitHub token to the registry itself
        assert reg.request_count == 4


@pytest.mark.parametrize("realm", ["https://evil.example/token", "http://ghcr.io/token", "ftp://ghcr.io/token"])
def test_the_token_is_never_sent_to_a_foreign_or_plain_http_realm(realm: str) -> None:
    reg, dummy = client()
    with responses.RequestsMock() as mock:
        challenge_then_manifest(mock, realm)
        with pytest.raises(InsecureTransport) as info:
            reg.get_manifest("acme/app", DIGEST)
        assert len(mock.calls) == 1
    assert TOKEN not in str(info.value)


def test_a_loopback_registry_may_use_a_loopback_realm() -> None:
    reg, dummy = client(registry_url="http://127.0.0.1:8000")
    with responses.RequestsMock() as mock:
        mock.get("http://127.0.0.1:8000" + PATH, status=401, headers={"WWW-Authenticate": CHALLENGE.replace("https://ghcr.io", "http://localhost:8000")})
        mock.get("http://localhost:8000/token", json={"access_token": BEARER})
        mock.get("http://127.0.0.1:8000" + PATH, body=BODY)
        assert reg.get_manifest("acme/app", DIGEST).body == BODY
        assert mock.calls[2].request.headers["Authorization"] == f"Bearer {BEARER}"


def test_refused_token_is_bad_credentials_naming_the_scope() -> None:
    reg, dummy = client()
    with responses.RequestsMock() as mock:
        challenge_then_manifest(mock)
        mock.get(REGISTRY + "/token", status=401, json={"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
        with pytest.raises(BadCredentials, match="read:packages") as info:
            reg.get_manifest("acme/app", DIGEST)
    assert TOKEN not in str(info.value) and TOKEN not in repr(info.value) and TOKEN not in json.dumps(info.value.to_dict())


def test_429_waits_retry_after_then_succeeds_and_gives_up_within_the_budget() -> None:
    reg, sleeps = client()
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, status=429, headers={"Retry-After": "7"})
        mock.get(REGISTRY + PATH, body=BODY)
        assert reg.get_manifest("acme/app", DIGEST).body == BODY
    assert sleeps == [7.0]
    reg, sleeps = client(rate_limit_wait=10)
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, status=429, headers={"Retry-After": "7"})
        with pytest.raises(SecondaryRateLimit, match="still throttled"):
            reg.get_manifest("acme/app", DIGEST)
    assert sleeps == [7.0]


def test_server_errors_are_retried_then_reported_with_the_registry_message() -> None:
    reg, sleeps = client(max_retries=1)
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, status=500, json={"errors": [{"code": "UNKNOWN", "message": "unknown error reading manifest"}]})
        with pytest.raises(ServerError) as info:
            reg.get_manifest("acme/app", DIGEST)
        assert len(mock.calls) == 2 and len(sleeps) == 1
    assert str(info.value) == f"GET {PATH}: 500 UNKNOWN: unknown error reading manifest; after 1 retries"


def test_unknown_manifest_is_not_found() -> None:
    reg, dummy = client()
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, status=404, json={"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
        with pytest.raises(NotFound, match="MANIFEST_UNKNOWN"):
            reg.get_manifest("acme/app", DIGEST)


def test_bytes_that_do_not_hash_to_the_digest_are_refused() -> None:
    reg, dummy = client()
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, body=BODY + b" ")
        with pytest.raises(Exception, match="sha256 is not the digest"):
            reg.get_manifest("acme/app", DIGEST)


def test_connection_errors_are_retried_then_a_transport_error() -> None:
    reg, sleeps = client(max_retries=2)
    with responses.RequestsMock() as mock:
        mock.get(REGISTRY + PATH, body=requests.exceptions.ConnectionError("refused"))
        with pytest.raises(TransportError):
            reg.get_manifest("acme/app", DIGEST)
    assert len(sleeps) == 2


@pytest.mark.parametrize("repository, digest", [
    ("acme/../app", DIGEST), ("acme/App", DIGEST), ("acme/app?x", DIGEST), ("acme/app", "sha256:ABC"), ("acme/app", "latest"),
])
def test_inputs_that_could_change_the_endpoint_are_refused_before_any_request(repository: str, digest: str) -> None:
    reg, dummy = client()
    with responses.RequestsMock():
        with pytest.raises(ValueError):
            reg.get_manifest(repository, digest)


def test_plain_http_to_a_remote_registry_is_refused() -> None:
    with pytest.raises(InsecureTransport):
        RegistryClient(TOKEN, "http://registry.example.com")
    assert TOKEN not in repr(RegistryClient(TOKEN))


def test_repository_name_and_challenge_parsing() -> None:
    assert repository_name("Acme", "Team/App") == "acme/team/app"
    with pytest.raises(ValueError):
        repository_name("acme", "..")
    assert parse_bearer_challenge(CHALLENGE) == {"realm": "https://ghcr.io/token", "service": "ghcr.io", "scope": "repository:acme/app:pull"}
    assert parse_bearer_challenge('Basic realm="x"') is None
    assert parse_bearer_challenge(None) is None
