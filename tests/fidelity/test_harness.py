"""Guards the contract harness itself: Prism, as we drive it, must turn a wrong answer into reported violations."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import _openapi
import _prism
from test_contract import ContractClient


class _BadUpstream(BaseHTTPRequestHandler):
    """Answers a package whose id is a string: Prism must call that a violation."""

    def do_GET(self) -> None:  # noqa: N802
        body = json.dumps({"id": "not-an-integer", "name": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return


def test_harness_reports_a_response_that_breaks_the_schema(tmp_path: Path) -> None:
    """Guards the harness itself: a wrong body must come back as violations, or every other pass means nothing."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadUpstream)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        spec_path = tmp_path / "dotcom.json"
        spec = _openapi.derive_spec(_openapi.source_spec("dotcom"), spec_path)
        with _prism.Prism(spec_path, f"http://127.0.0.1:{server.server_address[1]}", tmp_path / "prism.log") as prism:
            client = ContractClient(prism.url, spec, [], "harness")
            client.call("get", "/orgs/{org}/packages/{package_type}/{package_name}", None, 200,
                        org="o", package_type="npm", package_name="x")
    finally:
        server.shutdown()
    text = "\n".join(client.problems)
    assert "VIOLATIONS 500" in text and "response.body.id: Response body property id must be integer" in text, text
