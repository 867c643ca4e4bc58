# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Shared helpers for the API client tests: fake time and a scripted fake GitHub behind `responses`."""

from __future__ import annotations

import json
import re
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import responses

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient

TOKEN = "ghp_S3cr3tT0kenThatMustNeverLeak0123456789"
GITHUB = "https://api.github.com"
GHES = "https://ghe.example.com/api/v3"
WALL_EPOCH = 1_800_000_000.0


class FakeTime:
    """Monotonic and wall clocks that only move when the client sleeps (or a test says so)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: t.List[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def wall(self) -> float:
        with self._lock:
            return WALL_EPOCH + self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class SteppedTime(FakeTime):
    """Fake time for a client used by real threads: it stands still while any thread can run, and moves to the earliest
    wake-up only once every thread sleeps (or waits for one that does). Sleeps that overlap in real life overlap here, and
    what the threads see does not depend on how the scheduler interleaves them."""

    def __init__(self) -> None:
        super().__init__()
        self._moved = threading.Condition(self._lock)
        self._asleep: t.List[t.List[float]] = []  # [wake time] per sleeping thread (a list each, told apart by identity)
        self._unfinished = 0

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        with self._moved:
            self.sleeps.append(seconds)
            if seconds == 0:
                return
            entry = [self.now + seconds]
            self._asleep.append(entry)
            self._moved.notify_all()
            self._moved.wait_for(lambda: all(other is not entry for other in self._asleep))

    def run(self, call: t.Callable[[t.Any], t.Any], items: t.Sequence[t.Any], workers: int, sleepers: int) -> t.List[t.Any]:
        """call(item) for every item on `workers` threads; `sleepers` is how many of them can sleep at once (the others
        then wait for a sleeper, such as the client's max_concurrency slots while the pacer sleeps holding one)."""

        def settled() -> bool:
            return not self._unfinished or len(self._asleep) == min(sleepers, self._unfinished)

        def one(item: t.Any) -> t.Any:
            try:
                return call(item)
            finally:
                with self._moved:
                    self._unfinished -= 1
                    self._moved.notify_all()

        with self._moved:
            self._unfinished = len(items)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one, item) for item in items]
            with self._moved:
                while self._unfinished:
                    # The timeout only turns a hang (a thread blocked on something else than this clock) into a failure.
                    assert self._moved.wait_for(settled, timeout=120), "threads neither finished nor slept"
                    if self._unfinished:
                        self.now = min(entry[0] for entry in self._asleep)
                        self._asleep = [entry for entry in self._asleep if entry[0] > self.now]
                        self._moved.notify_all()
        return [future.result() for future in futures]


Answer = t.Tuple[int, t.Dict[str, str], t.Any]


class FakeGitHub:
    """Answers requests by exact URL (path and query after the API base) from per-route scripts.

    Each route holds a list of answers used in order; the last one repeats. An answer is
    (status, headers, body) or an exception instance to raise (connection errors, timeouts).
    """

    def __init__(self, rsps: responses.RequestsMock, base: str = GITHUB) -> None:
        self.base = base
        self.routes: t.Dict[t.Tuple[str, str], t.List[t.Any]] = {}
        self.calls: t.List[t.Any] = []
        self.on_request: t.Optional[t.Callable[[t.Any], None]] = None
        pattern = re.compile(r"https?://.*")
        for method in ("GET", "DELETE", "POST"):
            rsps.add_callback(method, pattern, callback=self._answer)

    def on(self, method: str, path: str, *answers: t.Any) -> None:
        self.routes[(method, path)] = list(answers)

    def _answer(self, request: t.Any) -> t.Tuple[int, t.Dict[str, str], str]:
        self.calls.append(request)
        if self.on_request is not None:
            self.on_request(request)
        url = request.url
        key = url[len(self.base):] if url.startswith(self.base) else url
        script = self.routes.get((request.method, key))
        if script is None:
            return 599, {}, json.dumps({"message": "unscripted %s %s" % (request.method, url)})
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        status, headers, body = answer
        return status, headers, "" if body is None else json.dumps(body)

    def paths(self) -> t.List[str]:
        return [call.method + " " + call.url for call in self.calls]


def make_client(fake_time: FakeTime, api_url: str = GITHUB, **kwargs: t.Any) -> GitHubPackagesClient:
    options: t.Dict[str, t.Any] = {"sleep": fake_time.sleep, "clock": fake_time.monotonic, "wall_clock": fake_time.wall}
    options.update(kwargs)
    return GitHubPackagesClient(TOKEN, api_url, **options)


def _headers(headers: t.Dict[str, str]) -> t.Dict[str, str]:
    return {key.replace("_", "-"): value for key, value in headers.items()}


def ok(body: t.Any = None, status: int = 200, **headers: str) -> Answer:
    return status, _headers(headers), body


def fail(status: int, message: str, **headers: str) -> Answer:
    return status, _headers(headers), {
        "message": message, "documentation_url": "https://docs.github.com/rest/packages",
    }
