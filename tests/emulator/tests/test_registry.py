"""The ghcr.io subset: token dance, manifests by tag/digest, downloads, failures."""
from __future__ import annotations

import hashlib

import requests
from conftest import TOKEN, version_named

ACCEPT = ", ".join(["application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
                    "application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.docker.distribution.manifest.v2+json"])


def bearer(emu, scope="repository:acme/app:pull", password=TOKEN["read_only"]):
    response = requests.get(f"{emu.url}/token", params={"scope": scope, "service": "ghcr.io"}, auth=("anyone", password), timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token"] == body["access_token"]
    return body["token"]


def test_challenge_then_manifest_by_tag_and_digest(emu, seed):
    url = f"{emu.url}/v2/acme/app/manifests/latest"
    challenge = requests.get(url, headers={"Accept": ACCEPT}, timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == f'Bearer realm="{emu.url}/token",service="ghcr.io",scope="repository:acme/app:pull"'
    token = bearer(emu)
    response = requests.get(url, headers={"Accept": ACCEPT, "Authorization": f"Bearer {token}"}, timeout=10)
    assert response.status_code == 200
    digest = response.headers["Docker-Content-Digest"]
    assert digest == "sha256:" + hashlib.sha256(response.content).hexdigest()
    assert response.headers["Content-Type"] == "application/vnd.oci.image.index.v1+json"
    expected = version_named(seed, "acme", "container", "app", lambda v: "latest" in v["tags"])
    assert digest == expected["name"] and response.json() == expected["manifest"]
    child = response.json()["manifests"][0]["digest"]
    by_digest = requests.get(f"{emu.url}/v2/acme/app/manifests/{child}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert by_digest.status_code == 200 and by_digest.headers["Docker-Content-Digest"] == child


def test_manifest_read_counts_as_download(emu, seed):
    token = bearer(emu)
    expected = version_named(seed, "acme", "container", "app", lambda v: "latest" in v["tags"])
    before = expected["downloads"]
    for _ in range(2):
        requests.get(f"{emu.url}/v2/acme/app/manifests/latest", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    dumped = next(p for p in emu.control.state()["packages"] if p["name"] == "app")
    assert next(v for v in dumped["versions"] if v["id"] == expected["id"])["downloads"] == before + 2


def test_name_with_slash_and_wrong_scope(emu):
    token = bearer(emu, scope="repository:acme/tools/builder:pull")
    ok = requests.get(f"{emu.url}/v2/acme/tools/builder/manifests/main", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert ok.status_code == 200
    wrong = requests.get(f"{emu.url}/v2/acme/app/manifests/latest", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert wrong.status_code == 401 and 'scope="repository:acme/app:pull"' in wrong.headers["WWW-Authenticate"]


def test_unknown_manifest_and_bad_credentials(emu):
    token = bearer(emu)
    missing = requests.get(f"{emu.url}/v2/acme/app/manifests/sha256:{'0' * 64}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "MANIFEST_UNKNOWN"
    denied = requests.get(f"{emu.url}/token", params={"scope": "repository:acme/app:pull"}, auth=("x", "ghp_wrong"), timeout=10)
    assert denied.status_code == 401


def test_unreadable_manifest_and_registry_throttle(emu, seed):
    token = bearer(emu)
    expected = version_named(seed, "acme", "container", "app", lambda v: "latest" in v["tags"])
    emu.control.config(unreadable_manifests=[expected["name"]])
    failed = requests.get(f"{emu.url}/v2/acme/app/manifests/latest", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert failed.status_code == 500
    emu.control.config(unreadable_manifests=[], registry_429_every_n=1, registry_retry_after=7)
    throttled = requests.get(f"{emu.url}/v2/acme/app/manifests/latest", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "7"


def test_deleted_version_manifest_is_unknown(api, emu, seed):
    token = bearer(emu)
    pr = version_named(seed, "acme", "container", "app", lambda v: "pr-12" in v["tags"])
    assert api.delete(f"/orgs/acme/packages/container/app/versions/{pr['id']}").status_code == 204
    gone = requests.get(f"{emu.url}/v2/acme/app/manifests/{pr['name']}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert gone.status_code == 404


def test_version_check_challenges_then_answers(emu):
    """Registry clients (skopeo, docker) start with GET /v2/: a challenge without a scope, then 200 with any bearer."""
    challenge = requests.get(f"{emu.url}/v2/", timeout=10)
    assert challenge.status_code == 401
    assert challenge.headers["WWW-Authenticate"] == f'Bearer realm="{emu.url}/token",service="ghcr.io"'
    ok = requests.get(f"{emu.url}/v2/", headers={"Authorization": f"Bearer {bearer(emu)}"}, timeout=10)
    assert ok.status_code == 200 and ok.json() == {}


def test_push_needs_write_packages_and_deletes_go_through_the_api(emu):
    url = f"{emu.url}/v2/acme/app/manifests/latest"
    read_only = bearer(emu, scope="repository:acme/app:pull,push")
    refused = requests.put(url, data=b"{}", headers={"Authorization": f"Bearer {read_only}"}, timeout=10)
    assert refused.status_code == 401
    assert 'scope="repository:acme/app:pull,push"' in refused.headers["WWW-Authenticate"]
    pulls = requests.get(url, headers={"Authorization": f"Bearer {read_only}"}, timeout=10)
    assert pulls.status_code == 200  # the pull half of the grant stands
    writer = bearer(emu, scope="repository:acme/app:pull,push", password=TOKEN["full"])
    deleted = requests.delete(url, headers={"Authorization": f"Bearer {writer}"}, timeout=10)
    assert deleted.status_code == 405 and deleted.json()["errors"][0]["code"] == "UNSUPPORTED"


def test_without_a_real_registry_only_manifests_are_served(emu):
    token = bearer(emu)
    blob = requests.get(f"{emu.url}/v2/acme/app/blobs/sha256:{'0' * 64}", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert blob.status_code == 404 and blob.json()["errors"][0]["code"] == "NAME_UNKNOWN"
    writer = bearer(emu, scope="repository:acme/app:pull,push", password=TOKEN["full"])
    push = requests.put(f"{emu.url}/v2/acme/app/manifests/v9", data=b"{}", headers={"Authorization": f"Bearer {writer}"}, timeout=10)
    assert push.status_code == 405 and "serve --registry" in push.json()["errors"][0]["message"]
