"""A workflow's GITHUB_TOKEN (an installation token), as the README's assumptions describe it."""
from __future__ import annotations

import base64
from typing import Any

import requests
from conftest import TOKEN


def publish(emu: Any, name: str, access: dict[str, str]) -> int:
    """An npm package of acme with three versions whose "Manage Actions access" is access; the id of its first version."""
    first = emu.control.publish("acme", "npm", name, {"name": "1.0.0"}, actions_access=access)["id"]
    for extra in ("1.1.0", "1.2.0"):
        emu.control.publish("acme", "npm", name, {"name": extra})
    return first


def test_no_scopes_header_and_no_user(api):
    response = api.get("/users/acme", token="actions")
    assert response.status_code == 200 and "X-OAuth-Scopes" not in response.headers
    me = api.get("/user", token="actions")
    assert me.status_code == 403 and me.json()["message"] == "Resource not accessible by integration"


def test_listing_an_owners_packages_is_refused(api):
    response = api.get("/orgs/acme/packages", token="actions", params={"package_type": "npm"})
    assert response.status_code == 403
    assert response.json()["message"] == "Resource not accessible by integration"
    assert response.headers["X-Accepted-GitHub-Permissions"] == "packages=read"
    assert "X-OAuth-Scopes" not in response.headers


def test_a_package_that_grants_the_repository_admin_can_be_read_deleted_and_restored(api, emu):
    vid = publish(emu, "granted", {"acme/app": "admin"})
    assert api.get("/orgs/acme/packages/npm/granted/versions", token="actions").status_code == 200
    assert api.delete(f"/orgs/acme/packages/npm/granted/versions/{vid}", token="actions").status_code == 204
    assert api.post(f"/orgs/acme/packages/npm/granted/versions/{vid}/restore", token="actions").status_code == 204


def test_a_read_only_workflow_or_a_lesser_role_is_refused_and_told_the_permission(api, emu):
    vid = publish(emu, "granted", {"acme/app": "admin"})
    refused = api.delete(f"/orgs/acme/packages/npm/granted/versions/{vid}", token="actions_read")
    assert refused.status_code == 403 and refused.json()["message"] == "Resource not accessible by integration"
    assert refused.headers["X-Accepted-GitHub-Permissions"] == "packages=write"
    writer = publish(emu, "writer", {"acme/app": "write"})
    refused = api.delete(f"/orgs/acme/packages/npm/writer/versions/{writer}", token="actions")
    assert refused.status_code == 403 and refused.json()["message"] == "Resource not accessible by integration"


def test_a_private_package_without_access_is_invisible(api, emu):
    publish(emu, "hidden", {"acme/other": "admin"})
    assert api.get("/orgs/acme/packages/npm/hidden", token="actions").status_code == 404
    assert api.get("/orgs/acme/packages/npm/web-ui", token="actions").status_code == 404
    assert api.get("/orgs/acme/packages/npm/web-ui", token="full").status_code == 200


def test_the_registry_serves_only_granted_images_to_the_workflow_token(emu):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": [],
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": 2, "digest": "sha256:" + "0" * 64}}
    digest = emu.control.publish("acme", "container", "ci/granted", {"tags": ["v1"], "manifest": manifest},
                                 actions_access={"acme/app": "read"})["name"]
    basic = "Basic " + base64.b64encode(f"x:{TOKEN['actions']}".encode()).decode()
    for repository, expected in (("ci/granted", 200), ("app", 404)):
        token = requests.get(emu.url + "/token", timeout=10, headers={"Authorization": basic},
                             params={"scope": f"repository:acme/{repository}:pull", "service": "ghcr.io"})
        assert token.status_code == 200
        reference = digest if repository == "ci/granted" else "latest"
        answer = requests.get(f"{emu.url}/v2/acme/{repository}/manifests/{reference}", timeout=10,
                              headers={"Authorization": f"Bearer {token.json()['token']}"})
        assert answer.status_code == expected
