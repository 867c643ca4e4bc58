"""GitHub's deletion and restore rules."""
from __future__ import annotations

from conftest import version_named

APP = "/orgs/acme/packages/container/app"


def test_delete_answers_204_with_empty_body(api):
    response = api.delete("/orgs/acme/packages/npm/web-ui/versions/" + str(api.versions("/orgs/acme", "npm", "web-ui")[-1]["id"]))
    assert response.status_code == 204 and response.content == b""


def test_public_version_over_5000_downloads_cannot_be_deleted(api, seed):
    popular = version_named(seed, "acme", "container", "public-app", lambda v: v["downloads"] > 5000)
    quiet = version_named(seed, "acme", "container", "public-app", lambda v: v["downloads"] < 5000 and v["tags"])
    response = api.delete(f"/orgs/acme/packages/container/public-app/versions/{popular['id']}")
    assert response.status_code == 400
    assert response.json()["message"] == ("Publicly visible package versions with more than 5000 downloads cannot be deleted. "
                                          "Contact GitHub support for further assistance.")
    assert api.delete(f"/orgs/acme/packages/container/public-app/versions/{quiet['id']}").status_code == 204
    assert api.delete("/orgs/acme/packages/container/public-app").status_code == 400


def test_container_last_tagged_version(api, seed):
    untagged = version_named(seed, "acme", "container", "lonely", lambda v: not v["tags"])
    tagged = version_named(seed, "acme", "container", "lonely", lambda v: v["tags"])
    response = api.delete(f"/orgs/acme/packages/container/lonely/versions/{tagged['id']}")
    assert response.status_code == 400
    assert response.json()["message"] == "You cannot delete the last tagged version of a package. You must delete the package instead."
    assert api.delete(f"/orgs/acme/packages/container/lonely/versions/{untagged['id']}").status_code == 204
    assert api.delete("/orgs/acme/packages/container/lonely").status_code == 204


def test_maven_last_version(api, seed):
    only = version_named(seed, "acme", "maven", "com.acme.solo", lambda v: True)
    response = api.delete(f"/orgs/acme/packages/maven/com.acme.solo/versions/{only['id']}")
    assert response.status_code == 400
    assert response.json()["message"] == "You cannot delete the last version of a package. You must delete the package instead."


def test_npm_last_version_deletes_package_and_restore_brings_both_back(api, seed):
    only = version_named(seed, "acme", "npm", "single", lambda v: True)
    assert api.delete(f"/orgs/acme/packages/npm/single/versions/{only['id']}").status_code == 204
    assert api.get("/orgs/acme/packages/npm/single").status_code == 404
    assert api.post("/orgs/acme/packages/npm/single/restore").status_code == 204
    assert api.get("/orgs/acme/packages/npm/single").json()["version_count"] == 1


def index_and_children(seed, tag):
    index = version_named(seed, "acme", "container", "app", lambda v: tag in v["tags"])
    children = [m["digest"] for m in index["manifest"]["manifests"]]
    return index, children


def test_deleting_index_deletes_its_untagged_children(api, seed, emu):
    index, children = index_and_children(seed, "v1.0.0")
    child_ids = [version_named(seed, "acme", "container", "app", lambda v, d=d: v["name"] == d)["id"] for d in children]
    before = len(api.versions("/orgs/acme", "container", "app"))
    assert api.delete(f"{APP}/versions/{index['id']}").status_code == 204
    after = api.versions("/orgs/acme", "container", "app")
    assert len(after) == before - 1 - len(children)
    assert not {v["name"] for v in after} & set(children)
    assert api.delete(f"{APP}/versions/{child_ids[0]}").status_code == 404
    assert api.post(f"{APP}/versions/{index['id']}/restore").status_code == 204
    assert len(api.versions("/orgs/acme", "container", "app")) == before


def test_child_shared_with_another_tagged_index_survives(api, seed, emu):
    index, children = index_and_children(seed, "v1.0.0")
    other = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": children[0], "size": 1}]}
    emu.control.publish("acme", "container", "app", {"tags": ["shared"], "manifest": other})
    assert api.delete(f"{APP}/versions/{index['id']}").status_code == 204
    names = {v["name"] for v in api.versions("/orgs/acme", "container", "app")}
    assert children[0] in names and children[1] not in names


