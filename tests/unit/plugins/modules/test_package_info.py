# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import json
import typing as t
from urllib.parse import parse_qs, urlsplit

import pytest
import responses


from ansible_collections.ghpkgs.registry.plugins.modules import package_info
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main

API = "https://api.github.com"
TOKEN = "ghp_UnitTestSecretToken0123456789abcdefXYZ"
ALL_TYPES = ["npm", "maven", "rubygems", "docker", "nuget", "container"]
SCOPES = {"X-OAuth-Scopes": "read:packages, repo"}


@pytest.fixture
def api() -> t.Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def run_module(args: dict[str, t.Any], check_mode: bool = False) -> Exited:
    full = {"token": TOKEN, "max_retries": 0, "points_per_minute": 0, **args}
    return run_main(package_info.main, full, TOKEN, check_mode)


def package(name: str, package_type: str, owner: str = "octo-org", visibility: str = "private", repo: str | None = None,
            pid: int = 1) -> dict[str, t.Any]:
    body: dict[str, t.Any] = {
        "id": pid, "name": name, "package_type": package_type, "visibility": visibility, "version_count": 3,
        "owner": {"login": owner, "id": 9, "type": "Organization"},
        "url": f"{API}/orgs/{owner}/packages/{package_type}/{name}",
        "html_url": f"https://github.com/orgs/{owner}/packages/{package_type}/package/{name}",
        "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z",
    }
    if repo:
        body["repository"] = {"id": 5, "name": repo.split("/")[1], "full_name": repo}
    return body


def version(vid: int, name: str, created: str, tags: list[str] | None = None, deleted: str | None = None) -> dict[str, t.Any]:
    body: dict[str, t.Any] = {
        "id": vid, "name": name, "url": f"{API}/x/{vid}", "package_html_url": "https://github.com/x",
        "html_url": f"https://github.com/x/{vid}", "created_at": created, "updated_at": created,
        "metadata": {"package_type": "container", "container": {"tags": tags or []}},
    }
    if deleted:
        body["deleted_at"] = deleted
    return body


def org_lookup(api: responses.RequestsMock, login: str = "octo-org", kind: str = "Organization") -> None:
    api.get(f"{API}/users/{login}", json={"login": login, "id": 9, "type": kind}, headers=SCOPES)


def listing(api: responses.RequestsMock, prefix: str, package_type: str, items: list[dict[str, t.Any]], **kwargs: t.Any) -> None:
    api.get(f"{API}{prefix}/packages", match=[responses.matchers.query_param_matcher(
        {"package_type": package_type, "per_page": "100", **kwargs})], json=items, headers=SCOPES)


def paths(api: responses.RequestsMock) -> list[str]:
    return [call.request.method + " " + urlsplit(call.request.url).path for call in api.calls]


def assert_read_only(api: responses.RequestsMock) -> None:
    writes = [call.request.url for call in api.calls if call.request.method in ("POST", "PUT", "PATCH", "DELETE")]
    assert not writes


def test_lists_every_type_of_an_org_sorted_with_the_documented_fields(api: responses.RequestsMock) -> None:
    org_lookup(api)
    for package_type in ALL_TYPES:
        items = []
        if package_type == "container":
            items = [package("zeta", "container", pid=3), package("team/app", "container", repo="octo-org/app", pid=2)]
        elif package_type == "npm":
            items = [package("zeta", "npm", pid=4, visibility="public")]
        elif package_type == "nuget":
            items = [package("Widget", "nuget", pid=5)]
        listing(api, "/orgs/octo-org", package_type, items)

    result = run_module({"owner": "octo-org"}).result

    assert result["changed"] is False
    # Sorted by name ignoring case, as a person reads a list, then by type.
    assert [(p["name"], p["package_type"]) for p in result["packages"]] == [
        ("team/app", "container"), ("Widget", "nuget"), ("zeta", "container"), ("zeta", "npm")]
    assert result["packages"][0] == {
        "id": 2, "name": "team/app", "package_type": "container", "visibility": "private", "version_count": 3,
        "repository": "octo-org/app", "owner": "octo-org", "created_at": "2024-01-01T00:00:00Z", "updated_at": "2024-02-01T00:00:00Z",
        "html_url": "https://github.com/orgs/octo-org/packages/container/package/team/app",
    }
    assert result["packages"][1]["repository"] is None
    assert "versions" not in result["packages"][0] and "docker_conflicts" not in result
    # One owner lookup and one listing page per type: no request per package.
    assert len(api.calls) == 7
    assert TOKEN not in json.dumps(result)


