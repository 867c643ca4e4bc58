"""Transport: validate_certs against a self-signed loopback TLS server, redirects to another host never carry the token,
plain http:// to a non-loopback host refused before any connection."""
from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import FIGURES, SECRET, Emulator, leaks, module_result
from ghpkgs_emulator.server import EmulatorServer

ARGS = {"owner": "acme", "owner_type": "org", "package_type": ["npm"], "timeout": 5, "max_retries": 1}


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ghpkgs reliability test")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory, shared_emulator: Emulator) -> Iterator[tuple[str, Path]]:
    """The shared emulator's state served over TLS with a self-signed certificate on 127.0.0.1."""
    cert, key = self_signed(tmp_path_factory.mktemp("tls"))
    server = EmulatorServer(shared_emulator.state)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{server.server_address[1]}", cert
    server.shutdown()
    server.server_close()


def test_validate_certs_is_honoured(ansible: Any, emu: Emulator, tls: tuple[str, Path]) -> None:
    url, cert = tls
    env = {"GITHUB_TOKEN": SECRET}
    refused = ansible.module("package_info", {**ARGS, "api_url": url}, env=env)
    assert refused.rc != 0 and not leaks(refused.output)
    result = module_result(refused)
    assert "TLS verification failed" in result["msg"] and "validate_certs" in result["msg"], result["msg"]
    assert emu.control.log() == [], "no HTTP request may be sent over an unverified connection"

    trusted = ansible.module("package_info", {**ARGS, "api_url": url}, env={**env, "REQUESTS_CA_BUNDLE": str(cert)})
    assert trusted.rc == 0, trusted.output
    unverified = ansible.module("package_info", {**ARGS, "api_url": url, "validate_certs": False}, env=env)
    assert unverified.rc == 0, unverified.output
    names = {p["name"] for p in module_result(unverified)["packages"]}
    assert {"web-ui", "single"} <= names
    assert len(emu.control.log()) == 2 and not leaks(trusted.output + unverified.output)
    FIGURES.add("transport checks", 3)


class Recorder(BaseHTTPRequestHandler):
    """Records every request (method, path, headers) and answers; the redirecting one sends everything elsewhere."""

    protocol_version = "HTTP/1.1"
    seen: list[dict[str, Any]]
    location: str | None = None
    redirect_status = 302

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.seen.append({"method": self.command, "path": self.path, "headers": dict(self.headers.items())})
        if self.location:
            self.send_response(self.redirect_status)
            self.send_header("Location", self.location + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_DELETE = do_POST = _handle


def serve(host: str, location: str | None, status: int = 302) -> tuple[ThreadingHTTPServer, list[dict[str, Any]]]:
    seen: list[dict[str, Any]] = []
    handler = type("Handler", (Recorder,), {"seen": seen, "location": location, "redirect_status": status})
    server = ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, seen


@pytest.fixture()
def redirect_pair() -> Iterator[Any]:
    servers = []

    def make(status: int) -> tuple[str, list[dict[str, Any]], list[dict[str, Any]]]:
        target, target_seen = serve("127.0.0.2", None)
        origin, origin_seen = serve("127.0.0.1", f"http://127.0.0.2:{target.server_address[1]}", status)
        servers.extend([target, origin])
        return f"http://127.0.0.1:{origin.server_address[1]}", origin_seen, target_seen

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def carries_secret(requests_seen: list[dict[str, Any]]) -> bool:
    return any(leaks(json.dumps(entry)) for entry in requests_seen)


def test_redirect_to_another_host_never_carries_the_token(ansible: Any, redirect_pair: Any) -> None:
    url, origin_seen, target_seen = redirect_pair(302)
    run = ansible.module("package_info", {**ARGS, "api_url": url}, env={"GITHUB_TOKEN": SECRET})
    assert run.rc != 0 and not leaks(run.output)
    assert origin_seen and origin_seen[0]["headers"].get("Authorization") == f"Bearer {SECRET}"
    assert target_seen, "the redirect was followed (so the check below means something)"
    assert not carries_secret(target_seen)
    assert all("Authorization" not in entry["headers"] for entry in target_seen)
    FIGURES.add("transport checks")


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_client_redirects_of_every_kind_drop_the_token(collections_path: Path, redirect_pair: Any, status: int) -> None:
    sys.path.insert(0, str(collections_path))
    from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient, Owner
    from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import GitHubAPIError

    url, origin_seen, target_seen = redirect_pair(status)
    client = GitHubPackagesClient(SECRET, url, max_retries=0, points_per_minute=0, sleep=lambda s: None)
    for call in (lambda: list(client.list_versions(Owner("org", "acme"), "npm", "web-ui")),
                 lambda: client.delete_version(Owner("org", "acme"), "npm", "web-ui", 7),
                 lambda: client.restore_package(Owner("org", "acme"), "npm", "web-ui", restore_token="restore-secret")):
        with pytest.raises(GitHubAPIError) as raised:
            call()
        assert not leaks(str(raised.value) + repr(raised.value) + json.dumps(raised.value.to_dict()))
    client.close()
    assert len(origin_seen) == 3 and len(target_seen) == 3
    assert not carries_secret(target_seen)
    assert all("Authorization" not in entry["headers"] for entry in target_seen)
    FIGURES.add("transport checks")


@pytest.mark.parametrize("api_url", ["http://192.0.2.10", "http://api.github.com", "http://127.0.0.1.nip.io:8080",
                                     "http://[::ffff:10.0.0.1]/api/v3", "http://10.0.0.1/api/v3"])
def test_plain_http_to_a_non_loopback_host_is_refused_before_connecting(collections_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                        api_url: str) -> None:
    sys.path.insert(0, str(collections_path))
    from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient
    from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import InsecureTransport

    connections: list[Any] = []

    def no_connect(*args: Any, **kwargs: Any) -> None:
        connections.append(args)
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connect)
    monkeypatch.setattr(socket.socket, "connect", no_connect)
    with pytest.raises(InsecureTransport) as raised:
        client = GitHubPackagesClient(SECRET, api_url)
        client.resolve_owner("acme")
    assert connections == []
    assert "http" in str(raised.value) and not leaks(str(raised.value) + repr(raised.value))
    FIGURES.add("transport checks")


def test_module_refuses_plain_http_to_a_non_loopback_host(ansible: Any) -> None:
    run = ansible.module("package_info", {**ARGS, "api_url": "http://192.0.2.10", "timeout": 1}, env={"GITHUB_TOKEN": SECRET})
    assert run.rc != 0 and not leaks(run.output)
    msg = module_result(run)["msg"]
    assert "http://" in msg and ("loopback" in msg or "https" in msg), msg
    assert "timed out" not in msg.lower() and "connect" not in msg.lower(), "refused before connecting, not after trying"
