"""Seed generator realism and determinism; the CLI and run-with-emulator contracts."""
from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import TOKEN

from ghpkgs_emulator.seedgen import PROFILES, generate
from ghpkgs_emulator.store import Store, manifest_bytes

EMULATOR_DIR = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(EMULATOR_DIR)}


def test_generation_is_deterministic():
    assert generate("demo", seed_value=3) == generate("demo", seed_value=3)
    assert generate("demo", seed_value=3) != generate("demo", seed_value=4)


def test_profile_sizes_and_overrides():
    assert PROFILES["org-scale"]["packages"] * PROFILES["org-scale"]["versions_per_package"] == 30_000
    assert PROFILES["huge"]["versions_per_package"] == 100_000
    scaled = generate("org-scale", packages=12, versions_per_package=7)
    assert len(scaled["packages"]) == 12 and all(len(p["versions"]) == 7 for p in scaled["packages"])
    demo = generate("demo")
    assert sum(len(p["versions"]) for p in demo["packages"]) > 3000
    assert {p["package_type"] for p in demo["packages"]} == {"container", "npm", "maven", "rubygems", "nuget", "docker"}


def test_container_graph_is_realistic_and_digests_are_real():
    seed = generate("demo")
    containers = [p for p in seed["packages"] if p["package_type"] == "container"]
    versions = [v for p in containers for v in p["versions"]]
    for version in versions:
        assert version["name"] == "sha256:" + hashlib.sha256(manifest_bytes(version["manifest"])).hexdigest()
    names = {v["name"] for v in versions}
    indexes = [v for v in versions if v["manifest"].get("manifests")]
    assert indexes and all(entry["digest"] in names for index in indexes for entry in index["manifest"]["manifests"])
    entries = [e for index in indexes for e in index["manifest"]["manifests"]]
    assert {e["platform"]["architecture"] for e in entries} >= {"amd64", "arm64", "unknown"}
    assert any(e.get("annotations", {}).get("vnd.docker.reference.type") == "attestation-manifest" for e in entries)
    tags = [t for v in versions for t in v["tags"]]
    assert any(t.endswith(".sig") and t.startswith("sha256-") for t in tags) and any(t.endswith(".att") for t in tags)
    assert any(t.startswith("pr-") for t in tags) and "latest" in tags
    assert any("subject" in v["manifest"] for v in versions)
    assert any(not v["tags"] and not v["manifest"].get("manifests") for v in versions)


def test_versions_have_prereleases_and_seed_features():
    seed = generate("small")
    names = {(p["package_type"], v["name"]) for p in seed["packages"] for v in p["versions"]}
    assert ("npm", "1.1.0-rc.1") in names and ("maven", "1.1.0-SNAPSHOT") in names
    assert any(v["downloads"] > 5000 for p in seed["packages"] if p["visibility"] == "public" for v in p["versions"])
    assert any(o["sso"] for o in seed["orgs"])
    scope_sets = {tuple(sorted(t["scopes"])) for t in seed["tokens"].values()}
    assert len(scope_sets) >= 5
    Store(seed)  # loads without errors


def test_huge_profile_shape_loads():
    seed = generate("huge", versions_per_package=3000)
    (package,) = seed["packages"]
    assert package["package_type"] == "container" and len(package["versions"]) == 3000
    assert len(Store(seed).packages) == 1


def test_cli_seed_and_serve_with_port_file_and_sigterm(tmp_path):
    seed_path = tmp_path / "seed.json"
    subprocess.run([sys.executable, "-m", "ghpkgs_emulator", "seed", "--profile", "small", "--out", str(seed_path)],
                   env=ENV, check=True, timeout=60)
    assert json.loads(seed_path.read_text())["tokens"]
    port_file = tmp_path / "port"
    server = subprocess.Popen([sys.executable, "-m", "ghpkgs_emulator", "serve", "--port", "0", "--port-file", str(port_file),
                               "--seed", str(seed_path)], env=ENV, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120  # only turns a server that never starts into a failure; a busy machine may be slow
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        port = int(port_file.read_text())
        response = requests.get(f"http://127.0.0.1:{port}/users/acme", headers={"Authorization": f"Bearer {TOKEN['full']}"}, timeout=10)
        assert response.json()["type"] == "Organization"
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=10) == 0


def test_cli_refuses_other_bind_address(tmp_path):
    seed_path = tmp_path / "seed.json"
    seed_path.write_text(json.dumps(generate("small")))
    result = subprocess.run([sys.executable, "-m", "ghpkgs_emulator", "serve", "--host", "0.0.0.0", "--seed", str(seed_path)],
                            env=ENV, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "127.0.0.1 only" in result.stderr


def test_run_with_emulator_writes_config_and_returns_command_status(tmp_path):
    config = tmp_path / "integration_config.yml"
    script = EMULATOR_DIR / "run-with-emulator"
    probe = ('import os, json, urllib.request; url = os.environ["EMULATOR_URL"]; '
             'print(json.load(urllib.request.urlopen(url + "/_emulator/state"))["now"]); raise SystemExit(7)')
    result = subprocess.run([str(script), "--seed-profile", "small", "--", sys.executable, "-c", probe],
                            env={**ENV, "GHPKGS_INTEGRATION_CONFIG": str(config), "EMULATOR_PYTHON": sys.executable},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 7, result.stderr
    assert result.stdout.strip() == "2026-01-15T12:00:00Z"
    text = config.read_text()
    for key in ("ghpkgs_api_url:", "ghpkgs_registry_url:", "ghpkgs_control_url:", "ghpkgs_tokens:", f'full: "{TOKEN["full"]}"'):
        assert key in text
    port = text.split("127.0.0.1:", 1)[1].split('"', 1)[0]
    try:
        requests.get(f"http://127.0.0.1:{port}/users/acme", timeout=2)
        raise AssertionError("emulator still running after run-with-emulator returned")
    except requests.ConnectionError:
        pass