def test_check_mode_sends_only_reads(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "container", [package("app", "container")])
    api.get(f"{API}/orgs/octo-org/packages/container/app/versions", json=[version(1, "sha256:a", "2024-01-01T00:00:00Z", ["v1"])],
            headers=SCOPES)
    api.get(f"{API}/orgs/octo-org/docker/conflicts", json=[], headers=SCOPES)

    exited = run_module({"owner": "octo-org", "package_type": ["container"], "include_versions": True, "include_docker_conflicts": True},
                        check_mode=True)

    assert not exited.failed and exited.result["changed"] is False
    assert len(api.calls) == 4
    assert_read_only(api)


def test_follows_pagination_one_request_per_hundred(api: responses.RequestsMock) -> None:
    org_lookup(api)
    first = f"{API}/orgs/octo-org/packages?package_type=npm&per_page=100"
    second = f"{API}/orgs/octo-org/packages?package_type=npm&per_page=100&page=2"
    third = f"{API}/orgs/octo-org/packages?package_type=npm&per_page=100&page=3"
    pages = [[package(f"p{i:03d}", "npm", pid=i) for i in range(start, min(start + 100, 250))] for start in (0, 100, 200)]
    api.get(first, json=pages[0], headers={**SCOPES, "Link": f'<{second}>; rel="next", <{third}>; rel="last"'},
            match=[responses.matchers.query_string_matcher("package_type=npm&per_page=100")])
    api.get(second, json=pages[1], headers={**SCOPES, "Link": f'<{third}>; rel="next"'},
            match=[responses.matchers.query_string_matcher("package_type=npm&per_page=100&page=2")])
    api.get(third, json=pages[2], headers=SCOPES, match=[responses.matchers.query_string_matcher("package_type=npm&per_page=100&page=3")])

    result = run_module({"owner": "octo-org", "package_type": ["npm"]}).result

    assert [p["name"] for p in result["packages"]] == [f"p{i:03d}" for i in range(250)]
    assert len(api.calls) == 4


def test_globs_filter_the_listing_and_exact_names_ride_along(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "container", [package(n, "container") for n in ("app-web", "app-api", "lib", "library", "team/app")],
            visibility="public")

    result = run_module({"owner": "octo-org", "package_type": ["container"], "visibility": "public",
                         "name": ["app-*", "lib", "team/*"]}).result

    assert [p["name"] for p in result["packages"]] == ["app-api", "app-web", "lib", "team/app"]
    assert len(api.calls) == 2  # no GET per exact name when a listing is needed anyway


def test_a_glob_that_matches_nothing_is_an_empty_list_with_a_warning(api: responses.RequestsMock, warnings: list[str]) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "npm", [package("app", "npm"), package("lib", "npm")])

    exited = run_module({"owner": "octo-org", "package_type": ["npm"], "name": ["nothing-*", "a*"]})

    assert not exited.failed and [p["name"] for p in exited.result["packages"]] == ["app"]
    assert exited.result["diagnostics"] == ["name: the glob 'nothing-*' matched none of the 2 npm packages listed for the org octo-org; "
                                            "check the glob (case-sensitive, whole names)"]
    assert warnings == exited.result["diagnostics"]


def test_an_owner_with_nothing_visible_warns_with_the_causes(api: responses.RequestsMock, warnings: list[str]) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "npm", [])
    listing(api, "/orgs/octo-org", "container", [])

    exited = run_module({"owner": "octo-org", "package_type": ["npm", "container"], "name": ["app-*"]})

    assert not exited.failed and exited.result["packages"] == []
    assert exited.result["diagnostics"] == [
        "no npm or container packages are visible to the token for the org octo-org: the owner has none, or the token's user cannot "
        "see them (private packages need read access to each package, and a workflow's GITHUB_TOKEN cannot list packages at all); "
        "check owner and package_type, use a token whose user can read the packages, or name the packages"]
    assert warnings == exited.result["diagnostics"]


def test_a_listing_that_finds_packages_has_no_diagnostics(api: responses.RequestsMock, warnings: list[str]) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "npm", [package("app", "npm")])

    assert run_module({"owner": "octo-org", "package_type": ["npm"]}).result["diagnostics"] == []
    assert warnings == []


