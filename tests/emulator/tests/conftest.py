from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from ghpkgs_emulator import Emulator
from ghpkgs_emulator.seedgen import TOKENS, generate

TOKEN = {spec["name"]: value for value, spec in TOKENS.items()}
SMALL = generate("small")


class Api:
    """Tiny test client: api.get("/orgs/acme/packages", token="read_only", params=...)."""

    def __init__(self, emu: Emulator) -> None:
        self.emu = emu
        self.session = requests.Session()

    def call(self, method: str, path: str, token: str | None = "full", raw_token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        value = raw_token if raw_token is not None else (TOKEN[token] if token else None)
        if value:
            headers.setdefault("Authorization", f"Bearer {value}")
        headers.setdefault("Accept", "application/vnd.github+json")
        return self.session.request(method, self.emu.url + path, headers=headers, timeout=10, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("GET", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("DELETE", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.call("POST", path, **kwargs)

    def versions(self, owner_path: str, ptype: str, name: str, state: str = "active") -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        url: str | None = f"{self.emu.url}{owner_path}/packages/{ptype}/{requests.utils.quote(name, safe='')}/versions?per_page=100&state={state}"
        while url:
            response = self.session.get(url, headers={"Authorization": f"Bearer {TOKEN['full']}"}, timeout=10)
            assert response.status_code == 200, response.text
            found += response.json()
            url = response.links.get("next", {}).get("url")
        return found


@pytest.fixture()
def seed() -> dict[str, Any]:
    return copy.deepcopy(SMALL)


@pytest.fixture()
def emu(seed: dict[str, Any]):
    with Emulator(seed=seed) as running:
        yield running


@pytest.fixture()
def api(emu: Emulator) -> Api:
    return Api(emu)


def version_named(seed: dict[str, Any], owner: str, ptype: str, package: str, predicate) -> dict[str, Any]:
    for raw in seed["packages"]:
        if raw["owner"] == owner and raw["package_type"] == ptype and raw["name"] == package and not raw.get("deleted_at"):
            for version in raw["versions"]:
                if predicate(version):
                    return version
    raise LookupError(f"no matching version in {owner}/{ptype}/{package}")
