# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Client construction, URLs and encoding, pagination, redirects, error mapping, scopes, SSO, token hygiene."""

from __future__ import annotations

import http.server
import threading
import typing as t
from urllib.parse import unquote, urlsplit

import pytest
import requests
import responses
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.ghpkgs.registry.plugins.module_utils import _errors as errors
from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient, Owner, required_scopes
from ansible_collections.ghpkgs.registry.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR
from ansible_collections.ghpkgs.registry.tests.unit.plugins.module_utils.test_api_support import (
    GHES,
    GITHUB,
    TOKEN,
    FakeGitHub,
    FakeTime,
    fail,
    make_client,
    ok,
)

ORG = Owner("org", "acme")
PKG = "/orgs/acme/packages/container/app"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeGitHub(rsps)


@pytest.fixture
def ghes_server() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeGitHub(rsps, GHES)


@pytest.fixture
def client(fake_time: FakeTime) -> GitHubPackagesClient:
    return make_client(fake_time, max_retries=2)


def test_requests_is_available() -> None:
    assert HAS_REQUESTS is True
    assert REQUESTS_IMPORT_ERROR is None


# ---- construction -----------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.github.com", "http://ghe.example.com/api/v3", "http://10.0.0.1:8080", "http://127.example.com"])
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(errors.InsecureTransport) as info:
        GitHubPackagesClient(TOKEN, url)
    assert "https://" in str(info.value)
    assert TOKEN not in str(info.value)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.5.6.7", "http://localhost:3000/", "http://[::1]:9000", "https://ghe.example.com/api/v3"])
def test_plain_http_to_loopback_and_https_are_allowed(url: str) -> None:
    GitHubPackagesClient(TOKEN, url).close()


@pytest.mark.parametrize("url", ["ftp://x", "api.github.com", "https://api.github.com?x=1", ""])
def test_malformed_api_url_is_a_value_error(url: str) -> None:
    with pytest.raises(ValueError):
        GitHubPackagesClient(TOKEN, url)


@pytest.mark.parametrize("token", ["", "ghp_abc\r\nX-Evil: 1", "ghp abc"])
def test_bad_tokens_are_rejected_without_echoing_them(token: str) -> None:
    with pytest.raises(ValueError) as info:
        GitHubPackagesClient(token)
    assert not token or token not in str(info.value)


@pytest.mark.parametrize(("url", "ghes", "base"), [
    ("https://api.github.com", False, "https://api.github.com"),
    ("https://api.github.com/", False, "https://api.github.com"),
    ("https://ghe.example.com/api/v3/", True, "https://ghe.example.com/api/v3"),
    ("https://api.acme.ghe.com", False, "https://api.acme.ghe.com"),
    ("http://127.0.0.1:8080", False, "http://127.0.0.1:8080"),
    ("http://127.0.0.1:8080/api/v3", True, "http://127.0.0.1:8080/api/v3"),
])
def test_base_url_and_ghes_detection(url: str, ghes: bool, base: str) -> None:
    client = GitHubPackagesClient(TOKEN, url)
    assert (client.api_url, client.ghes) == (base, ghes)


def test_ghes_can_be_forced_for_an_emulator() -> None:
    assert GitHubPackagesClient(TOKEN, "http://127.0.0.1:1", ghes=False).ghes is False


def test_repr_omits_the_token(client: GitHubPackagesClient) -> None:
    assert TOKEN not in repr(client)
    assert TOKEN not in repr(vars(client))
    assert "api.github.com" in repr(client)


def test_every_request_carries_the_api_headers(server: FakeGitHub, fake_time: FakeTime) -> None:
    client = make_client(fake_time, user_agent="tester/1.0", timeout=12, validate_certs=False)
    server.on("GET", "/user", ok({"login": "me"}))
    assert client.get_authenticated_user() == {"login": "me"}
    request = server.calls[0]
    assert request.headers["Authorization"] == "Bearer " + TOKEN
    assert request.headers["Accept"] == "application/vnd.github+json"
    assert request.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert request.headers["User-Agent"] == "tester/1.0"
    assert request.req_kwargs["timeout"] == 12
    assert request.req_kwargs["verify"] is False
    assert client.request_count == 1


