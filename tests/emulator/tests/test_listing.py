"""Pagination, ordering, filters and listing errors."""
from __future__ import annotations

from ghpkgs_emulator import Emulator


def many_versions_seed(seed, count):
    seed["packages"].append({"owner": "acme", "package_type": "npm", "name": "many", "visibility": "private",
                             "created_at": "2025-01-01T00:00:00Z",
                             "versions": [{"id": 500000 + i, "name": f"1.0.{i}", "created_at": f"2025-06-{1 + i % 28:02d}T00:00:00Z"}
                                          for i in range(count)]})
    return seed


def test_default_and_clamped_per_page_with_link_header(seed):
    with Emulator(seed=many_versions_seed(seed, 250)) as emu:
        import requests
        from conftest import TOKEN
        auth = {"Authorization": f"token {TOKEN['full']}"}
        base = f"{emu.url}/orgs/acme/packages/npm/many/versions"
        first = requests.get(base, headers=auth, timeout=10)
        assert len(first.json()) == 30
        assert first.links["next"]["url"] == f"{base}?page=2"
        assert first.links["last"]["url"] == f"{base}?page=9"
        assert "prev" not in first.links
        clamped = requests.get(base, params={"per_page": 500, "state": "active", "page": 2}, headers=auth, timeout=10)
        assert len(clamped.json()) == 100
        links = clamped.links
        assert links["next"]["url"] == f"{base}?per_page=500&state=active&page=3"
        assert links["prev"]["url"].endswith("page=1") and links["first"]["url"].endswith("page=1")
        last = requests.get(clamped.links["last"]["url"], headers=auth, timeout=10)
        assert len(last.json()) == 50 and "next" not in last.links
        beyond = requests.get(base, params={"page": 99}, headers=auth, timeout=10)
        assert beyond.status_code == 200 and beyond.json() == []


def test_versions_newest_first_by_created_at_then_id(api, seed):
    versions = api.versions("/orgs/acme", "container", "app")
    keys = [(v["created_at"], v["id"]) for v in versions]
    assert keys == sorted(keys, reverse=True)
    assert any(a[0] == b[0] for a, b in zip(keys, keys[1:])), "seed should contain same-second versions (ties broken by id)"


def test_package_type_is_required(api):
    response = api.get("/orgs/acme/packages")
    assert response.status_code == 400 and "package_type" in response.json()["message"]
    assert api.get("/orgs/acme/packages", params={"package_type": "pypi"}).status_code == 400


def test_package_listing_beyond_10000_results_is_rejected(api):
    response = api.get("/orgs/acme/packages", params={"package_type": "npm", "per_page": 100, "page": 101})
    assert response.status_code == 400
    assert api.get("/orgs/acme/packages", params={"package_type": "npm", "per_page": 100, "page": 100}).status_code == 200


def test_visibility_filter(api):
    names = lambda vis: {p["name"] for p in api.get("/orgs/acme/packages", params={"package_type": "container", "visibility": vis}).json()}  # noqa: E731
    assert names("public") == {"public-app"}
    assert "app" in names("private") and "public-app" not in names("private")


def test_user_listings(api):
    mine = api.get("/user/packages", params={"package_type": "container"}).json()
    assert [p["name"] for p in mine] == ["alice-tool"]
    octo = api.get("/users/octocat/packages", params={"package_type": "container"}).json()
    assert [p["name"] for p in octo] == ["hello"]
    assert api.get("/users/octocat/packages", params={"package_type": "npm"}).json() == []  # private, not ours
    own = api.get("/user/packages", params={"package_type": "npm"}, token="octocat").json()
    assert [p["name"] for p in own] == ["octo-lib"]


def test_deleted_package_is_not_listed_or_found(api):
    assert api.get("/orgs/acme/packages/npm/retired").status_code == 404
    listed = {p["name"] for p in api.get("/orgs/acme/packages", params={"package_type": "npm", "per_page": 100}).json()}
    assert "retired" not in listed and "web-ui" in listed


def test_hundred_thousand_versions_page_fast(seed):
    import threading

    import requests
    from conftest import TOKEN
    with Emulator(seed=many_versions_seed(seed, 100_000)) as emu:
        auth = {"Authorization": f"Bearer {TOKEN['full']}"}
        base = f"{emu.url}/orgs/acme/packages/npm/many/versions"
        # Fast means a request's work does not grow with the package: the Python lines the emulator runs for it (each
        # request gets a new server thread, which threading.settrace traces), not seconds, which depend on the machine.
        lines = [0]

        def count(frame, event, arg):
            lines[0] += 1
            return count

        work = []
        threading.settrace(count)
        try:
            for page in (1, 500, 999, 1000):
                before = lines[0]
                response = requests.get(base, params={"per_page": 100, "page": page}, headers=auth, timeout=10)
                work.append(lines[0] - before)
                assert len(response.json()) == 100
            victim = response.json()[-1]["id"]
            before = lines[0]
            assert requests.delete(f"{base}/{victim}", headers=auth, timeout=10).status_code == 204
            work.append(lines[0] - before)
        finally:
            threading.settrace(None)
        assert requests.get(base, params={"per_page": 100, "page": 1000}, headers=auth, timeout=10).json()[-1]["id"] != victim
        # About 9,000 lines for a page of 100 and 2,000 for a deletion; walking the 100,000 versions would take far more.
        assert max(work) < 20_000, work
