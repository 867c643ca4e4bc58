"""Run Stoplight Prism as a validating proxy between a test and the emulator.

How Prism 5.16 signals problems (read from @stoplight/prism-http-server/dist/server.js and prism-http):
- every request and response violation, of any severity, is listed as JSON in the `sl-violations` response header;
- with `--errors`, a response violation of severity error turns the answer into
  500 `application/problem+json` with `type` ending in `VIOLATIONS` and the list in `validation`;
- with `--errors`, an invalid request is not forwarded: Prism answers 422 `UNPROCESSABLE_ENTITY` itself;
- a status code the operation does not document is a *warning* for non-2xx answers (so only in the header),
  an error for 2xx answers.
"""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PRISM_BIN = HERE / "node_modules" / ".bin" / "prism"
READY_MARK = "Prism is listening on"
PRISM_ERROR_TYPE = "https://stoplight.io/prism/errors#"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_node() -> None:
    """Raise with a clear message when the Node tooling is absent: these tests must never be skipped silently."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"`{tool}` is not on PATH: install Node.js >= 20 with npm to run the fidelity tests")
    if not PRISM_BIN.exists():
        raise RuntimeError(f"{PRISM_BIN} missing: run `npm ci --prefix tests/fidelity` (tests/fidelity/run does it)")


class Prism:
    """`prism proxy SPEC UPSTREAM --errors` on a free 127.0.0.1 port; use as a context manager."""

    def __init__(self, spec: Path, upstream: str, log: Path, timeout: float = 90.0) -> None:
        self.spec = spec
        self.upstream = upstream
        self.log = log
        self.timeout = timeout
        self.port = 0
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Launch without waiting, so several proxies can boot in parallel; then call wait_ready()."""
        require_node()
        self.port = free_port()
        with self.log.open("wb") as out:
            self._proc = subprocess.Popen(
                [str(PRISM_BIN), "proxy", str(self.spec), self.upstream, "--errors",
                 "--host", "127.0.0.1", "--port", str(self.port), "--no-cors"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait_ready(self) -> None:
        assert self._proc is not None, "start() first"
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if READY_MARK in self.log.read_text(errors="replace"):
                return
            if self._proc.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"Prism did not start (exit {self._proc.returncode}); log {self.log}:\n{self.log_tail()}")

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()

    def __enter__(self) -> Prism:
        self.start()
        self.wait_ready()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def prism_answered(body: Any) -> bool:
    """True when Prism produced the answer itself instead of relaying the upstream's."""
    return isinstance(body, dict) and str(body.get("type", "")).startswith(PRISM_ERROR_TYPE)


def violations(headers: Any, body: Any) -> list[dict[str, Any]]:
    """Every violation Prism reported for one exchange: the header list plus an --errors problem document."""
    found: list[dict[str, Any]] = []
    raw = headers.get("sl-violations")
    if raw:
        if raw.startswith("Too many violations!"):
            found.append({"severity": "Error", "message": raw[:500], "location": ["sl-violations"]})
        else:
            found.extend(json.loads(raw))
    if prism_answered(body):
        # Prism answered by itself (invalid request, invalid response with --errors, unknown route, ...).
        found.append({"severity": "Error", "location": ["prism"],
                      "message": f"{body['type'][len(PRISM_ERROR_TYPE):]} {body.get('status')}: {body.get('detail')}"})
        found.extend(item for item in body.get("validation", []) if item not in found)
    return found


def describe(violation: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in violation.get("location", []))
    return f"[{violation.get('severity')}] {location}: {violation.get('message')}"