def test_exact_names_are_fetched_directly_with_slashes_encoded(api: responses.RequestsMock) -> None:
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages/container/team%2Fapp", json=package("team/app", "container"), headers=SCOPES)
    api.get(f"{API}/orgs/octo-org/packages/npm/team%2Fapp", status=404, json={"message": "Package not found."}, headers=SCOPES)

    result = run_module({"owner": "octo-org", "package_type": ["npm", "container"], "name": ["team/app"]}).result

    assert [(p["name"], p["package_type"]) for p in result["packages"]] == [("team/app", "container")]
    assert sorted(paths(api)) == sorted(["GET /users/octo-org", "GET /orgs/octo-org/packages/container/team%2Fapp",
                                         "GET /orgs/octo-org/packages/npm/team%2Fapp"])


def test_an_exact_name_found_under_no_requested_type_fails_naming_it(api: responses.RequestsMock) -> None:
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages/npm/app", json=package("app", "npm"), headers=SCOPES)
    for package_type in ("npm", "container"):
        api.get(f"{API}/orgs/octo-org/packages/{package_type}/ghost", status=404, json={"message": "Package not found."}, headers=SCOPES)
    api.get(f"{API}/orgs/octo-org/packages/container/app", status=404, json={"message": "Package not found."}, headers=SCOPES)

    exited = run_module({"owner": "octo-org", "package_type": ["npm", "container"], "name": ["app", "ghost"]})

    assert exited.failed
    assert exited.result["missing"] == ["ghost"]
    assert "'ghost'" in exited.result["msg"] and "npm, container" in exited.result["msg"] and "'app'" not in exited.result["msg"]


def test_an_exact_name_with_another_visibility_is_not_found(api: responses.RequestsMock) -> None:
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages/npm/app", json=package("app", "npm", visibility="private"), headers=SCOPES)

    exited = run_module({"owner": "octo-org", "package_type": ["npm"], "name": ["app"], "visibility": "public"})

    assert exited.failed and "visibility public" in exited.result["msg"]


def test_versions_of_every_state_sorted_newest_first(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "container", [package("team/app", "container")])
    base = f"{API}/orgs/octo-org/packages/container/team%2Fapp/versions"
    api.get(base, match=[responses.matchers.query_param_matcher({"state": "active", "per_page": "100"})], headers=SCOPES,
            json=[version(10, "sha256:old", "2024-01-01T00:00:00Z", ["v1"]), version(12, "sha256:new", "2024-03-01T00:00:00+00:00", ["latest", "v2"])])
    api.get(base, match=[responses.matchers.query_param_matcher({"state": "deleted", "per_page": "100"})], headers=SCOPES,
            json=[version(11, "sha256:mid", "2024-02-01T00:00:00Z", deleted="2024-04-01T00:00:00Z")])

    result = run_module({"owner": "octo-org", "package_type": ["container"], "include_versions": True, "version_state": "all"}).result

    versions = result["packages"][0]["versions"]
    assert [v["id"] for v in versions] == [12, 11, 10]
    assert versions[0] == {"id": 12, "name": "sha256:new", "tags": ["latest", "v2"], "created_at": "2024-03-01T00:00:00Z",
                           "updated_at": "2024-03-01T00:00:00Z", "deleted_at": None, "html_url": "https://github.com/x/12"}
    assert versions[1]["deleted_at"] == "2024-04-01T00:00:00Z" and versions[1]["tags"] == []


def test_each_version_holds_only_the_documented_keys_read_only() -> None:
    entry = package_info.VersionInfo(version(7, "sha256:a", "2024-01-01T00:00:00Z", ["v1"]), "container")
    assert dict(entry) == {"id": 7, "name": "sha256:a", "tags": ["v1"], "created_at": "2024-01-01T00:00:00Z",
                           "updated_at": "2024-01-01T00:00:00Z", "deleted_at": None, "html_url": "https://github.com/x/7"}
    assert "url" not in entry and entry.get("metadata") is None
    with pytest.raises(KeyError):
        entry["__class__"]  # pylint: disable=pointless-statement
    with pytest.raises(TypeError):
        entry["id"] = 8  # type: ignore[index]


