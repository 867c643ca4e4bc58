"""Contract test: every Packages operation, through Prism, against GitHub's own OpenAPI description.

Each exchange must come back with the status the scenario expects and with no violation Prism reports
(request or response, error or warning). A status the operation does not document is accepted only when
it is a known gap of GitHub's description (SPEC_GAPS, each backed by the reference), and then its body
must still match the description's `basic-error` schema.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import requests

import _openapi
import _prism
from _seed import DELETE, READ, WRITE, Seed, active, deletable_version, popular, republish

# (method, path relative to the owner or absolute, status): answers GitHub really gives that its
# description does not list (see /work/shared/reference/github-packages-api.md, "Deletion and restore rules").
SPEC_GAPS = {
    ("get", "/packages/{package_type}/{package_name}", 404): "a missing or invisible package answers 404",
    ("delete", "/packages/{package_type}/{package_name}/versions/{package_version_id}", 400):
        "last (tagged) version and 5,000-download rules answer 400",
    ("delete", "/packages/{package_type}/{package_name}", 400): "5,000-download rule answers 400",
    ("post", "/packages/{package_type}/{package_name}/restore", 409): "namespace reused: restore answers 409",
    ("post", "/packages/{package_type}/{package_name}/versions/{package_version_id}/restore", 409):
        "version name reused: restore answers 409",
}
UNDOCUMENTED_STATUS = "Unable to match the returned status code with those defined in the document"
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset", "X-RateLimit-Resource")
HEADERS = {"Accept": "application/vnd.github+json", "User-Agent": "ghpkgs-registry-fidelity",
           "X-GitHub-Api-Version": "2022-11-28"}


def owner_relative(template: str) -> str:
    for owner in _openapi.OWNERS:
        if template.startswith(owner + "/"):
            return template[len(owner):]
    return template


@dataclass
class Reply:
    status: int
    headers: Any
    body: Any


@dataclass
class ContractClient:
    """Sends requests through Prism, records coverage, and collects every problem instead of stopping at the first."""

    prism_url: str
    spec: dict[str, Any]
    secrets: list[str]
    flavor: str
    covered: set[tuple[str, str]] = field(default_factory=set)
    gaps_used: set[tuple[str, str, int]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.trust_env = False  # never a proxy from the environment: traffic stays on 127.0.0.1
        self.checker = _openapi.SchemaChecker(self.spec)

    def check(self, ok: bool, message: str) -> bool:
        if not ok:
            self.problems.append(self.redact(f"[{self.flavor}] {message}"))
        return ok

    def call(self, method: str, template: str, token: str | None, expect: int,
             query: dict[str, Any] | None = None, raw_path: str | None = None, **params: Any) -> Reply:
        path = raw_path or template.format(**{k: quote(str(v), safe="") for k, v in params.items()})
        headers = dict(HEADERS)
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.session.request(method.upper(), self.prism_url + path, params=query, headers=headers, timeout=30)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        reply = Reply(response.status_code, response.headers, body)
        sent = urlsplit(response.request.url)
        where = f"{method.upper()} {sent.path}{'?' + sent.query if sent.query else ''}"
        self.covered.add((method, template))
        found = _prism.violations(response.headers, body)
        documented = _openapi.documented_statuses(self.spec, method, template)
        gap = (method, owner_relative(template), reply.status)
        if reply.status not in documented and gap in SPEC_GAPS:
            self.gaps_used.add(gap)
            # The only thing Prism may say is that the status is undocumented; the body must still be a GitHub error.
            found = [v for v in found if not (v.get("severity") == "Warning" and UNDOCUMENTED_STATUS in v.get("message", ""))]
            for error in self.checker.errors("basic-error", body):
                self.check(False, f"{where} -> {reply.status}: body violates basic-error: {error}")
            self.check(isinstance(body, dict) and bool(body.get("message")), f"{where} -> {reply.status}: error body has no message")
        if not _prism.prism_answered(body):
            # Headers GitHub sends on every REST answer (reference: "Rate limits"; "Authentication and scopes").
            # GHES ships with rate limiting off, and then sends no X-RateLimit-* headers.
            missing = [h for h in RATE_HEADERS if h not in reply.headers] if self.flavor == "dotcom" else []
            if token is not None and reply.status != 401 and "X-OAuth-Scopes" not in reply.headers:
                missing.append("X-OAuth-Scopes")
            self.check(not missing, f"{where} -> {reply.status}: missing headers {missing}")
        for violation in found:
            self.check(False, f"{where} -> {reply.status}: Prism: {_prism.describe(violation)}")
        self.check(reply.status == expect, f"{where}: expected {expect}, got {reply.status}: {str(body)[:300]}")
        return reply

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def next_link(headers: Any) -> str | None:
    for part in headers.get("Link", "").split(","):
        match = re.match(r'\s*<([^>]+)>\s*;\s*rel="next"', part)
        if match:
            return match[1]
    return None


def owner_flow(client: ContractClient, seed: Seed, owner: str, login: str, token: str, package: dict[str, Any]) -> None:
    """All 9 operations of one owner kind, on one package that allows version deletion."""
    kind, name = package["package_type"], package["name"]
    base = {"org": login} if owner == "/orgs/{org}" else {"username": login} if owner == "/users/{username}" else {}
    pkg = owner + "/packages/{package_type}/{package_name}"
    reply = client.call("get", owner + "/packages", token, 200, query={"package_type": kind, "per_page": 100}, **base)
    if isinstance(reply.body, list):
        client.check(any(p.get("name") == name for p in reply.body), f"{owner} list lacks {kind}/{name}")
    reply = client.call("get", pkg, token, 200, package_type=kind, package_name=name, **base)
    if isinstance(reply.body, dict):
        client.check(reply.body.get("version_count") == len(active(package)),
                     f"{pkg} {name}: version_count {reply.body.get('version_count')} != {len(active(package))} active in seed")

    # Pagination: one version per page must announce the next page in Link, and following it must work.
    versions = pkg + "/versions"
    reply = client.call("get", versions, token, 200, query={"per_page": 1}, package_type=kind, package_name=name, **base)
    link = next_link(reply.headers)
    if client.check(link is not None, f"{versions} per_page=1 of {len(active(package))} versions: no Link rel=next"):
        target = urlsplit(link)
        prefix = urlsplit(client.prism_url).path  # Link points at the emulator; replay its path through Prism
        client.check(target.query != "" and "page=2" in target.query, f"Link next {link} does not ask for page 2")
        upstream_path = target.path
        ghes = client.flavor == "ghes"
        if client.check(not ghes or upstream_path.startswith("/api/v3/"), f"GHES Link next {link} lacks /api/v3"):
            path = upstream_path[len("/api/v3"):] if ghes else upstream_path
            client.call("get", versions, token, 200, raw_path=prefix + path + "?" + target.query)

    version = deletable_version(package)
    assert version is not None
    vid = version["id"]
    one = versions + "/{package_version_id}"
    client.call("get", one, token, 200, package_type=kind, package_name=name, package_version_id=vid, **base)
    client.call("delete", one, token, 204, package_type=kind, package_name=name, package_version_id=vid, **base)
    reply = client.call("get", versions, token, 200, query={"state": "deleted", "per_page": 100},
                        package_type=kind, package_name=name, **base)
    if isinstance(reply.body, list):
        listed = [v for v in reply.body if v.get("id") == vid]
        client.check(bool(listed) and bool(listed[0].get("deleted_at")), f"state=deleted listing of {name} lacks {vid} with deleted_at")
    client.call("post", one + "/restore", token, 204, package_type=kind, package_name=name, package_version_id=vid, **base)
    reply = client.call("get", versions, token, 200, query={"per_page": 100}, package_type=kind, package_name=name, **base)
    if isinstance(reply.body, list):
        client.check(any(v.get("id") == vid for v in reply.body), f"restored version {vid} not active again")

    client.call("delete", pkg, token, 204, package_type=kind, package_name=name, **base)
    client.call("get", pkg, token, 404, package_type=kind, package_name=name, **base)
    client.call("post", pkg + "/restore", token, 204, package_type=kind, package_name=name, **base)
    client.call("get", pkg, token, 200, package_type=kind, package_name=name, **base)
    reply = client.call("get", owner + "/docker/conflicts", token, 200, **base)
    expected = {p["name"] for p in seed.packages if seed.owned_by(login)(p) and p.get("docker_conflict")}
    if isinstance(reply.body, list):
        client.check({p.get("name") for p in reply.body} == expected, f"{owner} docker conflicts {reply.body!r:.200} != seed {expected}")


def user_deletable(seed: Seed, login: str) -> list[dict[str, Any]]:
    if any(o["login"].lower() == login.lower() for o in seed.orgs):
        return []
    return [p for p in seed.packages if seed.owned_by(login)(p) and deletable_version(p) and not popular(p)]


def run_scenario(client: ContractClient, seed: Seed, upstream: str, control_url: str) -> None:
    full = set((READ, WRITE, DELETE))
    org = seed.org("acme")
    admin = seed.token("full-scope and admin of acme", has=full,
                       where=lambda _t, s: seed.role(org, s["login"]) == "admin")
    # The user owning the most deletable packages, so /users/{username} and /user can use different ones.
    owners = sorted({s["login"] for s in seed.tokens.values()}, key=lambda login: -len(user_deletable(seed, login)))
    user_token = seed.token("full-scope and owner of user packages", has=full, where=lambda _t, s: s["login"] == owners[0])
    user = seed.login_of(user_token)
    user_packages = user_deletable(seed, user)
    org_package = seed.package("an acme package allowing version deletion",
                               lambda p: seed.owned_by(org["login"])(p) and bool(deletable_version(p)) and not popular(p))
    assert user_packages, f"seed: {user} owns no package allowing version deletion"

    # Accounts and rate limit.
    reply = client.call("get", "/users/{username}", user_token, 200, username=org["login"])
    client.check(isinstance(reply.body, dict) and reply.body.get("type") == "Organization", f"/users/{org['login']} type is not Organization")
    reply = client.call("get", "/users/{username}", user_token, 200, username=user)
    client.check(isinstance(reply.body, dict) and reply.body.get("type") == "User", f"/users/{user} type is not User")
    reply = client.call("get", "/user", user_token, 200)
    client.check(isinstance(reply.body, dict) and reply.body.get("login") == user, "/user does not answer the token's login")
    client.call("get", "/rate_limit", user_token, 200)
    # Both are public on GitHub: owner-kind detection and budget checks work without a token.
    client.call("get", "/users/{username}", None, 200, username=org["login"])
    client.call("get", "/rate_limit", None, 200)

    # The three owner kinds; the same user's packages serve /users/{username} and /user (a second package if any).
    owner_flow(client, seed, "/orgs/{org}", org["login"], admin, org_package)
    owner_flow(client, seed, "/users/{username}", user, user_token, user_packages[0])
    owner_flow(client, seed, "/user", user, user_token, user_packages[-1])

    # A container name with "/" travels URL-encoded as %2F in one path segment.
    slashed = seed.package("a container whose name contains '/'", lambda p: seed.owned_by(org["login"])(p) and "/" in p["name"])
    reply = client.call("get", "/orgs/{org}/packages/{package_type}/{package_name}", admin, 200,
                        org=org["login"], package_type=slashed["package_type"], package_name=slashed["name"])
    client.check(isinstance(reply.body, dict) and reply.body.get("name") == slashed["name"], f"{slashed['name']}: wrong package answered")
    client.call("get", "/orgs/{org}/packages/{package_type}/{package_name}/versions", admin, 200,
                org=org["login"], package_type=slashed["package_type"], package_name=slashed["name"])

    error_classes(client, seed, org, admin, upstream, control_url)


def error_classes(client: ContractClient, seed: Seed, org: dict[str, Any], admin: str, upstream: str, control_url: str) -> None:
    owner = "/orgs/{org}"
    pkg = owner + "/packages/{package_type}/{package_name}"
    one = pkg + "/versions/{package_version_id}"
    target = seed.package("an acme package allowing version deletion",
                          lambda p: seed.owned_by(org["login"])(p) and bool(deletable_version(p)) and not popular(p))
    version = deletable_version(target)
    assert version is not None
    ids = {"org": org["login"], "package_type": target["package_type"], "package_name": target["name"]}

    # 401: a token GitHub does not know.
    reply = client.call("get", owner + "/packages", "ghp_" + "0" * 36, 401, query={"package_type": target["package_type"]}, org=org["login"])
    client.check(isinstance(reply.body, dict) and reply.body.get("message") == "Bad credentials", "401 message is not 'Bad credentials'")
    client.call("get", "/user", "ghp_" + "0" * 36, 401)

    # 403: each missing scope, with the headers that tell which scope is missing.
    org_member = lambda _t, s: seed.role(org, s["login"]) == "admin"  # noqa: E731
    read_only = seed.token("read-only", has=[READ], lacks=[WRITE, DELETE], where=org_member)
    no_delete = seed.token("missing delete:packages", has=[WRITE], lacks=[DELETE], where=org_member)
    no_write = seed.token("missing write:packages", has=[READ, DELETE], lacks=[WRITE], where=org_member)
    for token, method, path, extra in ((read_only, "delete", one, {}), (no_delete, "delete", one, {}),
                                      (no_write, "post", one + "/restore", {})):
        reply = client.call(method, path, token, 403, package_version_id=version["id"], **ids, **extra)
        client.check("X-Accepted-OAuth-Scopes" in reply.headers and "X-OAuth-Scopes" in reply.headers,
                     f"403 {method.upper()} {path} lacks X-OAuth-Scopes / X-Accepted-OAuth-Scopes")

    # 403 SSO: a member's token not authorized for the SSO org.
    sso = seed.sso_org()
    unauthorized = seed.token(f"a {sso['login']} member not SSO-authorized", has=[READ],
                              where=lambda _t, s: seed.role(sso, s["login"]) is not None
                              and sso["login"].lower() not in {o.lower() for o in s.get("sso_authorized", [])})
    reply = client.call("get", owner + "/packages", unauthorized, 403, query={"package_type": target["package_type"]}, org=sso["login"])
    client.check(reply.headers.get("X-GitHub-SSO", "").startswith("required; url="), "SSO 403 lacks X-GitHub-SSO: required; url=...")

    # 404s: unknown package, unknown version.
    client.call("get", pkg + "/versions", admin, 404, **dict(ids, package_name="no-such-package-fidelity"))
    client.call("get", pkg, admin, 404, **dict(ids, package_name="no-such-package-fidelity"))
    client.call("delete", one, admin, 404, package_version_id=2_000_000_000, **ids)

    # 400: last-version rule, 5,000-download rule, listing past 10,000 results, missing package_type.
    last = seed.package("a container with one tagged version or a maven package with one version", lambda p: seed.owned_by(org["login"])(p) and not popular(p)
                        and ((p["package_type"] == "maven" and len(active(p)) == 1)
                             or (p["package_type"] == "container" and sum(1 for v in active(p) if v.get("tags")) == 1)))
    last_version = next(v for v in active(last) if last["package_type"] == "maven" or v.get("tags"))
    reply = client.call("delete", one, admin, 400, org=org["login"], package_type=last["package_type"], package_name=last["name"],
                        package_version_id=last_version["id"])
    client.check("last" in str(reply.body).lower(), f"last-version 400 does not say so: {reply.body}")
    hot = seed.package("a public acme package with a version over 5,000 downloads",
                       lambda p: seed.owned_by(org["login"])(p) and popular(p))
    hot_version = next(v for v in active(hot) if popular(hot, v))
    reply = client.call("delete", one, admin, 400, org=org["login"], package_type=hot["package_type"], package_name=hot["name"],
                        package_version_id=hot_version["id"])
    client.check("5000 downloads" in str(reply.body), f"download-rule 400 does not say so: {reply.body}")
    client.call("delete", pkg, admin, 400, org=org["login"], package_type=hot["package_type"], package_name=hot["name"])
    client.call("get", owner + "/packages", admin, 400, query={"package_type": target["package_type"], "per_page": 100, "page": 101},
                org=org["login"])
    missing_package_type(client, org["login"], admin, upstream)

    # 409: restoring a version whose name was pushed again, then a package whose name was taken again.
    client.call("delete", one, admin, 204, package_version_id=version["id"], **ids)
    republish(control_url, org["login"], target["package_type"], target["name"], version["name"])
    client.call("post", one + "/restore", admin, 409, package_version_id=version["id"], **ids)

    client.call("delete", pkg, admin, 204, **ids)
    republish(control_url, org["login"], target["package_type"], target["name"])
    client.call("post", pkg + "/restore", admin, 409, **ids)


def missing_package_type(client: ContractClient, org: str, token: str, upstream: str) -> None:
    """GitHub's description marks package_type required: Prism must refuse the request (422) without forwarding it,
    so the emulator's own answer is checked directly: 400, a status the operation documents."""
    template = "/orgs/{org}/packages"
    reply = requests.get(client.prism_url + template.format(org=quote(org, safe="")), headers=dict(HEADERS, Authorization=f"Bearer {token}"),
                         timeout=30)
    client.check(reply.status_code == 422 and "package_type" in reply.text,
                 f"Prism did not flag a missing package_type as invalid: {reply.status_code}")
    session = requests.Session()
    session.trust_env = False
    direct = session.get(upstream + template.format(org=quote(org, safe="")), headers=dict(HEADERS, Authorization=f"Bearer {token}"), timeout=30)
    documented = _openapi.documented_statuses(client.spec, "get", template)
    client.check(direct.status_code == 400, f"missing package_type: emulator answered {direct.status_code}, GitHub answers 400")
    client.check(direct.status_code in documented, f"missing package_type: {direct.status_code} not in documented {sorted(documented)}")


