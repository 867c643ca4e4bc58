# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Retries, backoff, primary and secondary rate limits, pacing and the concurrency bound (all on fake time)."""

from __future__ import annotations

import email.utils
import socket
import threading
import time
import typing as t
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import responses
import urllib3.exceptions

from ansible_collections.ghpkgs.registry.plugins.module_utils import _errors as errors
from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient, Owner
from ansible_collections.ghpkgs.registry.tests.unit.plugins.module_utils.test_api_support import (
    TOKEN,
    WALL_EPOCH,
    FakeGitHub,
    FakeTime,
    SteppedTime,
    fail,
    make_client,
    ok,
)

ORG = Owner("org", "acme")
PKG = "/orgs/acme/packages/container/app"
VERSION = PKG + "/versions/1"
SECONDARY = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def server() -> t.Iterator[FakeGitHub]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield FakeGitHub(rsps)


def connect_refused() -> requests.exceptions.ConnectionError:
    cause = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: [Errno 111] Connection refused")
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", cause))


# ---- retries and backoff ------------------------------------------------------------------------


@pytest.mark.parametrize("first", [fail(500, "boom"), fail(502, "bad gateway"), fail(503, "unavailable"), fail(504, "timeout"),
                                   requests.exceptions.ConnectionError("reset"), requests.exceptions.ReadTimeout("slow"), connect_refused()])
@pytest.mark.parametrize(("method", "path", "call"), [
    ("GET", PKG, lambda c: c.get_package(ORG, "container", "app")),
    ("DELETE", VERSION, lambda c: c.delete_version(ORG, "container", "app", 1)),
])
def test_get_and_delete_retry_transient_failures(fake_time: FakeTime, server: FakeGitHub, first: t.Any, method: str, path: str,
                                                 call: t.Callable[[GitHubPackagesClient], t.Any]) -> None:
    server.on(method, path, first, first, ok({"id": 1}) if method == "GET" else ok(None, 204))
    client = make_client(fake_time, max_retries=5)
    call(client)
    assert client.request_count == 3
    assert len(fake_time.sleeps) == 2
    assert 0.5 <= fake_time.sleeps[0] <= 1.0
    assert 1.0 <= fake_time.sleeps[1] <= 2.0


def test_backoff_is_exponential_jittered_and_capped(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(503, "unavailable"))
    client = make_client(fake_time, max_retries=8)
    with pytest.raises(errors.ServerError) as info:
        client.get_package(ORG, "container", "app")
    assert client.request_count == 9
    assert "after 8 retries" in str(info.value)
    for attempt, slept in enumerate(fake_time.sleeps):
        ceiling = min(30.0, 2.0 ** attempt)
        assert ceiling / 2 <= slept <= ceiling
    assert max(fake_time.sleeps) > 15.0


def test_no_retries_when_max_retries_is_zero(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(502, "bad gateway"), ok({}))
    client = make_client(fake_time, max_retries=0)
    with pytest.raises(errors.ServerError):
        client.get_package(ORG, "container", "app")
    assert client.request_count == 1 and fake_time.sleeps == []


def test_transport_errors_after_retries(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, requests.exceptions.ConnectTimeout("connect timed out"))
    client = make_client(fake_time, max_retries=2)
    with pytest.raises(errors.TransportError) as info:
        client.get_package(ORG, "container", "app")
    assert info.value.status is None
    assert client.request_count == 3
    assert str(info.value) == "GET %s: ConnectTimeout: connect timed out; after 2 retries" % PKG


def test_tls_failures_are_not_retried_and_explained(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, requests.exceptions.SSLError("certificate verify failed: self-signed certificate"))
    client = make_client(fake_time, max_retries=5)
    with pytest.raises(errors.TransportError, match="validate_certs") as info:
        client.get_package(ORG, "container", "app")
    assert "certificate verify failed" in str(info.value)
    assert client.request_count == 1


