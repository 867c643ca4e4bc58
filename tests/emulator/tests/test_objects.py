"""Response shapes follow GitHub's OpenAPI schemas; URLs follow the request's base."""
from __future__ import annotations

from conftest import version_named

PACKAGE_KEYS = {"id", "name", "package_type", "owner", "version_count", "visibility", "url", "html_url", "created_at", "updated_at"}
VERSION_KEYS = {"id", "name", "url", "package_html_url", "html_url", "created_at", "updated_at", "metadata"}
SIMPLE_USER_KEYS = {"login", "id", "node_id", "avatar_url", "gravatar_id", "url", "html_url", "followers_url", "following_url",
                    "gists_url", "starred_url", "subscriptions_url", "organizations_url", "repos_url", "events_url",
                    "received_events_url", "type", "site_admin"}


def test_package_object(api, emu):
    body = api.get("/orgs/acme/packages/container/app").json()
    assert PACKAGE_KEYS | {"repository"} == set(body)
    assert body["url"] == f"{emu.url}/orgs/acme/packages/container/app"
    assert body["html_url"] == f"{emu.url}/orgs/acme/packages/container/package/app"
    assert SIMPLE_USER_KEYS <= set(body["owner"]) and body["owner"]["type"] == "Organization"
    assert body["repository"]["full_name"] == "acme/app" and body["repository"]["private"] is True
    assert body["version_count"] == len(api.versions("/orgs/acme", "container", "app"))
    assert "repository" not in api.get("/orgs/acme/packages/container/lonely").json()


def test_version_object_and_container_metadata(api, emu, seed):
    tagged = version_named(seed, "acme", "container", "app", lambda v: "latest" in v["tags"])
    body = api.get(f"/orgs/acme/packages/container/app/versions/{tagged['id']}").json()
    assert set(body) == VERSION_KEYS
    assert body["name"] == tagged["name"] and body["name"].startswith("sha256:")
    assert body["metadata"] == {"package_type": "container", "container": {"tags": ["v1.2.0", "latest"]}}
    assert body["url"] == f"{emu.url}/orgs/acme/packages/container/app/versions/{tagged['id']}"
    assert body["html_url"] == f"{emu.url}/orgs/acme/packages/container/app/{tagged['id']}"


def test_deleted_at_only_on_deleted_versions(api):
    active = api.versions("/orgs/acme", "npm", "web-ui")
    deleted = api.versions("/orgs/acme", "npm", "web-ui", state="deleted")
    assert all("deleted_at" not in v for v in active)
    assert {v["name"] for v in deleted} == {"0.8.0", "0.9.0"} and all(v["deleted_at"] for v in deleted)
    assert active[0]["metadata"] == {"package_type": "npm"}


def test_docker_metadata_has_tag_and_required_tags(api):
    version = api.versions("/orgs/acme", "docker", "legacy-app")[0]
    assert version["metadata"] == {"package_type": "docker", "docker": {"tag": ["v2"], "tags": ["v2"]}}


def test_ghes_prefix_and_host_header_shape_urls(api, emu):
    body = api.get("/api/v3/orgs/acme/packages/npm/web-ui", headers={"Host": "ghe.example.test"}).json()
    assert body["url"] == "http://ghe.example.test/api/v3/orgs/acme/packages/npm/web-ui"
    assert body["html_url"] == "http://ghe.example.test/orgs/acme/packages/npm/package/web-ui"


def test_user_owned_package_urls(api, emu):
    body = api.get("/user/packages/container/alice-tool").json()
    assert body["url"] == f"{emu.url}/users/alice/packages/container/alice-tool"
    assert body["owner"]["login"] == "alice" and body["owner"]["type"] == "User"


def test_container_name_with_slash_is_url_encoded(api, emu):
    response = api.get("/orgs/acme/packages/container/tools%2Fbuilder")
    assert response.status_code == 200
    assert response.json()["url"] == f"{emu.url}/orgs/acme/packages/container/tools%2Fbuilder"
    assert api.get("/orgs/acme/packages/container/tools/builder").status_code == 404


def test_users_endpoint_tells_owner_kind(api):
    org = api.get("/users/acme").json()
    user = api.get("/users/octocat").json()
    assert org["type"] == "Organization" and user["type"] == "User" and user["user_view_type"] == "public"
    me = api.get("/user").json()
    assert me["login"] == "alice" and me["user_view_type"] == "private" and "two_factor_authentication" in me
    assert api.get("/users/nobody-here").status_code == 404


def test_docker_conflicts_lists_flagged_packages(api):
    body = api.get("/orgs/acme/docker/conflicts").json()
    assert [p["name"] for p in body] == ["legacy-app"]
    assert api.get("/user/docker/conflicts").json() == []


def test_rate_limit_endpoint_shape(api):
    body = api.get("/rate_limit").json()
    assert set(body["rate"]) >= {"limit", "remaining", "reset", "used"}
    assert set(body["resources"]) >= {"core", "search"}
