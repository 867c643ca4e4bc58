# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every module test needs: a module's exit caught as an exception, its warnings collected (conftest.py makes
the fixture autouse for every test here); InlineExecutor for a test that needs a module's thread pool to run in order."""

from __future__ import annotations

import json
import typing as t
from concurrent.futures import Executor, Future

import pytest

from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args


class Exited(Exception):
    """A module's exit_json (failed False) or fail_json (failed True), with its result."""

    def __init__(self, failed: bool, result: t.Dict[str, t.Any]) -> None:
        super().__init__(result.get("msg"))
        self.failed = failed
        self.result = result


@pytest.fixture(autouse=True)
def warnings(monkeypatch: pytest.MonkeyPatch) -> t.List[str]:
    return catch_exits(monkeypatch)


def catch_exits(monkeypatch: pytest.MonkeyPatch) -> t.List[str]:
    """Makes exit_json and fail_json raise Exited; returns the list that warn() appends to."""
    seen: t.List[str] = []

    def exit_json(self: t.Any, **result: t.Any) -> t.NoReturn:
        raise Exited(False, result)

    def fail_json(self: t.Any, **result: t.Any) -> t.NoReturn:
        raise Exited(True, result)

    monkeypatch.setattr(basic.AnsibleModule, "exit_json", exit_json)
    monkeypatch.setattr(basic.AnsibleModule, "fail_json", fail_json)
    monkeypatch.setattr(basic.AnsibleModule, "warn", lambda self, message: seen.append(message))
    return seen


class InlineExecutor(Executor):
    """A drop-in for ThreadPoolExecutor that runs each task at once, in the calling thread, in submission order: the
    order of requests is the code's, not the scheduler's."""

    def __init__(self, max_workers: t.Optional[int] = None) -> None:
        self.max_workers = max_workers

    def submit(self, fn: t.Callable[..., t.Any], /, *args: t.Any, **kwargs: t.Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as error:  # pylint: disable=broad-exception-caught  # a Future carries any error to its caller
            future.set_exception(error)
        return future


def run_main(main: t.Callable[[], None], args: t.Dict[str, t.Any], token: str, check_mode: bool = False, diff: bool = False) -> Exited:
    """Runs a module's main() with args; the token must appear nowhere in its result."""
    if check_mode:
        args = dict(args, _ansible_check_mode=True)
    if diff:
        args = dict(args, _ansible_diff=True)
    with patch_module_args(args):
        with pytest.raises(Exited) as info:
            main()
    assert token not in json.dumps(info.value.result, default=dict)  # default: read-only mappings (package_info versions)
    return info.value
