"""Stateful emulator of GitHub's Packages REST API (and a ghcr.io manifest subset), for tests only."""
from __future__ import annotations

import json
import threading
import urllib.request
from pathlib import Path
from typing import Any

from .server import EmulatorServer, EmulatorState

__all__ = ["Control", "Emulator"]


class Control:
    """Client of the /_emulator/ control endpoints of a running emulator (in-process or CLI-started)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - 127.0.0.1 only
            payload = response.read()
        return json.loads(payload) if payload else None

    def advance(self, seconds: float) -> str:
        return self._call("POST", "clock", {"advance_seconds": seconds})["now"]

    def set_now(self, iso: str) -> str:
        return self._call("POST", "clock", {"now": iso})["now"]

    def config(self, **settings: Any) -> dict[str, Any]:
        return self._call("POST", "config", settings)

    def log(self) -> list[dict[str, Any]]:
        return self._call("GET", "log")

    def clear_log(self) -> None:
        self._call("POST", "log/clear")

    def state(self) -> dict[str, Any]:
        return self._call("GET", "state")

    def reset(self) -> None:
        self._call("POST", "reset")

    def publish(self, owner: str, package_type: str, name: str, version: dict[str, Any], **package: Any) -> dict[str, Any]:
        return self._call("POST", "packages", {"owner": owner, "package_type": package_type, "name": name,
                                               "version": version, **package})


def load_seed(seed: dict[str, Any] | str | Path | None) -> dict[str, Any]:
    if seed is None:
        from .seedgen import generate
        return generate("small")
    if isinstance(seed, dict):
        return seed
    return json.loads(Path(seed).read_text(encoding="utf-8"))


class Emulator:
    """``with Emulator(seed=...) as emu:`` serves on a free 127.0.0.1 port in a background thread."""

    def __init__(self, seed: dict[str, Any] | str | Path | None = None, port: int = 0, log_file: str | None = None,
                 registry: str | None = None) -> None:
        self.state = EmulatorState(load_seed(seed), log_file=log_file, registry=registry)
        self._port = port
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def control(self) -> Control:
        return Control(self.url)

    def start(self) -> "Emulator":
        self._server = EmulatorServer(self.state, port=self._port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="ghpkgs-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