def test_netrc_credentials_never_replace_the_token(server: FakeGitHub, fake_time: FakeTime, tmp_path: t.Any, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine api.github.com login someone password other\n")
    monkeypatch.setenv("NETRC", str(netrc))
    server.on("GET", "/user", ok({}))
    make_client(fake_time).get_authenticated_user()
    assert server.calls[0].headers["Authorization"] == "Bearer " + TOKEN


# ---- owners -----------------------------------------------------------------------------------


def test_owner_prefixes_are_encoded() -> None:
    assert Owner("org", "acme").prefix == "/orgs/acme"
    assert Owner("user", "a/b").prefix == "/users/a%2Fb"
    assert Owner("user", "..").prefix == "/users/%2E%2E"
    assert Owner("authenticated", None).prefix == "/user"


@pytest.mark.parametrize(("kind", "login"), [("team", "x"), ("org", None), ("org", ""), ("authenticated", "x")])
def test_invalid_owners(kind: str, login: t.Optional[str]) -> None:
    with pytest.raises(ValueError):
        Owner(kind, login)


def test_resolve_owner_without_requests(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    assert client.resolve_owner(None) == Owner("authenticated", None)
    assert client.resolve_owner("acme", "org") == Owner("org", "acme")
    assert client.resolve_owner("bob", "user") == Owner("user", "bob")
    assert server.calls == []
    with pytest.raises(ValueError):
        client.resolve_owner("acme", "team")


def test_resolve_owner_auto_asks_once_per_login(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", "/users/acme", ok({"login": "acme", "type": "Organization"}))
    server.on("GET", "/users/bob", ok({"login": "bob", "type": "User"}))
    assert client.resolve_owner("acme") == Owner("org", "acme")
    assert client.resolve_owner("ACME") == Owner("org", "acme")
    assert client.resolve_owner("bob") == Owner("user", "bob")
    assert server.paths() == ["GET https://api.github.com/users/acme", "GET https://api.github.com/users/bob"]


# ---- URLs and encoding --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "encoded"), [
    ("app", "app"),
    ("team/app", "team%2Fapp"),
    ("..", "%2E%2E"),
    (".", "%2E"),
    ("a..b", "a..b"),
    ("%2e%2e", "%252e%252e"),
    ("what?x=1#frag", "what%3Fx%3D1%23frag"),
    ("with space", "with%20space"),
    ("ünïcødé", "%C3%BCn%C3%AFc%C3%B8d%C3%A9"),
])
def test_names_are_sent_as_one_opaque_segment(client: GitHubPackagesClient, server: FakeGitHub, name: str, encoded: str) -> None:
    path = "/orgs/acme/packages/container/%s/versions/7" % encoded
    server.on("GET", path, ok({"id": 7}))
    assert client.get_version(ORG, "container", name, 7) == {"id": 7}
    assert server.paths() == ["GET " + GITHUB + path]


def test_every_endpoint_uses_the_documented_method_and_path(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    user = Owner("user", "bob")
    me = Owner("authenticated", None)
    server.on("GET", "/orgs/acme/packages/npm/a%2Fb", ok({"id": 1}))
    server.on("DELETE", "/users/bob/packages/npm/a", ok(status=204))
    server.on("POST", "/user/packages/maven/a/restore", ok(status=204))
    server.on("POST", "/orgs/acme/packages/nuget/a/restore?token=t%2F1%26x", ok(status=204))
    server.on("DELETE", "/user/packages/rubygems/a/versions/3", ok(status=204))
    server.on("POST", "/users/bob/packages/docker/a/versions/3/restore", ok(status=204))
    server.on("GET", "/orgs/acme/docker/conflicts", ok([{"name": "x"}]))
    server.on("GET", "/rate_limit", ok({"resources": {}}))
    assert client.get_package(ORG, "npm", "a/b") == {"id": 1}
    assert client.delete_package(user, "npm", "a") is None
    assert client.restore_package(me, "maven", "a") is None
    assert client.restore_package(ORG, "nuget", "a", restore_token="t/1&x") is None
    assert client.delete_version(me, "rubygems", "a", 3) is None
    assert client.restore_version(user, "docker", "a", 3) is None
    assert client.list_docker_conflicts(ORG) == [{"name": "x"}]
    assert client.get_rate_limit() == {"resources": {}}
    assert [call.method for call in server.calls] == ["GET", "DELETE", "POST", "POST", "DELETE", "POST", "GET", "GET"]
    assert all(call.url.startswith(GITHUB + "/") for call in server.calls)


def test_ghes_paths_sit_under_api_v3(fake_time: FakeTime, ghes_server: FakeGitHub) -> None:
    client = make_client(fake_time, GHES + "/")
    ghes_server.on("GET", "/orgs/acme/packages/npm/a", ok({"id": 1}))
    assert client.get_package(ORG, "npm", "a") == {"id": 1}
    assert ghes_server.paths() == ["GET https://ghe.example.com/api/v3/orgs/acme/packages/npm/a"]


@pytest.mark.parametrize("call", [
    lambda c: c.get_package(ORG, "pypi", "a"),
    lambda c: c.list_packages(ORG, "Container"),
    lambda c: c.list_packages(ORG, "npm", visibility="secret"),
    lambda c: c.list_versions(ORG, "npm", "a", state="all"),
    lambda c: c.get_version(ORG, "npm", "a", 0),
    lambda c: c.delete_version(ORG, "npm", "a", -3),
    lambda c: c.delete_version(ORG, "npm", "a", "5"),
    lambda c: c.delete_version(ORG, "npm", "a", True),
    lambda c: c.restore_version(ORG, "npm", "a", 1.5),
    lambda c: c.get_package(ORG, "npm", ""),
    lambda c: c.get_package("acme", "npm", "a"),
    lambda c: c.restore_package(ORG, "npm", "a", restore_token=""),
])
def test_invalid_input_fails_before_any_request(client: GitHubPackagesClient, server: FakeGitHub, call: t.Callable[[GitHubPackagesClient], t.Any]) -> None:
    with pytest.raises(ValueError):
        call(client)
    assert client.request_count == 0


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(owner=st.text(min_size=1, max_size=20), name=st.text(min_size=1, max_size=40))
def test_no_input_can_change_the_endpoint(owner: str, name: str) -> None:
    client = GitHubPackagesClient(TOKEN)
    url = client._url(client._version_path(Owner("user", owner), "container", name, 42))  # pylint: disable=protected-access
    segments = urlsplit(url).path.split("/")
    assert segments[:2] == ["", "users"] and segments[3:6] == ["packages", "container", segments[5]] and segments[6:] == ["versions", "42"]
    assert unquote(segments[2]) == owner and unquote(segments[5]) == name
    assert not {".", ".."} & {segments[2], segments[5]}
    assert urlsplit(url).query == "" and urlsplit(url).fragment == ""


def test_dot_segments_reach_the_wire_encoded() -> None:
    """requests re-quotes URLs (%2E -> .); check on a real socket that the client sends exactly what it built."""
    seen: t.List[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: t.Any) -> None:
            pass

    httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        client = GitHubPackagesClient(TOKEN, "http://127.0.0.1:%d" % httpd.server_port)
        client.get_version(Owner("org", ".."), "npm", "..", 1)
        client.get_package(Owner("org", "o"), "npm", "a/../b")
        client.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert seen == ["/orgs/%2E%2E/packages/npm/%2E%2E/versions/1", "/orgs/o/packages/npm/a%2F..%2Fb"]


# ---- pagination ---------------------------------------------------------------------------------


def _page(ids: t.Iterable[int], next_url: t.Optional[str] = None) -> t.Tuple[int, t.Dict[str, str], t.Any]:
    headers = {}
    if next_url:
        headers["Link"] = '<%s>; rel="next", <%s/last>; rel="last"' % (next_url, GITHUB)
    return 200, headers, [{"id": i} for i in ids]


def test_versions_follow_next_links_as_given(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    base = "/orgs/acme/packages/container/team%2Fapp/versions"
    server.on("GET", base + "?state=deleted&per_page=100", _page(range(100), GITHUB + base + "?state=deleted&per_page=100&page=2&after=abc%3D"))
    server.on("GET", base + "?state=deleted&per_page=100&page=2&after=abc%3D", _page(range(100, 200), GITHUB + base + "?page=3&per_page=100"))
    server.on("GET", base + "?page=3&per_page=100", _page(range(200, 250)))
    versions = client.list_versions(ORG, "container", "team/app", state="deleted")
    assert [v["id"] for v in versions] == list(range(250))
    assert client.request_count == 3


def test_listing_is_lazy(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    first = "/orgs/acme/packages?package_type=npm&visibility=private&per_page=100"
    server.on("GET", first, _page(range(100), GITHUB + "/orgs/acme/packages?page=2"))
    packages = client.list_packages(ORG, "npm", visibility="private")
    assert client.request_count == 0
    assert next(packages) == {"id": 0}
    assert client.request_count == 1


def test_next_link_to_another_host_is_not_followed(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    first = "/user/packages?package_type=container&per_page=100"
    server.on("GET", first, _page([1, 2], "https://evil.example.com/user/packages?page=2"))
    listed = []
    with pytest.raises(errors.InsecureTransport) as info:
        for package in client.list_packages(Owner("authenticated", None), "container"):
            listed.append(package)
    assert listed == [{"id": 1}, {"id": 2}]
    assert "evil.example.com" in str(info.value)
    assert client.request_count == 1


def test_next_link_to_another_scheme_or_port_is_not_followed(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    first = "/user/packages?package_type=container&per_page=100"
    for bad in ("http://api.github.com/user/packages?page=2", "https://api.github.com:8443/user/packages?page=2"):
        server.on("GET", first, _page([1], bad))
        with pytest.raises(errors.InsecureTransport):
            list(client.list_packages(Owner("authenticated", None), "container"))


def test_a_non_list_page_is_an_error(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", "/orgs/acme/packages?package_type=npm&per_page=100", ok({"message": "surprise"}))
    with pytest.raises(errors.GitHubAPIError, match="expected a JSON array"):
        list(client.list_packages(ORG, "npm"))


# ---- redirects ----------------------------------------------------------------------------------


def test_redirect_to_another_host_drops_the_token(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok(None, 302, Location="https://elsewhere.example.com/pkg"))
    server.on("GET", "https://elsewhere.example.com/pkg", ok({"id": 1}))
    assert client.get_package(ORG, "container", "app") == {"id": 1}
    assert [call.url for call in server.calls] == [GITHUB + PKG, "https://elsewhere.example.com/pkg"]
    assert server.calls[0].headers["Authorization"] == "Bearer " + TOKEN
    assert "Authorization" not in server.calls[1].headers


def test_redirect_on_the_same_host_keeps_the_token(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok(None, 301, Location=GITHUB + "/orgs/acme/packages/container/renamed"))
    server.on("GET", "/orgs/acme/packages/container/renamed", ok({"id": 2}))
    assert client.get_package(ORG, "container", "app") == {"id": 2}
    assert server.calls[1].headers["Authorization"] == "Bearer " + TOKEN


# ---- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "cls"), [
    (400, errors.InvalidRequest),
    (401, errors.BadCredentials),
    (403, errors.Forbidden),
    (404, errors.NotFound),
    (409, errors.Conflict),
    (418, errors.GitHubAPIError),
    (422, errors.InvalidRequest),
])
def test_status_maps_to_a_typed_error(client: GitHubPackagesClient, server: FakeGitHub, status: int, cls: type) -> None:
    server.on("GET", PKG, fail(status, "Something GitHub said"))
    with pytest.raises(errors.GitHubAPIError) as info:
        client.get_package(ORG, "container", "app")
    error = info.value
    assert type(error) is cls  # pylint: disable=unidiomatic-typecheck
    assert (error.status, error.method, error.path, error.message) == (status, "GET", PKG, "Something GitHub said")
    assert str(error).startswith("GET %s: %d Something GitHub said" % (PKG, status))
    assert "\n" not in str(error)
    assert error.to_dict() == {
        "status": status, "msg": str(error), "documentation_url": "https://docs.github.com/rest/packages",
        "missing_scopes": [], "sso_url": None, "method": "GET", "path": PKG,
    }
    assert client.request_count == 1


def test_not_found_explains_the_possible_causes(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(404, "Not Found", X_OAuth_Scopes="read:packages"))
    with pytest.raises(errors.NotFound, match="private.*scope"):
        client.get_package(ORG, "container", "app")


def test_not_found_without_a_scopes_header_blames_no_scope(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(404, "Not Found"))
    with pytest.raises(errors.NotFound) as info:
        client.get_package(ORG, "container", "app")
    assert "scope" not in str(info.value) and "Manage Actions access names its repository" in str(info.value)
    assert info.value.missing_scopes == []


INTEGRATION = "Resource not accessible by integration"


@pytest.mark.parametrize(("method", "path", "call", "grant"), [
    ("GET", "/orgs/acme/packages?package_type=npm&per_page=100", lambda c: list(c.list_packages(ORG, "npm")),
     "cannot list an owner's packages (GitHub asks for packages=read): name the packages instead (exact names in name, packages or "
     "org_cleanup_include)"),
    ("GET", "/user", lambda c: c.get_authenticated_user(), "which is no user account: give owner and owner_type"),
    ("GET", PKG, lambda c: c.get_package(ORG, "container", "app"), "Manage Actions access, add the workflow's repository, and give "
     "the workflow permissions: packages: read"),
    ("DELETE", PKG + "/versions/1", lambda c: c.delete_version(ORG, "container", "app", 1), "(GitHub asks for packages=write): in the "
     "package's settings, Manage Actions access, give the workflow's repository the Admin role, and give the workflow permissions: "
     "packages: write"),
])
def test_a_workflow_token_refused_is_told_what_to_grant_and_never_blamed_on_scopes(
        client: GitHubPackagesClient, server: FakeGitHub, method: str, path: str, call: t.Callable[[GitHubPackagesClient], t.Any],
        grant: str) -> None:
    accepted = {"X_Accepted_GitHub_Permissions": "packages=write" if method == "DELETE" else "packages=read"}
    server.on(method, path, fail(403, INTEGRATION, **(accepted if "packages" in path else {})))
    with pytest.raises(errors.Forbidden) as info:
        call(client)
    assert grant in str(info.value)
    assert "GITHUB_TOKEN" in str(info.value) and info.value.missing_scopes == [] and "scope" not in str(info.value)


@pytest.mark.parametrize("message", [
    "You cannot delete the last tagged version of a package. You must delete the package instead.",
    "Publicly visible package versions with more than 5000 downloads cannot be deleted. Contact GitHub support for further assistance.",
])
def test_deletion_rules_keep_githubs_message_verbatim(client: GitHubPackagesClient, server: FakeGitHub, message: str) -> None:
    server.on("DELETE", PKG + "/versions/9", fail(400, message))
    with pytest.raises(errors.InvalidRequest) as info:
        client.delete_version(ORG, "container", "app", 9)
    assert info.value.message == message
    assert message in str(info.value)


def test_validation_errors_list_their_details(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, (422, {}, {"message": "Validation Failed", "errors": [{"resource": "Package", "field": "name", "code": "invalid"}, "oops"]}))
    with pytest.raises(errors.InvalidRequest, match=r"Validation Failed \(Package name invalid; oops\)"):
        client.get_package(ORG, "container", "app")


def test_non_json_error_bodies_use_the_reason(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, (409, {}, None))
    with pytest.raises(errors.Conflict, match="409 Conflict"):
        client.get_package(ORG, "container", "app")


def test_invalid_json_on_success_is_an_error(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok("x"))
    server.calls.clear()
    with responses.RequestsMock() as rsps:
        rsps.add("GET", GITHUB + PKG, body="{not json", status=200)
        with pytest.raises(errors.GitHubAPIError, match="not valid JSON"):
            client.get_package(ORG, "container", "app")


def test_restore_conflict(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("POST", PKG + "/versions/5/restore", fail(409, "An active package already exists with given name."))
    with pytest.raises(errors.Conflict, match="already exists"):
        client.restore_version(ORG, "container", "app", 5)


# ---- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("operation", "package_type", "ghes", "expected"), [
    ("read", "container", False, ["read:packages"]),
    ("delete", "container", False, ["read:packages", "delete:packages"]),
    ("restore", "container", False, ["read:packages", "write:packages"]),
    ("read", "maven", False, ["read:packages", "repo"]),
    ("read", "npm", False, ["read:packages"]),
    ("delete", "rubygems", False, ["read:packages", "delete:packages"]),
    ("read", "nuget", False, ["read:packages"]),
    ("read", "container", True, ["read:packages"]),
    ("delete", "npm", True, ["read:packages", "delete:packages", "repo"]),
    ("restore", "rubygems", True, ["read:packages", "write:packages", "repo"]),
    ("read", "nuget", True, ["read:packages", "repo"]),
    ("read", "docker", True, ["read:packages", "repo"]),
    ("read", "maven", True, ["read:packages", "repo"]),
    ("read", None, False, ["read:packages"]),
])
def test_required_scopes(operation: str, package_type: t.Optional[str], ghes: bool, expected: t.List[str]) -> None:
    assert required_scopes(operation, package_type, ghes) == expected


def test_required_scopes_rejects_unknown_operations() -> None:
    with pytest.raises(ValueError):
        required_scopes("write", "npm", False)


def _call(client: GitHubPackagesClient, operation: str, package_type: str) -> None:
    if operation == "read":
        client.get_package(ORG, package_type, "app")
    elif operation == "delete":
        client.delete_version(ORG, package_type, "app", 1)
    else:
        client.restore_version(ORG, package_type, "app", 1)


_ROUTE = {"read": ("GET", ""), "delete": ("DELETE", "/versions/1"), "restore": ("POST", "/versions/1/restore")}


@pytest.mark.parametrize(("operation", "package_type", "status", "scopes", "missing"), [
    ("delete", "container", 403, "read:packages", ["delete:packages"]),
    ("delete", "container", 404, "delete:packages", ["read:packages"]),
    ("delete", "container", 404, "repo, gist", ["read:packages", "delete:packages"]),
    ("restore", "container", 403, "read:packages, delete:packages", ["write:packages"]),
    ("read", "maven", 404, "read:packages, write:packages", ["repo"]),
    ("read", "npm", 404, "", ["read:packages"]),
])
def test_missing_scopes_are_named_exactly(client: GitHubPackagesClient, server: FakeGitHub, operation: str, package_type: str, status: int,
                                          scopes: str, missing: t.List[str]) -> None:
    method, suffix = _ROUTE[operation]
    answer = fail(status, "Not Found", X_OAuth_Scopes=scopes, X_Accepted_OAuth_Scopes="read:packages")
    server.on(method, "/orgs/acme/packages/%s/app%s" % (package_type, suffix), answer)
    with pytest.raises(errors.MissingScopes) as info:
        _call(client, operation, package_type)
    error = info.value
    assert error.missing_scopes == missing
    assert error.to_dict()["missing_scopes"] == missing
    assert "token lacks scopes: %s " % ", ".join(missing) in str(error)
    assert "https://github.com/settings/tokens" in str(error)
    assert error.status == status


@pytest.mark.parametrize(("operation", "package_type", "scopes", "cls"), [
    ("restore", "container", "write:packages", errors.Forbidden),  # write implies read
    ("delete", "container", "read:packages, delete:packages", errors.Forbidden),
    ("read", "npm", "read:packages", errors.Forbidden),  # npm on github.com needs no repo scope
    ("read", "maven", "read:packages, repo", errors.Forbidden),
    ("read", "container", None, errors.Forbidden),  # no header (fine-grained or GITHUB_TOKEN): no diagnosis
])
def test_enough_scopes_leave_a_plain_forbidden(client: GitHubPackagesClient, server: FakeGitHub, operation: str, package_type: str,
                                               scopes: t.Optional[str], cls: type) -> None:
    method, suffix = _ROUTE[operation]
    headers = {} if scopes is None else {"X_OAuth_Scopes": scopes}
    server.on(method, "/orgs/acme/packages/%s/app%s" % (package_type, suffix), fail(403, "Must have admin rights to Repository.", **headers))
    with pytest.raises(errors.GitHubAPIError) as info:
        _call(client, operation, package_type)
    assert type(info.value) is cls  # pylint: disable=unidiomatic-typecheck
    assert info.value.missing_scopes == []


@pytest.mark.parametrize(("package_type", "cls"), [("npm", errors.MissingScopes), ("container", errors.NotFound)])
def test_ghes_needs_repo_for_repository_scoped_registries(fake_time: FakeTime, ghes_server: FakeGitHub, package_type: str, cls: type) -> None:
    client = make_client(fake_time, GHES)
    ghes_server.on("GET", "/orgs/acme/packages/%s/app" % package_type, fail(404, "Not Found", X_OAuth_Scopes="read:packages, delete:packages"))
    with pytest.raises(errors.GitHubAPIError) as info:
        client.get_package(ORG, package_type, "app")
    assert type(info.value) is cls  # pylint: disable=unidiomatic-typecheck
    if cls is errors.MissingScopes:
        assert info.value.missing_scopes == ["repo"]
        assert "https://ghe.example.com/settings/tokens" in str(info.value)


# ---- SAML SSO -----------------------------------------------------------------------------------

SSO_URL = "https://github.com/orgs/acme/sso?authorization_request=AbC123"


@pytest.mark.parametrize("status", [403, 404])
def test_sso_required(client: GitHubPackagesClient, server: FakeGitHub, status: int) -> None:
    server.on("GET", PKG, fail(status, "Resource protected by organization SAML enforcement.", X_GitHub_SSO="required; url=" + SSO_URL,
                               X_OAuth_Scopes="repo"))
    with pytest.raises(errors.SSORequired) as info:
        client.get_package(ORG, "container", "app")
    assert info.value.sso_url == SSO_URL
    assert info.value.to_dict()["sso_url"] == SSO_URL
    assert "authorize the token for the organization's SAML SSO at " + SSO_URL in str(info.value)
    assert client.request_count == 1


def test_sso_partial_results_is_not_an_error(client: GitHubPackagesClient, server: FakeGitHub) -> None:
    server.on("GET", "/user/packages?package_type=npm&per_page=100", _page([1]))
    server.routes[("GET", "/user/packages?package_type=npm&per_page=100")][0][1]["X-GitHub-SSO"] = "partial-results; organizations=21955855,20582480"
    assert list(client.list_packages(Owner("authenticated", None), "npm")) == [{"id": 1}]


# ---- token hygiene ------------------------------------------------------------------------------


def _assert_clean(error: BaseException, *secrets: str) -> None:
    texts = [str(error), repr(error), repr(getattr(error, "to_dict", dict)()), repr(error.args), repr(vars(error))]
    for secret in (TOKEN,) + secrets:
        for text in texts:
            assert secret not in text


@pytest.mark.parametrize("answer", [
    fail(401, "Bad credentials"),
    fail(403, "Forbidden", X_OAuth_Scopes="read:packages"),
    fail(404, "Not Found " + TOKEN),
    fail(409, "conflict"),
    fail(500, "boom"),
    fail(403, "SSO", X_GitHub_SSO="required; url=" + SSO_URL),
    fail(403, "secondary rate limit for " + TOKEN),
    fail(429, "API rate limit exceeded " + TOKEN, x_ratelimit_remaining="0", x_ratelimit_reset="9999999999"),
    requests.exceptions.ConnectionError("could not reach https://api.github.com/?token=" + TOKEN),
])
def test_the_token_never_appears_in_errors(client: GitHubPackagesClient, server: FakeGitHub, answer: t.Any) -> None:
    server.on("POST", "/orgs/acme/packages/container/app/restore?token=rt-SECRET%2Fvalue", answer)
    with pytest.raises(errors.GitHubAPIError) as info:
        client.restore_package(ORG, "container", "app", restore_token="rt-SECRET/value")
    _assert_clean(info.value, "rt-SECRET/value", "rt-SECRET%2Fvalue")
    assert info.value.path == "/orgs/acme/packages/container/app/restore?token=***"
    assert TOKEN not in server.calls[0].url


def test_errors_raised_before_sending_are_clean(fake_time: FakeTime) -> None:
    with pytest.raises(errors.InsecureTransport) as info:
        GitHubPackagesClient(TOKEN, "http://example.com")
    _assert_clean(info.value)