def test_delete_retried_after_a_5xx_that_then_answers_404_is_not_found(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("DELETE", VERSION, fail(502, "bad gateway"), fail(404, "Not Found"))
    client = make_client(fake_time)
    with pytest.raises(errors.NotFound, match="already gone") as info:
        client.delete_version(ORG, "container", "app", 1)
    assert info.value.status == 404
    assert client.request_count == 2


@pytest.mark.parametrize(("first", "retried"), [
    (connect_refused(), True),
    (requests.exceptions.ConnectTimeout("connect timed out"), True),
    (fail(502, "bad gateway"), True),
    (fail(503, "unavailable"), True),
    (fail(504, "gateway timeout"), True),
    (fail(500, "boom"), False),
    (requests.exceptions.ReadTimeout("read timed out"), False),
    (requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"), False),
])
def test_restore_is_retried_only_when_it_cannot_have_been_applied(fake_time: FakeTime, server: FakeGitHub, first: t.Any, retried: bool) -> None:
    server.on("POST", VERSION + "/restore", first, ok(None, 204))
    client = make_client(fake_time)
    if retried:
        client.restore_version(ORG, "container", "app", 1)
        assert client.request_count == 2
    else:
        with pytest.raises(errors.GitHubAPIError) as info:
            client.restore_version(ORG, "container", "app", 1)
        assert client.request_count == 1
        if info.value.status is None:
            assert "may have reached GitHub" in str(info.value)


# ---- primary rate limit -------------------------------------------------------------------------


def _limit(remaining: int, reset_in: float, resource: str = "core") -> t.Dict[str, str]:
    return {"x_ratelimit_limit": "5000", "x_ratelimit_remaining": str(remaining), "x_ratelimit_reset": str(int(WALL_EPOCH + reset_in)),
            "x_ratelimit_resource": resource}


def test_exhausted_budget_waits_for_the_reset_before_the_next_request(fake_time: FakeTime, server: FakeGitHub) -> None:
    sent_at: t.List[float] = []
    server.on_request = lambda request: sent_at.append(fake_time.now)
    server.on("GET", PKG, ok({"id": 1}, **_limit(0, 100)), ok({"id": 1}, **_limit(4999, 3700)))
    client = make_client(fake_time)
    client.get_package(ORG, "container", "app")
    assert fake_time.sleeps == []
    client.get_package(ORG, "container", "app")
    client.get_package(ORG, "container", "app")
    assert fake_time.sleeps == [101.0]
    assert sent_at == [0.0, 101.0, 101.0]


def test_the_client_tells_each_wait_for_a_limit_and_when_it_resumed(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok({"id": 1}, **_limit(0, 100)), ok({"id": 1}, **_limit(4999, 3700)))
    server.on("DELETE", VERSION, fail(403, SECONDARY, retry_after="7"), ok(None, 204))
    client = make_client(fake_time)
    client.get_package(ORG, "container", "app")
    assert client.limit_waits == []
    client.get_package(ORG, "container", "app")
    client.delete_version(ORG, "container", "app", 1)
    # The primary budget came back 101 s after the start (2027-01-15T08:01:41Z); the Retry-After of 7 s then ended at 108 s.
    assert client.limit_waits == [{"limit": "primary", "until": "2027-01-15T08:01:41Z", "seconds": 101},
                                  {"limit": "secondary", "until": "2027-01-15T08:01:48Z", "seconds": 7}]


def test_a_reset_beyond_rate_limit_wait_raises_without_sending(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok({"id": 1}, **_limit(0, 1800)))
    client = make_client(fake_time, rate_limit_wait=900)
    client.get_package(ORG, "container", "app")
    with pytest.raises(errors.RateLimitExceeded) as info:
        client.delete_version(ORG, "container", "app", 1)
    error = info.value
    assert client.request_count == 1
    assert error.reset_at == WALL_EPOCH + 1800
    assert "resets at 2027-01-15T08:30:00Z" in str(error)
    assert "rate_limit_wait" in str(error)
    assert error.to_dict()["reset_at"] == WALL_EPOCH + 1800
    assert fake_time.sleeps == []


@pytest.mark.parametrize("status", [403, 429])
def test_a_rate_limited_answer_waits_and_retries(fake_time: FakeTime, server: FakeGitHub, status: int) -> None:
    server.on("DELETE", VERSION, fail(status, "API rate limit exceeded for user ID 1.", **_limit(0, 30)), ok(None, 204))
    client = make_client(fake_time)
    client.delete_version(ORG, "container", "app", 1)
    assert fake_time.sleeps == [31.0]
    assert client.request_count == 2


def test_a_rate_limited_answer_with_a_far_reset_raises(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(403, "API rate limit exceeded for user ID 1.", **_limit(0, 3000)))
    client = make_client(fake_time, rate_limit_wait=600)
    with pytest.raises(errors.RateLimitExceeded, match="API rate limit exceeded") as info:
        client.get_package(ORG, "container", "app")
    assert client.request_count == 1
    assert info.value.reset_at == WALL_EPOCH + 3000


def test_get_rate_limit_is_allowed_while_exhausted(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok({"id": 1}, **_limit(0, 3000)))
    server.on("GET", "/rate_limit", ok({"resources": {"core": {"remaining": 0}}}, **_limit(0, 3000)))
    client = make_client(fake_time)
    client.get_package(ORG, "container", "app")
    assert client.get_rate_limit() == {"resources": {"core": {"remaining": 0}}}


def test_other_resources_do_not_block_core_requests(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok({"id": 1}, **_limit(0, 3000, "search")))
    client = make_client(fake_time)
    client.get_package(ORG, "container", "app")
    client.get_package(ORG, "container", "app")
    assert client.request_count == 2


# ---- secondary rate limit -----------------------------------------------------------------------


def test_secondary_limit_honours_retry_after(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("DELETE", VERSION, fail(403, SECONDARY, retry_after="7"), ok(None, 204))
    client = make_client(fake_time)
    client.delete_version(ORG, "container", "app", 1)
    assert fake_time.sleeps == [7.0]


def test_secondary_limit_accepts_an_http_date(fake_time: FakeTime, server: FakeGitHub) -> None:
    when = email.utils.formatdate(WALL_EPOCH + 42, usegmt=True)
    server.on("GET", PKG, fail(429, "Too many requests", retry_after=when), ok({"id": 1}))
    client = make_client(fake_time)
    client.get_package(ORG, "container", "app")
    assert fake_time.sleeps == [42.0]


def test_secondary_limit_waits_60_seconds_then_backs_off(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(403, SECONDARY), fail(403, SECONDARY), fail(403, SECONDARY), ok({"id": 1}))
    client = make_client(fake_time)
    assert client.get_package(ORG, "container", "app") == {"id": 1}
    assert fake_time.sleeps == [60.0, 120.0, 240.0]


def test_secondary_limit_gives_up_within_rate_limit_wait(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(403, SECONDARY))
    client = make_client(fake_time, rate_limit_wait=200, max_retries=10)
    with pytest.raises(errors.SecondaryRateLimit, match="secondary rate limit") as info:
        client.get_package(ORG, "container", "app")
    assert fake_time.sleeps == [60.0, 120.0]
    assert info.value.status == 403
    assert client.request_count == 3


def test_secondary_limit_gives_up_after_max_retries(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, fail(429, "slow down", retry_after="1"))
    client = make_client(fake_time, max_retries=2)
    with pytest.raises(errors.SecondaryRateLimit):
        client.get_package(ORG, "container", "app")
    assert fake_time.sleeps == [1.0, 2.0]
    assert client.request_count == 3


# ---- pacing -------------------------------------------------------------------------------------


def _max_window_points(events: t.List[t.Tuple[float, int]], window: float) -> int:
    events = sorted(events)
    worst = 0
    for start, _points in events:
        worst = max(worst, sum(points for when, points in events if start <= when < start + window))
    return worst


def test_pacing_1000_deletions_uses_the_whole_budget_and_never_more(fake_time: FakeTime, server: FakeGitHub) -> None:
    events: t.List[t.Tuple[float, int]] = []
    server.on_request = lambda request: events.append((fake_time.now, 5))
    for version in range(1, 1001):
        server.on("DELETE", "%s/versions/%d" % (PKG, version), ok(None, 204))
    client = make_client(fake_time, points_per_minute=900)
    for version in range(1, 1001):
        client.delete_version(ORG, "container", "app", version)
    assert len(events) == 1000
    assert _max_window_points(events, 60.0) <= 900
    # 5,000 points at 900 per sliding minute: 180 deletions per minute, the 1000th can go out at
    # minute 5 at the earliest (bursts at 0, 1, ..., 5 min); a smooth rate would need 5.55 min.
    assert 300.0 <= fake_time.now <= 5000 / 900 * 60
    assert fake_time.now <= 300.0 * 1.01


def test_pacing_counts_a_request_until_its_response_arrives(fake_time: FakeTime, server: FakeGitHub) -> None:
    """With latency, the server may count a request late: windows seen at arrival must stay in budget."""
    arrivals: t.List[t.Tuple[float, int]] = []

    def arrive(request: t.Any) -> None:
        fake_time.advance(0.05 if request.method == "GET" else 0.5)  # uneven travel times
        arrivals.append((fake_time.now, 1 if request.method == "GET" else 5))
        fake_time.advance(0.05)

    server.on_request = arrive
    server.on("GET", PKG, ok({"id": 1}))
    server.on("DELETE", VERSION, ok(None, 204))
    client = make_client(fake_time, points_per_minute=100, window_seconds=60)
    for index in range(300):
        if index % 3:
            client.get_package(ORG, "container", "app")
        else:
            client.delete_version(ORG, "container", "app", 1)
    assert _max_window_points(arrivals, 60.0) <= 100
    points = sum(cost for _when, cost in arrivals)
    assert points == 700
    assert 6 * 60 <= fake_time.now <= 7 * 60 * 1.15


def test_pacing_can_be_switched_off(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("DELETE", VERSION, ok(None, 204))
    client = make_client(fake_time, points_per_minute=0)
    for _index in range(500):
        client.delete_version(ORG, "container", "app", 1)
    assert fake_time.now == 0.0


def test_pacing_and_concurrency_hold_across_threads(server: FakeGitHub) -> None:
    """Real threads on stepped time: no window of arrivals exceeds the budget, none is wasted."""
    stepped = SteppedTime()
    arrivals: t.List[t.Tuple[float, int]] = []
    lock = threading.Lock()
    in_flight = [0, 0]

    def arrive(request: t.Any) -> None:
        with lock:
            arrivals.append((stepped.now, 5))
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
        with lock:
            in_flight[0] -= 1

    server.on_request = arrive
    for version in range(1, 61):
        server.on("DELETE", "%s/versions/%d" % (PKG, version), ok(None, 204))
    client = make_client(stepped, points_per_minute=100, window_seconds=0.25, max_concurrency=4)
    # The pacer sleeps holding one of the 4 connection slots: at most 4 threads sleep, the others wait for a slot.
    stepped.run(lambda version: client.delete_version(ORG, "container", "app", version), range(1, 61), 8, 4)
    assert len(arrivals) == 60
    assert _max_window_points(arrivals, 0.25) <= 100
    assert in_flight[1] <= 4
    # 300 points at 100 per window: the last burst leaves after two windows, not later.
    assert 0.5 <= stepped.now <= 0.5 * 1.01


def test_at_most_max_concurrency_requests_in_flight(server: FakeGitHub) -> None:
    lock = threading.Lock()
    in_flight = [0, 0]
    gate = threading.Event()

    def arrive(request: t.Any) -> None:
        with lock:
            in_flight[0] += 1
            in_flight[1] = max(in_flight)
            if in_flight[0] >= 3:
                gate.set()
        # The timeout only turns a client that never has 3 requests in flight into a failure instead of a hang.
        if not gate.wait(120):
            gate.set()
        time.sleep(0.01)  # widens the chance to catch a 4th request in flight; the outcome does not depend on it
        with lock:
            in_flight[0] -= 1

    server.on_request = arrive
    server.on("GET", PKG, ok({"id": 1}))
    client = GitHubPackagesClient(TOKEN, max_concurrency=3, points_per_minute=0)
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda _: client.get_package(ORG, "container", "app"), range(24)))
    assert results == [{"id": 1}] * 24
    assert in_flight[1] == 3
    assert client.request_count == 24


# ---- a wrong api_url fails at once --------------------------------------------------------------


def unreachable(cause: OSError) -> requests.exceptions.ConnectionError:
    """A connect failure as requests raises it, with the socket error urllib3 chains under it."""
    error = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection: %s" % cause)
    error.__cause__ = cause
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, "/x", error))


