"""Primary and secondary rate limits, driven by the emulated clock."""
from __future__ import annotations

import threading
import time
import types


def test_primary_limit_exhausts_and_resets_with_clock(api, emu):
    emu.control.config(primary_limit=3, primary_window_seconds=3600)
    for expected_remaining in (2, 1, 0):
        response = api.get("/orgs/acme/packages/npm/web-ui")
        assert response.status_code == 200
        assert int(response.headers["x-ratelimit-remaining"]) == expected_remaining
    assert api.get("/rate_limit").json()["rate"]["remaining"] == 0  # free, still answers
    blocked = api.get("/orgs/acme/packages/npm/web-ui")
    assert blocked.status_code == 403
    assert blocked.json()["message"].startswith("API rate limit exceeded for user ID 1001.")
    assert blocked.headers["x-ratelimit-remaining"] == "0" and blocked.headers["x-ratelimit-used"] == "3"
    reset = int(blocked.headers["x-ratelimit-reset"])
    assert 0 < reset - int(api.get("/rate_limit").json()["rate"]["reset"]) + 1 <= 2
    emu.control.advance(3601)
    again = api.get("/orgs/acme/packages/npm/web-ui")
    assert again.status_code == 200 and again.headers["x-ratelimit-remaining"] == "2"


def test_primary_limit_is_per_user(api, emu):
    emu.control.config(primary_limit=1)
    assert api.get("/orgs/acme/packages/npm/web-ui").status_code == 200
    assert api.get("/orgs/acme/packages/npm/web-ui", token="read_only").status_code == 403  # same user alice
    assert api.get("/orgs/acme/packages/npm/web-ui", token="member").status_code == 200


def test_rate_limits_can_be_switched_off(api, emu):
    emu.control.config(primary_limit=None, secondary_points=None)
    response = api.get("/orgs/acme/packages/npm/web-ui")
    assert response.status_code == 200 and "x-ratelimit-limit" not in response.headers


def test_secondary_points_per_endpoint(api, emu):
    emu.control.config(secondary_points=10, secondary_window_seconds=60)
    versions = api.versions("/orgs/acme", "npm", "web-ui")
    assert api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{versions[0]['id']}").status_code == 204
    assert api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{versions[1]['id']}").status_code == 204
    blocked = api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{versions[2]['id']}")
    assert blocked.status_code == 403 and "secondary rate limit" in blocked.json()["message"]
    assert 1 <= int(blocked.headers["retry-after"]) <= 60
    assert api.get("/orgs/acme/packages/npm/web-ui").status_code == 200  # another endpoint has its own budget
    emu.control.advance(61)
    assert api.delete(f"/orgs/acme/packages/npm/web-ui/versions/{versions[2]['id']}").status_code == 204


def test_secondary_concurrency_limit(api, emu, monkeypatch):
    # The first request stays in flight (in its injected latency) until the others are answered, whatever the timing.
    from conftest import Api
    from ghpkgs_emulator import server
    entered, release = threading.Event(), threading.Event()

    def held(seconds: float) -> None:
        if seconds:
            entered.set()
            release.wait(120)

    monkeypatch.setattr(server, "time", types.SimpleNamespace(time=time.time, sleep=held))
    emu.control.config(secondary_max_concurrent=1, latency_ms=1)
    statuses: list[int] = []
    first = threading.Thread(target=lambda: statuses.append(Api(emu).get("/orgs/acme/packages/npm/web-ui").status_code))
    first.start()
    try:
        assert entered.wait(120), "the first request never reached the emulator"
        others = [api.get("/orgs/acme/packages/npm/web-ui").status_code for _ in range(2)]
    finally:
        release.set()
        first.join()
    assert statuses == [200] and others == [403, 403]