def test_version_restore_window_is_30_days(api, seed, emu):
    deleted = {v["name"]: v["id"] for v in api.versions("/orgs/acme", "npm", "web-ui", state="deleted")}
    assert api.post(f"/orgs/acme/packages/npm/web-ui/versions/{deleted['0.8.0']}/restore").status_code == 404  # 45 days ago
    emu.control.advance(29 * 86400)  # 0.9.0 was deleted 2 days before the seed's "now"
    assert api.post(f"/orgs/acme/packages/npm/web-ui/versions/{deleted['0.9.0']}/restore").status_code == 404


def test_version_restore_within_window(api):
    deleted = {v["name"]: v["id"] for v in api.versions("/orgs/acme", "npm", "web-ui", state="deleted")}
    response = api.post(f"/orgs/acme/packages/npm/web-ui/versions/{deleted['0.9.0']}/restore")
    assert response.status_code == 204 and response.content == b""
    assert "0.9.0" in {v["name"] for v in api.versions("/orgs/acme", "npm", "web-ui")}
    assert api.post(f"/orgs/acme/packages/npm/web-ui/versions/{deleted['0.9.0']}/restore").status_code == 404


def test_version_restore_conflicts_when_name_republished(api, emu):
    deleted = {v["name"]: v["id"] for v in api.versions("/orgs/acme", "npm", "web-ui", state="deleted")}
    emu.control.publish("acme", "npm", "web-ui", {"name": "0.9.0"})
    assert api.post(f"/orgs/acme/packages/npm/web-ui/versions/{deleted['0.9.0']}/restore").status_code == 409


def test_deleted_version_of_deleted_package_cannot_be_restored(api):
    versions = api.versions("/orgs/acme", "npm", "web-ui")
    assert api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{versions[0]['id']}").status_code == 204
    assert api.delete("/orgs/acme/packages/npm/web-ui").status_code == 204
    assert api.post(f"/orgs/acme/packages/npm/web-ui/versions/{versions[0]['id']}/restore").status_code == 404


def test_package_restore_window_and_name_reuse(api, emu):
    assert api.post("/orgs/acme/packages/npm/ancient/restore").status_code == 404  # deleted 40 days ago
    # An active name answers 409 only when a deleted package waits behind it (package_restore tells the two apart by it).
    assert api.post("/orgs/acme/packages/npm/web-ui/restore").status_code == 404
    emu.control.publish("acme", "npm", "retired", {"name": "9.0.0"})
    new_id = api.get("/orgs/acme/packages/npm/retired").json()["id"]
    response = api.post("/orgs/acme/packages/npm/retired/restore")
    assert response.status_code == 409 and response.json()["message"] == "An active package already exists with given name."
    assert api.get("/orgs/acme/packages/npm/retired").json()["id"] == new_id


def test_package_restore_after_delete(api, emu):
    assert api.delete("/orgs/acme/packages/npm/web-ui").status_code == 204
    assert api.get("/orgs/acme/packages/npm/web-ui").status_code == 404
    emu.control.advance(31 * 86400)
    assert api.post("/orgs/acme/packages/npm/web-ui/restore").status_code == 404


def test_restore_token_picks_among_same_named_packages(api, emu):
    state = emu.control.state()
    twins = sorted((p for p in state["packages"] if p["name"] == "twice"), key=lambda p: p["deleted_at"])
    assert len(twins) == 2
    older = twins[0]
    assert api.post("/orgs/acme/packages/npm/twice/restore", params={"token": "nope"}).status_code == 404
    assert api.post("/orgs/acme/packages/npm/twice/restore", params={"token": older["restore_token"]}).status_code == 204
    assert api.get("/orgs/acme/packages/npm/twice").json()["id"] == older["id"]
    assert api.post("/orgs/acme/packages/npm/twice/restore").status_code == 409


def test_restore_without_token_takes_most_recent(api, emu):
    newest = max((p for p in emu.control.state()["packages"] if p["name"] == "twice"), key=lambda p: p["deleted_at"])
    assert api.post("/user/packages/npm/twice/restore").status_code == 404  # alice's own namespace has none
    assert api.post("/orgs/acme/packages/npm/twice/restore").status_code == 204
    assert api.get("/orgs/acme/packages/npm/twice").json()["id"] == newest["id"]
