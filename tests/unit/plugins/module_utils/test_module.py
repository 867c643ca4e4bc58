# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

import typing as t

import pytest
import responses

from ansible.module_utils.testing import patch_module_args

from ansible_collections.ghpkgs.registry.plugins.module_utils import _module
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import EngineFailure, NotFound, OptionError
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, catch_exits

TOKEN = "ghp_ModuleBaseSecret0123456789abcdefXYZ"


@pytest.fixture(autouse=True)
def exits(monkeypatch: pytest.MonkeyPatch) -> None:
    catch_exits(monkeypatch)
    for name in ("GITHUB_TOKEN", "GH_TOKEN", "GITHUB_API_URL", _module.PACING_WINDOW_ENV):
        monkeypatch.delenv(name, raising=False)


def build(args: dict[str, t.Any]) -> _module.GitHubPackagesModule:
    with patch_module_args(args):
        return _module.GitHubPackagesModule()


def failure(args: dict[str, t.Any]) -> dict[str, t.Any]:
    with pytest.raises(Exited) as info:
        build(args)
    assert info.value.failed
    return info.value.result


@pytest.mark.parametrize(("args", "words"), [
    ({"token": " "}, ["token:", "empty"]),
    ({"token": "ghp_a b"}, ["token:", "whitespace"]),
    ({"token": TOKEN, "api_url": "ftp://example.com"}, ["api_url:", "not an http(s) URL"]),
    ({"token": TOKEN, "api_url": "https://user:pw@example.com"}, ["api_url:", "credentials"]),
    ({"token": TOKEN, "api_url": "https://example.com/api/v3?x=1"}, ["api_url:", "query"]),
    ({"token": TOKEN, "api_url": "http://example.com/api/v3"}, ["api_url:", "plain http://", "example.com"]),
    ({"token": TOKEN, "timeout": 0}, ["timeout:"]),
    ({"token": TOKEN, "max_retries": -1}, ["max_retries:"]),
    ({"token": TOKEN, "rate_limit_wait": -5}, ["rate_limit_wait:"]),
    ({"token": TOKEN, "points_per_minute": -1}, ["points_per_minute:"]),
    ({"token": TOKEN, "max_concurrency": 0}, ["max_concurrency:", "100"]),
    ({"token": TOKEN, "max_concurrency": 101}, ["max_concurrency:"]),
    ({"token": TOKEN, "owner": "-acme"}, ["owner:", "GitHub login"]),
    ({"token": TOKEN, "owner": "a/../b"}, ["owner:"]),
    ({"token": TOKEN, "owner": "x" * 40}, ["owner:"]),
    ({"token": TOKEN, "owner_type": "org"}, ["owner_type:", "needs owner"]),
])
def test_bad_shared_options_fail_naming_the_option_before_any_request(args: dict[str, t.Any], words: list[str]) -> None:
    with responses.RequestsMock() as api:  # any request would fail the test: nothing is registered
        result = failure(args)
        assert not api.calls
    for word in words:
        assert word in result["msg"]
    assert TOKEN not in str(result)


def test_every_problem_is_reported_at_once() -> None:
    msg = failure({"token": TOKEN, "timeout": 0, "max_concurrency": 0})["msg"]
    assert "timeout:" in msg and "max_concurrency:" in msg


def test_token_falls_back_to_github_token_then_gh_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GH_TOKEN", "ghp_from_gh_token")
    assert build({}).params["token"] == "ghp_from_gh_token"
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_from_github_token")
    assert build({}).params["token"] == "ghp_from_github_token"
    assert build({"token": TOKEN}).params["token"] == TOKEN


def test_missing_token_is_a_clear_failure() -> None:
    assert "token" in failure({})["msg"]


def test_api_url_falls_back_to_github_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    assert build({"token": TOKEN}).params["api_url"] == "https://api.github.com"
    monkeypatch.setenv("GITHUB_API_URL", "https://ghe.example.com/api/v3")
    module = build({"token": TOKEN})
    assert module.client.api_url == "https://ghe.example.com/api/v3" and module.client.ghes


def test_plain_http_to_loopback_is_allowed() -> None:
    assert build({"token": TOKEN, "api_url": "http://127.0.0.1:8080"}).client.api_url == "http://127.0.0.1:8080"


def test_pacing_window_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _module.pacing_window_seconds() == 60
    monkeypatch.setenv(_module.PACING_WINDOW_ENV, "2.5")
    assert _module.pacing_window_seconds() == 2.5
    monkeypatch.setenv(_module.PACING_WINDOW_ENV, "-1")
    with pytest.raises(ValueError, match=_module.PACING_WINDOW_ENV):
        _module.pacing_window_seconds()


def test_run_turns_api_errors_into_failures_with_the_diagnosis() -> None:
    module = build({"token": TOKEN})

    def work() -> dict[str, t.Any]:
        raise NotFound("Package not found.", status=404, method="GET", path="/orgs/acme/packages/npm/x",
                       documentation_url="https://docs.github.com/rest", missing_scopes=["read:packages"])

    with pytest.raises(Exited) as info:
        module.run(work)
    result = info.value.result
    assert info.value.failed and result["status"] == 404 and result["missing_scopes"] == ["read:packages"]
    assert "GET /orgs/acme/packages/npm/x" in result["msg"] and "Package not found." in result["msg"]


def test_run_turns_option_errors_into_failures_and_exits_with_the_result() -> None:
    module = build({"token": TOKEN})

    def bad() -> dict[str, t.Any]:
        raise OptionError("name: must not be empty")

    with pytest.raises(Exited) as info:
        module.run(bad)
    assert info.value.failed and info.value.result["msg"] == "name: must not be empty"
    with pytest.raises(Exited) as info:
        build({"token": TOKEN}).run(lambda: {"changed": False, "answer": 42})
    assert not info.value.failed and info.value.result == {"changed": False, "answer": 42}


def test_run_turns_engine_failures_into_failures_with_the_partial_result() -> None:
    def stopped() -> dict[str, t.Any]:
        raise EngineFailure("GET /x: 500 boom", {"status": 500, "versions": [{"id": 1}]})

    with pytest.raises(Exited) as info:
        build({"token": TOKEN}).run(stopped)
    assert info.value.failed and info.value.result["msg"] == "GET /x: 500 boom"
    assert info.value.result["status"] == 500 and info.value.result["versions"] == [{"id": 1}]


def test_run_lets_other_value_errors_through_as_bugs() -> None:
    def buggy() -> dict[str, t.Any]:
        raise ValueError("a bug, not an option")

    with pytest.raises(ValueError, match="a bug, not an option"):
        build({"token": TOKEN}).run(buggy)


def test_missing_requests_fails_with_missing_required_lib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_module, "HAS_REQUESTS", False)
    msg = failure({"token": TOKEN})["msg"]
    assert "requests" in msg and "Failed to import the required Python library" in msg
