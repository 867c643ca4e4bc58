"""Pick tokens, accounts and packages out of the emulator's seed by what they are, never by hard-coded value."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

READ, WRITE, DELETE = "read:packages", "write:packages", "delete:packages"
DOWNLOAD_LIMIT = 5000  # GitHub: public versions with more downloads cannot be deleted


class SeedError(AssertionError):
    """The seed lacks something a scenario needs: the message says what."""


def active(package: dict[str, Any]) -> list[dict[str, Any]]:
    return [v for v in package.get("versions", []) if not v.get("deleted_at")]


def popular(package: dict[str, Any], version: dict[str, Any] | None = None) -> bool:
    """True when GitHub refuses deletion for downloads (public and over 5,000)."""
    if package.get("visibility") != "public":
        return False
    versions = [version] if version else package.get("versions", [])
    return any(int(v.get("downloads", 0)) > DOWNLOAD_LIMIT for v in versions)


def deletable_version(package: dict[str, Any]) -> dict[str, Any] | None:
    """An active version whose deletion GitHub accepts without removing the whole package."""
    versions = active(package)
    if len(versions) < 2 or package.get("deleted_at"):
        return None
    for version in versions:
        if popular(package, version):
            continue
        if package["package_type"] == "container" and version.get("tags"):
            if not any(v.get("tags") for v in versions if v is not version):
                continue
        return version
    return None


class Seed:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.tokens: dict[str, dict[str, Any]] = data["tokens"]
        self.orgs: list[dict[str, Any]] = data["orgs"]
        self.users: list[dict[str, Any]] = data["users"]
        self.packages: list[dict[str, Any]] = data["packages"]

    def secrets(self) -> list[str]:
        return list(self.tokens)

    def org(self, login: str) -> dict[str, Any]:
        for org in self.orgs:
            if org["login"].lower() == login.lower():
                return org
        raise SeedError(f"seed has no org {login!r}")

    def sso_org(self) -> dict[str, Any]:
        for org in self.orgs:
            if org.get("sso"):
                return org
        raise SeedError("seed has no SSO org")

    def role(self, org: dict[str, Any], login: str) -> str | None:
        return {k.lower(): v for k, v in org.get("members", {}).items()}.get(login.lower())

    def token(self, what: str, *, has: Iterable[str] = (), lacks: Iterable[str] = (),
              where: Callable[[str, dict[str, Any]], bool] = lambda _t, _s: True) -> str:
        for value, spec in self.tokens.items():
            scopes = set(spec.get("scopes", []))
            if set(has) <= scopes and not scopes & set(lacks) and where(value, spec):
                return value
        raise SeedError(f"seed has no token that is {what}")

    def login_of(self, token: str) -> str:
        return str(self.tokens[token]["login"])

    def package(self, what: str, where: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        for package in self.packages:
            if where(package):
                return package
        raise SeedError(f"seed has no package that is {what}")

    def owned_by(self, login: str) -> Callable[[dict[str, Any]], bool]:
        return lambda p: p["owner"].lower() == login.lower() and not p.get("deleted_at")


def republish(emulator_url: str, owner: str, kind: str, name: str, version_name: str | None = None) -> None:
    """Push a version to package `name` through the emulator's control API (what a new `docker push` would do):
    a fresh one by default, or one reusing `version_name`."""
    from ghpkgs_emulator import Control  # pylint: disable=import-outside-toplevel

    if version_name:
        version: dict[str, Any] = {"name": version_name}
    elif kind == "container":
        version = {"name": "sha256:" + "f" * 64, "tags": ["fidelity"]}
    else:
        version = {"name": "9.9.9-fidelity"}
    Control(emulator_url).publish(owner, kind, name, version)
