# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The primary budget with many requests in flight: none of them may run into the limit at the end of a window."""

from __future__ import annotations

import json
import re
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest
import responses

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import Owner
from ansible_collections.ghpkgs.registry.tests.unit.plugins.module_utils.test_api_support import WALL_EPOCH, FakeTime, SteppedTime, make_client

ORG = Owner("org", "acme")


class BudgetServer:
    """A primary limit of ``budget`` requests per ``window`` seconds of fake time, counted when a request arrives."""

    def __init__(self, fake_time: FakeTime, budget: int, window: float) -> None:
        self.fake_time = fake_time
        self.budget = budget
        self.window = window
        self.window_end = window
        self.used = 0
        self.statuses: t.List[int] = []
        self.lock = threading.Lock()

    def answer(self, request: t.Any) -> t.Tuple[int, t.Dict[str, str], str]:
        with self.lock:
            if self.fake_time.monotonic() >= self.window_end:
                self.window_end, self.used = self.fake_time.monotonic() + self.window, 0
            exhausted = self.used >= self.budget
            if not exhausted:
                self.used += 1
            headers = {"x-ratelimit-limit": str(self.budget), "x-ratelimit-remaining": str(self.budget - self.used),
                       "x-ratelimit-reset": str(int(WALL_EPOCH + self.window_end)), "x-ratelimit-resource": "core"}
            self.statuses.append(403 if exhausted else 204)
        if exhausted:
            return 403, headers, json.dumps({"message": "API rate limit exceeded for user ID 1."})
        return 204, headers, ""


@pytest.mark.parametrize("concurrency", [1, 8])
def test_requests_in_flight_never_overrun_the_budget(concurrency: int) -> None:
    fake_time = SteppedTime()
    server = BudgetServer(fake_time, budget=25, window=100)
    with responses.RequestsMock() as rsps:
        rsps.add_callback("DELETE", re.compile(r"https://api\.github\.com/.*"), callback=server.answer)
        client = make_client(fake_time, points_per_minute=0, max_concurrency=concurrency)
        # Every thread waiting for a reset sleeps outside the connection slots: all of them can be asleep at once.
        fake_time.run(lambda version: client.delete_version(ORG, "npm", "lib", version), range(1, 61), concurrency, concurrency)
    assert server.statuses == [204] * 60  # 25 + 25 + 10 over three windows, not one answer 403
    assert client.request_count == 60
    # Two waits for a reset (each until the announced reset + 1 s), not more.
    assert len(fake_time.sleeps) >= 2 and 201.0 <= fake_time.now <= 203.0


def test_the_first_answer_of_a_window_is_not_needed_to_start() -> None:
    """Before any answer the budget is unknown: requests go out at once, up to max_concurrency."""
    fake_time = FakeTime()
    server = BudgetServer(fake_time, budget=1000, window=100)
    started = threading.Barrier(4, timeout=120)  # the timeout only turns a client that waits for an answer into a failure

    def answer(request: t.Any) -> t.Tuple[int, t.Dict[str, str], str]:
        started.wait()  # only passes when four requests are in flight together
        return server.answer(request)

    with responses.RequestsMock() as rsps:
        rsps.add_callback("DELETE", re.compile(r"https://api\.github\.com/.*"), callback=answer)
        client = make_client(fake_time, points_per_minute=0, max_concurrency=4)
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda version: client.delete_version(ORG, "npm", "lib", version), range(1, 5)))
    assert server.statuses == [204] * 4
