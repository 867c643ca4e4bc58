"""Control endpoints, fault injection, logs that never carry the token, bind restriction."""
from __future__ import annotations

import json
import urllib.error

import pytest
import requests
from conftest import TOKEN

from ghpkgs_emulator.server import EmulatorServer, EmulatorState


def test_log_records_requests_with_token_hash_only(api, emu):
    emu.control.clear_log()
    api.get("/orgs/acme/packages", params={"package_type": "npm"})
    api.get("/orgs/acme/packages/npm/web-ui", token=None)
    log = emu.control.log()
    assert [(e["method"], e["path"], e["status"]) for e in log] == [("GET", "/orgs/acme/packages", 200), ("GET", "/orgs/acme/packages/npm/web-ui", 401)]
    assert log[0]["query"] == "package_type=npm" and len(log[0]["token_sha256"]) == 12 and log[1]["token_sha256"] is None
    dumped = json.dumps(log) + json.dumps(emu.control.state())
    assert all(token not in dumped for token in TOKEN.values())
    emu.control.clear_log()
    assert emu.control.log() == []


def test_log_file_gets_json_lines(seed, tmp_path):
    from ghpkgs_emulator import Emulator
    path = tmp_path / "requests.jsonl"
    with Emulator(seed=seed, log_file=str(path)) as emu:
        requests.get(f"{emu.url}/users/acme", headers={"Authorization": f"Bearer {TOKEN['full']}"}, timeout=10)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert lines[0]["path"] == "/users/acme" and TOKEN["full"] not in path.read_text()


def test_reset_restores_seed_state(api, emu):
    assert api.delete("/orgs/acme/packages/npm/web-ui").status_code == 204
    emu.control.config(primary_limit=1)
    emu.control.reset()
    assert api.get("/orgs/acme/packages/npm/web-ui").status_code == 200
    assert api.get("/orgs/acme/packages/npm/web-ui").status_code == 200  # config back to defaults too


def test_clock_drives_timestamps(api, emu):
    assert emu.control.set_now("2026-02-01T00:00:00Z") == "2026-02-01T00:00:00Z"
    created = emu.control.publish("acme", "npm", "web-ui", {"name": "3.0.0"})
    newest = api.versions("/orgs/acme", "npm", "web-ui")[0]
    assert newest["id"] == created["id"] and newest["created_at"] == "2026-02-01T00:00:00Z"
    assert emu.control.advance(90) == "2026-02-01T00:01:30Z"
    assert api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{created['id']}").status_code == 204
    deleted = api.versions("/orgs/acme", "npm", "web-ui", state="deleted")
    assert next(v for v in deleted if v["id"] == created["id"])["deleted_at"] == "2026-02-01T00:01:30Z"


def test_publish_moves_container_tags_and_checks_digest(api, emu):
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + "1" * 64, "size": 1}, "layers": []}
    created = emu.control.publish("acme", "container", "app", {"tags": ["latest"], "manifest": manifest})
    versions = api.versions("/orgs/acme", "container", "app")
    assert versions[0]["id"] == created["id"] and versions[0]["metadata"]["container"]["tags"] == ["latest"]
    assert sum("latest" in v["metadata"]["container"]["tags"] for v in versions) == 1
    with pytest.raises(urllib.error.HTTPError):
        emu.control.publish("acme", "container", "app", {"name": "sha256:" + "0" * 64, "manifest": manifest})


def test_fail_every_n_and_drop_every_n(api, emu):
    emu.control.config(fail_every_n=2, fail_status=502)
    assert [api.get("/users/acme").status_code for _ in range(4)] == [200, 502, 200, 502]
    emu.control.config(fail_every_n=None, drop_every_n=1)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{emu.url}/users/acme", headers={"Authorization": f"Bearer {TOKEN['full']}"}, timeout=10)
    assert emu.control.log()[-1]["status"] == 0


def test_latency_spikes(api, emu):
    import time
    emu.control.config(latency_spike_every_n=2, latency_spike_ms=200)
    timings = []
    for _ in range(2):
        started = time.monotonic()
        api.get("/users/acme")
        timings.append(time.monotonic() - started)
    # Which request was slowed is in the log (how fast the other one was depends on the machine); a sleep is never short.
    assert [entry.get("fault") for entry in emu.control.log()] == [None, "latency_spike"]
    assert timings[1] >= 0.15


def test_unknown_config_key_is_rejected(emu):
    response = requests.post(f"{emu.url}/_emulator/config", json={"latency": 5}, timeout=10)
    assert response.status_code == 400 and "latency" in response.json()["error"]


def test_refuses_any_bind_address_but_loopback(seed):
    with pytest.raises(ValueError, match="127.0.0.1 only"):
        EmulatorServer(EmulatorState(seed), host="0.0.0.0")


def test_a_chunked_body_is_read_whole(emu):
    """Registry clients may stream a body with Transfer-Encoding: chunked (requests does for an iterator)."""
    response = requests.post(f"{emu.url}/_emulator/config", data=iter([b'{"latency_ms"', b': 3, "fail_status"', b": 503}"]), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["latency_ms"] == 3 and response.json()["fail_status"] == 503