REFUSED = ConnectionRefusedError(111, "Connection refused")
NO_HOST = socket.gaierror(-2, "Name or service not known")


@pytest.mark.parametrize(("cause", "message"), [
    (REFUSED, "GET %s: api.github.com refused the connection; check api_url's host and port, and that the server is up "
              "(https://api.github.com)" % PKG),
    (NO_HOST, "GET %s: api.github.com does not resolve; check the host name in api_url (https://api.github.com)" % PKG),
])
def test_a_host_that_cannot_be_reached_at_first_contact_fails_at_once(fake_time: FakeTime, server: FakeGitHub, cause: OSError,
                                                                      message: str) -> None:
    server.on("GET", PKG, unreachable(cause), ok({"id": 1}))
    client = make_client(fake_time, max_retries=5)
    with pytest.raises(errors.TransportError) as info:
        client.get_package(ORG, "container", "app")
    assert str(info.value) == message
    assert client.request_count == 1 and fake_time.sleeps == []


def test_a_refused_connection_after_the_server_answered_is_retried(fake_time: FakeTime, server: FakeGitHub) -> None:
    server.on("GET", PKG, ok({"id": 1}), unreachable(REFUSED), ok({"id": 1}))
    client = make_client(fake_time, max_retries=5)
    client.get_package(ORG, "container", "app")
    assert client.get_package(ORG, "container", "app") == {"id": 1}
    assert client.request_count == 3 and len(fake_time.sleeps) == 1


PAGE = (200, {"Content-Type": "text/html; charset=utf-8"}, "<!DOCTYPE html><html>GitHub Enterprise</html>")


@pytest.mark.parametrize("answer", [PAGE, (404,) + PAGE[1:]])
@pytest.mark.parametrize(("api_url", "fix"), [
    ("https://ghe.example.com", "for GitHub Enterprise Server, api_url is https://ghe.example.com/api/v3"),
    ("https://ghe.example.com/api/v3", "check api_url (https://ghe.example.com/api/v3)"),
])
def test_a_web_page_instead_of_the_api_names_api_url_and_the_fix(fake_time: FakeTime, answer: t.Tuple[int, t.Dict[str, str], str],
                                                                 api_url: str, fix: str) -> None:
    with responses.RequestsMock() as rsps:
        rsps.add("GET", api_url + PKG, body=answer[2], status=answer[0], headers=answer[1])
        client = make_client(fake_time, api_url, max_retries=5)
        with pytest.raises(errors.GitHubAPIError) as info:
            client.get_package(ORG, "container", "app")
    assert str(info.value) == "GET %s: %d the answer is not valid JSON (text/html): api_url is not GitHub's REST API; %s" % (
        PKG, answer[0], fix)
    assert client.request_count == 1
