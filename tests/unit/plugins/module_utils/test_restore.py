# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one restore rule: a restore whose answer was lost counts as restored only if GitHub shows it active."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.ghpkgs.registry.plugins.module_utils import _restore
from ansible_collections.ghpkgs.registry.plugins.module_utils._api import Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    BadCredentials,
    Conflict,
    GitHubAPIError,
    InvalidRequest,
    NotFound,
    ServerError,
    TransportError,
)

OWNER = Owner("org", "acme")


class Client:
    """Answers the restore with answer (None: 204) and reads back active (True), deleted (False) or 404 (None)."""

    def __init__(self, answer: t.Optional[GitHubAPIError], active: t.Optional[bool]) -> None:
        self.answer = answer
        self.active = active
        self.reads = 0

    def _restore(self) -> None:
        if self.answer is not None:
            raise self.answer

    def restore_package(self, owner: Owner, package_type: str, name: str, token: t.Optional[str]) -> None:
        self._restore()

    def restore_version(self, owner: Owner, package_type: str, name: str, version_id: int) -> None:
        self._restore()

    def _read(self) -> dict[str, t.Any]:
        self.reads += 1
        if self.active is None:
            raise NotFound("Not Found", status=404)
        return {"id": 7, "deleted_at": None if self.active else "2026-11-01T00:00:00Z"}

    def get_package(self, owner: Owner, package_type: str, name: str) -> dict[str, t.Any]:
        return self._read()

    def get_version(self, owner: Owner, package_type: str, name: str, version_id: int) -> dict[str, t.Any]:
        return self._read()


def version(client: Client) -> _restore.Restore:
    return _restore.restore_version(t.cast(t.Any, client), OWNER, "container", "app", 7)


def package(client: Client, active_before: bool = False) -> _restore.Restore:
    return _restore.restore_package(t.cast(t.Any, client), OWNER, "npm", "web", None, active_before)


LOST = [TransportError("connection reset"), ServerError("Bad Gateway", status=502), NotFound("Not Found", status=404, retried=True),
        Conflict("name in use", status=409, retried=True)]


@pytest.mark.parametrize("error", LOST, ids=repr)
@pytest.mark.parametrize("restore", [version, package])
def test_a_lost_answer_counts_as_restored_only_when_github_shows_it_active(restore: t.Any, error: GitHubAPIError) -> None:
    back = restore(Client(error, active=True))
    assert back.restored and back.error is error and not back.along
    for active in (False, None):
        client = Client(error, active=active)
        if restore is package and active is False:
            continue  # a package that can be read is active
        assert restore(client) == _restore.Restore(False, error) and client.reads == 1


def test_a_version_answered_404_at_once_came_back_with_its_index_only_if_active() -> None:
    gone = NotFound("Not Found", status=404)
    assert version(Client(gone, active=True)).along
    assert version(Client(gone, active=False)) == _restore.Restore(False, gone)


@pytest.mark.parametrize("error", [Conflict("name in use", status=409), InvalidRequest("refused", status=422)], ids=repr)
def test_a_plain_refusal_is_not_read_back(error: GitHubAPIError) -> None:
    client = Client(error, active=True)
    assert version(client) == _restore.Restore(False, error) and client.reads == 0


def test_a_package_answered_404_at_once_or_active_before_is_not_read_back() -> None:
    client = Client(NotFound("Not Found", status=404), active=True)
    assert not package(client).restored and client.reads == 0
    client = Client(TransportError("connection reset"), active=True)
    assert not package(client, active_before=True).restored and client.reads == 0


def test_other_errors_stop_and_a_plain_answer_is_restored() -> None:
    with pytest.raises(BadCredentials):
        version(Client(BadCredentials("Bad credentials", status=401), active=True))
    client = Client(None, active=None)
    assert version(client) == _restore.Restore(True) and package(client) == _restore.Restore(True) and client.reads == 0