def test_docker_conflicts(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "docker", [])
    api.get(f"{API}/orgs/octo-org/docker/conflicts", headers=SCOPES,
            json=[package("zz", "docker"), package("aa", "docker", repo="octo-org/aa")])

    result = run_module({"owner": "octo-org", "package_type": ["docker"], "include_docker_conflicts": True}).result

    assert [p["name"] for p in result["docker_conflicts"]] == ["aa", "zz"]
    assert result["docker_conflicts"][0]["repository"] == "octo-org/aa"


def test_the_token_own_account_uses_the_user_endpoints(api: responses.RequestsMock) -> None:
    listing(api, "/user", "rubygems", [package("gem", "rubygems", owner="mona")])

    result = run_module({"package_type": ["rubygems"]}).result

    assert result["packages"][0]["owner"] == "mona"
    assert paths(api) == ["GET /user/packages"]


def test_a_user_owner_uses_the_users_endpoints(api: responses.RequestsMock) -> None:
    org_lookup(api, "mona", "User")
    listing(api, "/users/mona", "nuget", [package("Pkg", "nuget", owner="mona")])

    result = run_module({"owner": "mona", "package_type": ["nuget"]}).result

    assert [p["name"] for p in result["packages"]] == ["Pkg"]
    assert paths(api) == ["GET /users/mona", "GET /users/mona/packages"]


def test_ghes_api_url(api: responses.RequestsMock) -> None:
    ghes = "https://ghe.example.com/api/v3"
    api.get(f"{ghes}/orgs/platform/packages", json=[package("app", "npm", owner="platform")], headers=SCOPES,
            match=[responses.matchers.query_param_matcher({"package_type": "npm", "per_page": "100"})])

    result = run_module({"api_url": ghes + "/", "owner": "platform", "owner_type": "org", "package_type": ["npm"]}).result

    assert [p["name"] for p in result["packages"]] == ["app"]
    assert len(api.calls) == 1


def test_unknown_owner_fails_naming_it(api: responses.RequestsMock) -> None:
    api.get(f"{API}/users/nobody", status=404, json={"message": "Not Found"}, headers=SCOPES)

    exited = run_module({"owner": "nobody"})

    assert exited.failed and exited.result["status"] == 404
    assert "'nobody'" in exited.result["msg"] and "owner" in exited.result["msg"]
    assert len(api.calls) == 1


def test_unknown_org_with_explicit_owner_type_fails_naming_it(api: responses.RequestsMock) -> None:
    api.get(f"{API}/orgs/nobody/packages", status=404, json={"message": "Not Found"}, headers=SCOPES)

    exited = run_module({"owner": "nobody", "owner_type": "org", "package_type": ["npm"]})

    assert exited.failed and "no organization 'nobody'" in exited.result["msg"]


def test_missing_scope_on_an_explicit_type_fails_with_the_diagnosis(api: responses.RequestsMock) -> None:
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages", status=403, json={"message": "You need at least repo scope to list packages."},
            headers={"X-OAuth-Scopes": "read:packages", "X-Accepted-OAuth-Scopes": "read:packages, repo"})

    exited = run_module({"owner": "octo-org", "package_type": ["maven"]})

    assert exited.failed and exited.result["missing_scopes"] == ["repo"]
    assert "repo" in exited.result["msg"]


def test_default_types_skip_a_type_the_token_cannot_read_with_a_warning(api: responses.RequestsMock, warnings: list[str]) -> None:
    org_lookup(api)
    for package_type in ALL_TYPES:
        if package_type == "maven":
            api.get(f"{API}/orgs/octo-org/packages", status=403, json={"message": "You need at least repo scope to list packages."},
                    headers={"X-OAuth-Scopes": "read:packages"},
                    match=[responses.matchers.query_param_matcher({"package_type": "maven", "per_page": "100"})])
        else:
            listing(api, "/orgs/octo-org", package_type, [package("app", package_type)])

    exited = run_module({"owner": "octo-org"})

    assert not exited.failed
    assert sorted(p["package_type"] for p in exited.result["packages"]) == sorted(set(ALL_TYPES) - {"maven"})
    assert len(warnings) == 1 and "maven" in warnings[0] and "repo" in warnings[0]


def test_default_types_all_unreadable_fail_with_the_diagnosis(api: responses.RequestsMock) -> None:
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages", status=403, json={"message": "You need at least read:packages scope to list packages."},
            headers={"X-OAuth-Scopes": "repo"})

    exited = run_module({"owner": "octo-org"})

    assert exited.failed and "read:packages" in exited.result["missing_scopes"]


