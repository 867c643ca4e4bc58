"""Independent client: githubkit (its pydantic models are generated from GitHub's description) against the emulator.

Every success is read through `parsed_data`, so pydantic validates each answer; every error must raise
githubkit's plain RequestFailed (not a rate-limit subclass) with GitHub's status.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from githubkit import GitHub, TokenAuthStrategy
from githubkit.exception import RequestFailed

from _seed import DELETE, READ, WRITE, Seed, active, deletable_version, popular, republish

FULL = (READ, WRITE, DELETE)


@pytest.fixture(params=["", "/api/v3"], ids=["dotcom", "ghes"])
def client(request: pytest.FixtureRequest, emulator: Any) -> Iterator[Callable[[str], GitHub[Any]]]:
    """client(token) -> a githubkit GitHub talking only to the emulator (no cache, no retry, no env proxy)."""
    made: list[GitHub[Any]] = []  # githubkit's namespaces hold only a weak reference to their client

    def make(token: str) -> GitHub[Any]:
        gh: GitHub[Any] = GitHub(TokenAuthStrategy(token), base_url=emulator.url.rstrip("/") + request.param + "/",
                                 http_cache=False, auto_retry=False, trust_env=False, timeout=30)
        made.append(gh)
        return gh

    yield make


def acme_setup(seed: Seed) -> tuple[dict[str, Any], str]:
    org = seed.org("acme")
    admin = seed.token("full-scope admin of acme", has=FULL, where=lambda _t, s: seed.role(org, s["login"]) == "admin")
    return org, admin


def deletable(seed: Seed, login: str) -> list[dict[str, Any]]:
    return [p for p in seed.packages if seed.owned_by(login)(p) and deletable_version(p) and not popular(p)]


def failure(call: Callable[[], Any], status: int) -> RequestFailed:
    with pytest.raises(RequestFailed) as caught:
        call()
    assert type(caught.value) is RequestFailed, f"githubkit read the {status} as {type(caught.value).__name__}"
    assert caught.value.response.status_code == status
    return caught.value


def test_accounts_and_rate_limit_parse(client: Callable[[str], GitHub[Any]], seed: Seed) -> None:
    org, admin = acme_setup(seed)
    gh = client(admin)
    login = seed.login_of(admin)
    assert gh.rest.users.get_by_username(org["login"]).parsed_data.type == "Organization"
    assert gh.rest.users.get_by_username(login).parsed_data.type == "User"
    assert gh.rest.users.get_authenticated().parsed_data.login == login
    limits = gh.rest.rate_limit.get().parsed_data
    assert limits.resources.core.limit >= limits.resources.core.remaining >= 0


def test_org_lifecycle(client: Callable[[str], GitHub[Any]], seed: Seed) -> None:
    org, admin = acme_setup(seed)
    package = deletable(seed, org["login"])[0]
    kind, name, login = package["package_type"], package["name"], org["login"]
    gh = client(admin)
    api = gh.rest.packages

    listed = api.list_packages_for_organization(login, package_type=kind, per_page=100).parsed_data
    assert name in {p.name for p in listed}
    got = api.get_package_for_organization(kind, name, login).parsed_data
    assert (got.name, got.package_type, got.version_count) == (name, kind, len(active(package)))

    # Pagination through Link: one per page must yield exactly the single-page listing.
    every = api.get_all_package_versions_for_package_owned_by_org(kind, name, login, per_page=100).parsed_data
    paged = list(gh.rest.paginate(api.get_all_package_versions_for_package_owned_by_org,
                                  package_type=kind, package_name=name, org=login, per_page=1))
    assert [v.id for v in paged] == [v.id for v in every]
    assert len(every) == len(active(package))

    version = deletable_version(package)
    assert version is not None
    vid = version["id"]
    assert api.get_package_version_for_organization(kind, name, login, vid).parsed_data.id == vid
    assert api.delete_package_version_for_org(kind, name, login, vid).status_code == 204
    deleted = api.get_all_package_versions_for_package_owned_by_org(kind, name, login, state="deleted", per_page=100).parsed_data
    assert any(v.id == vid and v.deleted_at for v in deleted)
    assert api.restore_package_version_for_org(kind, name, login, vid).status_code == 204
    assert vid in {v.id for v in api.get_all_package_versions_for_package_owned_by_org(kind, name, login, per_page=100).parsed_data}

    assert api.delete_package_for_org(kind, name, login).status_code == 204
    failure(lambda: api.get_package_for_organization(kind, name, login), 404)
    assert api.restore_package_for_org(kind, name, login).status_code == 204
    assert api.get_package_for_organization(kind, name, login).parsed_data.name == name
    conflicts = api.list_docker_migration_conflicting_packages_for_organization(login).parsed_data
    expected = {p["name"] for p in seed.packages if seed.owned_by(login)(p) and p.get("docker_conflict")}
    assert {p.name for p in conflicts} == expected
    assert all(p.package_type == "docker" for p in conflicts)

    # githubkit puts path parameters in as given: a "/" in a container name must be passed as %2F.
    slashed = seed.package("an acme container with '/' in its name", lambda p: seed.owned_by(login)(p) and "/" in p["name"])
    got = api.get_package_for_organization(slashed["package_type"], quote(slashed["name"], safe=""), login).parsed_data
    assert got.name == slashed["name"]


def test_user_and_authenticated_user_lifecycle(client: Callable[[str], GitHub[Any]], seed: Seed) -> None:
    owners = sorted({s["login"] for s in seed.tokens.values()}, key=lambda login: -len(deletable(seed, login)))
    token = seed.token("full-scope owner of user packages", has=FULL, where=lambda _t, s: s["login"] == owners[0])
    login = seed.login_of(token)
    gh = client(token)
    api = gh.rest.packages
    packages = deletable(seed, login)
    first, last = packages[0], packages[-1]

    # /users/{username}
    kind, name = first["package_type"], first["name"]
    assert name in {p.name for p in api.list_packages_for_user(login, package_type=kind, per_page=100).parsed_data}
    assert api.get_package_for_user(kind, name, login).parsed_data.name == name
    versions = api.get_all_package_versions_for_package_owned_by_user(kind, name, login).parsed_data
    assert {v.id for v in versions} == {v["id"] for v in active(first)}
    vid = deletable_version(first)["id"]  # type: ignore[index]
    assert api.get_package_version_for_user(kind, name, package_version_id=vid, username=login).parsed_data.id == vid
    assert api.delete_package_version_for_user(kind, name, login, vid).status_code == 204
    assert api.restore_package_version_for_user(kind, name, login, vid).status_code == 204
    assert api.delete_package_for_user(kind, name, login).status_code == 204
    assert api.restore_package_for_user(kind, name, login).status_code == 204
    api.list_docker_migration_conflicting_packages_for_user(login).parsed_data  # pylint: disable=expression-not-assigned

    # /user
    kind, name = last["package_type"], last["name"]
    assert name in {p.name for p in api.list_packages_for_authenticated_user(package_type=kind, per_page=100).parsed_data}
    assert api.get_package_for_authenticated_user(kind, name).parsed_data.name == name
    listed = api.get_all_package_versions_for_package_owned_by_authenticated_user(kind, name, per_page=100).parsed_data
    assert {v.id for v in listed} == {v["id"] for v in active(last)}
    vid = deletable_version(last)["id"]  # type: ignore[index]
    assert api.get_package_version_for_authenticated_user(kind, name, vid).parsed_data.id == vid
    assert api.delete_package_version_for_authenticated_user(kind, name, vid).status_code == 204
    deleted = api.get_all_package_versions_for_package_owned_by_authenticated_user(kind, name, state="deleted").parsed_data
    assert vid in {v.id for v in deleted}
    assert api.restore_package_version_for_authenticated_user(kind, name, vid).status_code == 204
    assert api.delete_package_for_authenticated_user(kind, name).status_code == 204
    assert api.restore_package_for_authenticated_user(kind, name).status_code == 204
    api.list_docker_migration_conflicting_packages_for_authenticated_user().parsed_data  # pylint: disable=expression-not-assigned


def test_errors_raise_request_failed(client: Callable[[str], GitHub[Any]], seed: Seed, emulator: Any) -> None:
    org, admin = acme_setup(seed)
    login = org["login"]
    package = deletable(seed, login)[0]
    kind, name = package["package_type"], package["name"]
    vid = deletable_version(package)["id"]  # type: ignore[index]

    error = failure(lambda: client("ghp_" + "0" * 36).rest.packages.list_packages_for_organization(login, package_type=kind), 401)
    assert error.response.parsed_data.message == "Bad credentials"

    def member(s: dict[str, Any]) -> bool:
        return seed.role(org, s["login"]) == "admin"

    read_only = seed.token("read-only", has=[READ], lacks=[WRITE, DELETE], where=lambda _t, s: member(s))
    no_write = seed.token("missing write:packages", has=[READ, DELETE], lacks=[WRITE], where=lambda _t, s: member(s))
    failure(lambda: client(read_only).rest.packages.delete_package_version_for_org(kind, name, login, vid), 403)
    failure(lambda: client(no_write).rest.packages.restore_package_version_for_org(kind, name, login, vid), 403)

    sso = seed.sso_org()
    outsider = seed.token(f"{sso['login']} member not SSO-authorized", has=[READ],
                          where=lambda _t, s: seed.role(sso, s["login"]) is not None
                          and sso["login"].lower() not in {o.lower() for o in s.get("sso_authorized", [])})
    error = failure(lambda: client(outsider).rest.packages.list_packages_for_organization(sso["login"], package_type=kind), 403)
    assert error.response.headers.get("X-GitHub-SSO", "").startswith("required; url=")

    api = client(admin).rest.packages
    failure(lambda: api.get_package_for_organization(kind, "no-such-package-fidelity", login), 404)
    failure(lambda: api.get_all_package_versions_for_package_owned_by_org(kind, "no-such-package-fidelity", login), 404)

    hot = seed.package("a public acme package over 5,000 downloads", lambda p: seed.owned_by(login)(p) and popular(p))
    hot_version = next(v for v in active(hot) if popular(hot, v))
    error = failure(lambda: api.delete_package_version_for_org(hot["package_type"], hot["name"], login, hot_version["id"]), 400)
    assert "5000 downloads" in error.response.json()["message"]

    # 409: the name is taken again after deletion, so the deleted package cannot come back.
    assert api.delete_package_for_org(kind, name, login).status_code == 204
    republish(emulator.url, login, kind, name)
    failure(lambda: api.restore_package_for_org(kind, name, login), 409)