@pytest.mark.parametrize("flavor", ["dotcom", "ghes"])
def test_every_operation_matches_githubs_description(flavor: str, contract_targets: dict[str, Any], seed: Seed) -> None:
    target = contract_targets[flavor]
    client = ContractClient(target.prism.url, target.spec, seed.secrets(), flavor)
    run_scenario(client, seed, target.upstream, target.emu.url)
    missing = sorted(set(_openapi.exercised_operations()) - client.covered)
    client.check(not missing, f"operations never exercised: {missing}")
    from ghpkgs_emulator import Control  # pylint: disable=import-outside-toplevel

    # Prism really forwarded to the emulator, under the flavour's prefix (/api/v3 for GHES).
    paths = [entry["path"] for entry in Control(target.emu.url).log()]
    client.check(len(paths) >= len(client.covered), f"emulator saw {len(paths)} requests for {len(client.covered)} operations")
    stray = [p for p in paths if not p.startswith(target.prefix + "/") or p.startswith(target.prefix + "/_emulator")]
    client.check(not stray or all(p.startswith("/_emulator") for p in stray), f"requests outside {target.prefix or '/'}: {stray[:5]}")
    if client.problems:
        pytest.fail(f"{len(client.problems)} fidelity problems:\n" + "\n".join(client.problems), pytrace=False)
    assert client.gaps_used == set(SPEC_GAPS), f"SPEC_GAPS entries never exercised: {set(SPEC_GAPS) - client.gaps_used}"
    for method, path, status in client.gaps_used:
        for owner in _openapi.OWNERS:
            full = path if path.startswith(owner) else owner + path
            if full in target.spec["paths"]:
                assert status not in _openapi.documented_statuses(target.spec, method, full), \
                    f"SPEC_GAPS entry {method} {path} {status} is documented now: remove it"