def test_sso_failure_carries_the_url(api: responses.RequestsMock) -> None:
    sso = "https://github.com/orgs/octo-org/sso?authorization_request=abc123"
    org_lookup(api)
    api.get(f"{API}/orgs/octo-org/packages", status=403, json={"message": "Resource protected by organization SAML enforcement."},
            headers={**SCOPES, "X-GitHub-SSO": f"required; url={sso}"})

    exited = run_module({"owner": "octo-org", "package_type": ["container"]})

    assert exited.failed and exited.result["sso_url"] == sso and sso in exited.result["msg"]
    assert TOKEN not in json.dumps(exited.result)


@pytest.mark.parametrize("args, words", [
    ({"name": [""]}, ["name", "empty"]),
    ({"name": ["  "]}, ["name", "blank"]),
    ({"name": ["app-[0-9"]}, ["name", "'['"]),
    ({"package_type": []}, ["package_type", "empty"]),
    ({"package_type": ["pypi"]}, ["package_type", "pypi"]),
    ({"version_state": "gone"}, ["version_state"]),
    ({"owner": "bad/owner"}, ["owner"]),
])
def test_bad_input_fails_naming_the_option_before_any_request(api: responses.RequestsMock, args: dict[str, t.Any], words: list[str]) -> None:
    exited = run_module({"owner": "octo-org", **args})

    assert exited.failed
    assert all(word in exited.result["msg"] for word in words), exited.result["msg"]
    assert len(api.calls) == 0


def test_listing_query_is_encoded_and_only_names_the_requested_visibility(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "npm", [package("a", "npm", visibility="internal")], visibility="internal")

    run_module({"owner": "octo-org", "package_type": ["npm"], "visibility": "internal"})

    query = parse_qs(urlsplit(api.calls[1].request.url).query)
    assert query == {"package_type": ["npm"], "per_page": ["100"], "visibility": ["internal"]}


@pytest.mark.parametrize("return_versions, returned", [("all", [12, 11, 10]), ("changed", []), ("none", None)])
def test_return_versions_bounds_the_versions_returned_not_their_count(api: responses.RequestsMock, return_versions: str,
                                                                      returned: list[int] | None) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "container", [package("team/app", "container")])
    base = f"{API}/orgs/octo-org/packages/container/team%2Fapp/versions"
    api.get(base, match=[responses.matchers.query_param_matcher({"state": "active", "per_page": "100"})], headers=SCOPES,
            json=[version(10, "sha256:old", "2024-01-01T00:00:00Z", ["v1"]), version(12, "sha256:new", "2024-03-01T00:00:00Z", ["v2"])])
    api.get(base, match=[responses.matchers.query_param_matcher({"state": "deleted", "per_page": "100"})], headers=SCOPES,
            json=[version(11, "sha256:mid", "2024-02-01T00:00:00Z", deleted="2024-04-01T00:00:00Z")])

    result = run_module({"owner": "octo-org", "package_type": ["container"], "include_versions": True, "version_state": "all",
                         "return_versions": return_versions}).result

    found = result["packages"][0]
    assert found["versions_listed"] == 3 and found["name"] == "team/app" and found["version_count"] == 3
    if returned is None:
        assert "versions" not in found
    else:
        assert [v["id"] for v in found["versions"]] == returned
    assert_read_only(api)


def test_regular_expressions_match_whole_names(api: responses.RequestsMock) -> None:
    org_lookup(api)
    listing(api, "/orgs/octo-org", "container", [package(n, "container") for n in ("app-web", "app-api", "app-2", "lib", "library")])

    exited = run_module({"owner": "octo-org", "package_type": ["container"], "name": ["re:app-[a-z]+", "re:lib", "re:nothing"]})

    assert [p["name"] for p in exited.result["packages"]] == ["app-api", "app-web", "lib"]
    assert exited.result["diagnostics"][0].startswith("name: the glob 're:nothing' matched none")


def test_a_bad_regular_expression_fails_before_any_request(api: responses.RequestsMock) -> None:
    exited = run_module({"owner": "octo-org", "package_type": ["container"], "name": ["re:app-[", "lib"]})

    assert exited.failed
    assert exited.result["msg"].startswith("name: 're:app-[' is not a valid regular expression: unterminated character set")
    assert len(api.calls) == 0
