"""Authentication, scopes, visibility, org roles and SAML SSO."""
from __future__ import annotations

from conftest import TOKEN, version_named


def test_missing_and_bad_credentials(api):
    missing = api.get("/orgs/acme/packages/npm/web-ui", token=None)
    assert missing.status_code == 401 and missing.json()["message"] == "Requires authentication"
    bad = api.get("/orgs/acme/packages/npm/web-ui", raw_token="ghp_not_a_token")
    assert bad.status_code == 401 and bad.json()["message"] == "Bad credentials"
    assert "documentation_url" in bad.json()


def test_token_scheme_and_standard_headers(api):
    response = api.get("/orgs/acme/packages/npm/web-ui", token=None, headers={"Authorization": f"token {TOKEN['read_only']}"})
    assert response.status_code == 200
    headers = response.headers
    assert headers["X-OAuth-Scopes"] == "read:packages"
    assert headers["X-Accepted-OAuth-Scopes"] == "read:packages"
    assert headers["X-GitHub-Media-Type"] == "github.v3; format=json"
    assert headers["X-GitHub-Request-Id"]
    for name in ("limit", "remaining", "used", "reset", "resource"):
        assert f"x-ratelimit-{name}" in headers


def test_delete_needs_delete_scope(api):
    response = api.delete("/orgs/acme/packages/npm/web-ui", token="no_delete")
    assert response.status_code == 403
    assert response.json()["message"] == "You need at least delete:packages scope to delete packages."
    assert response.headers["X-Accepted-OAuth-Scopes"] == "delete:packages, read:packages"


def test_restore_needs_write_scope(api):
    response = api.post("/orgs/acme/packages/npm/retired/restore", token="no_write")
    assert response.status_code == 403 and "write:packages" in response.json()["message"]


def test_read_needs_read_scope_and_write_implies_read(api):
    assert api.get("/orgs/acme/packages/npm/web-ui", token="no_delete").status_code == 200  # write:packages implies read
    assert api.get("/orgs/acme/packages/container/app", token="no_repo").status_code == 200


def test_repo_scope_for_repository_scoped_registries(api):
    maven = api.get("/orgs/acme/packages/maven/com.acme.lib", token="no_repo")
    assert maven.status_code == 403 and maven.json()["message"] == "You need at least repo scope to view packages."
    assert maven.headers["X-Accepted-OAuth-Scopes"] == "read:packages, repo"
    assert api.get("/orgs/acme/packages/npm/web-ui", token="no_repo").status_code == 200  # granular on github.com
    assert api.get("/api/v3/orgs/acme/packages/npm/web-ui", token="no_repo").status_code == 403  # GHES: repo-scoped
    assert api.get("/api/v3/orgs/acme/packages/container/app", token="no_repo").status_code == 200


def test_private_packages_are_404_for_outsiders(api):
    assert api.get("/orgs/acme/packages/container/app", token="outsider").status_code == 404
    assert api.get("/orgs/acme/packages/container/public-app", token="outsider").status_code == 200
    listed = api.get("/orgs/acme/packages", params={"package_type": "container"}, token="outsider").json()
    assert [p["name"] for p in listed] == ["public-app"]
    assert api.delete("/orgs/acme/packages/container/app", token="outsider").status_code == 404


def test_members_read_but_only_admins_delete_or_restore(api, seed):
    assert api.get("/orgs/acme/packages/container/app", token="member").status_code == 200
    denied = api.delete("/orgs/acme/packages/npm/web-ui", token="member")
    assert denied.status_code == 403
    assert api.post("/orgs/acme/packages/npm/retired/restore", token="member").status_code == 403
    quiet = version_named(seed, "acme", "container", "public-app", lambda v: v["downloads"] < 5000 and v["tags"])
    assert api.delete(f"/orgs/acme/packages/container/public-app/versions/{quiet['id']}", token="outsider").status_code == 403
    assert api.delete("/orgs/acme/packages/npm/web-ui").status_code == 204


def test_user_packages_only_their_owner_may_delete(api):
    assert api.delete("/users/octocat/packages/container/hello").status_code == 403  # public, visible, not ours
    assert api.delete("/users/octocat/packages/npm/octo-lib").status_code == 404  # private, invisible
    assert api.delete("/user/packages/npm/octo-lib", token="octocat").status_code == 204


def test_sso_org_requires_authorized_token(api, emu):
    response = api.get("/orgs/sso-corp/packages", params={"package_type": "npm"}, token="no_sso")
    assert response.status_code == 403
    assert response.json()["message"] == ("Resource protected by organization SAML enforcement. "
                                          "You must grant your Personal Access token access to this organization.")
    assert response.headers["X-GitHub-SSO"].startswith(f"required; url={emu.url}/orgs/sso-corp/sso?authorization_request=")
    assert api.get("/orgs/sso-corp/packages", params={"package_type": "npm"}).status_code == 200
    assert api.get("/orgs/acme/packages/npm/web-ui", token="no_sso").status_code == 200  # acme has no SSO


def test_orgs_path_rejects_users_and_unknown_owners(api):
    assert api.get("/orgs/octocat/packages", params={"package_type": "npm"}).status_code == 404
    assert api.get("/orgs/ghost/packages", params={"package_type": "npm"}).status_code == 404


def test_unauthenticated_budget_and_public_user_lookup(api):
    anonymous = api.get("/users/acme", token=None)
    assert anonymous.status_code == 200 and anonymous.json()["type"] == "Organization"
    assert anonymous.headers["x-ratelimit-limit"] == "60"
    rejected = api.get("/orgs/acme/packages/npm/web-ui", raw_token="ghp_not_a_token")
    assert rejected.headers["x-ratelimit-limit"] == "60" and rejected.headers["x-ratelimit-used"] == "2"
    assert api.get("/rate_limit", token=None).json()["rate"]["limit"] == 60
