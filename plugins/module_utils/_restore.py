# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Restoring a deleted package or package version: one request, and one rule for an answer that is not a plain yes.

Used by package (state=present), package_restore and package_version (state=present).

A restore whose answer was lost (a connection error or 5xx after the retries, or a repeated request answered 404 or
409 because its first attempt was applied) is checked by reading the package or version back from GitHub: it is
reported restored only if it is active now, never on the strength of the request alone. A version restore answered
404 is checked the same way, because GitHub brings the untagged platform images of a multi-arch index back with the
index and then answers 404 to their own restore.
"""

from __future__ import annotations

import dataclasses
import typing as t

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient, Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    Conflict,
    GitHubAPIError,
    InvalidRequest,
    NotFound,
    ServerError,
    TransportError,
)

RESTORED_ALONG = "restored along with another version (a multi-arch index brings back the platform manifests deleted with it)"


@dataclasses.dataclass(frozen=True)
class Restore:
    """restored: the package or version is active after the restore. error: GitHub's answer when it is not; when it is,
    the error after which reading it back showed it active (a lost answer, or a version restored along with its index)."""

    restored: bool
    error: t.Optional[GitHubAPIError] = None

    @property
    def along(self) -> bool:
        """A version that came back with another one (its first restore request was answered 404)."""
        return self.restored and isinstance(self.error, NotFound) and not self.error.retried


def answer_lost(error: GitHubAPIError) -> bool:
    """Whether the restore may have been applied although its answer says otherwise."""
    return error.retried or isinstance(error, (TransportError, ServerError))


def restore_package(client: GitHubPackagesClient, owner: Owner, package_type: str, name: str,
                    restore_token: t.Optional[str] = None, active_before: bool = False) -> Restore:
    """Restore a deleted package. active_before: an active package of that name existed before the restore, so reading
    it back cannot tell whether the restore was applied (a lost answer then stays unconfirmed).

    Other API errors (credentials, scopes, rate limits) are raised."""
    try:
        client.restore_package(owner, package_type, name, restore_token)
    except (NotFound, Conflict, TransportError, ServerError) as error:
        if answer_lost(error) and not active_before and package_active(client, owner, package_type, name):
            return Restore(True, error)
        return Restore(False, error)
    return Restore(True)


def restore_version(client: GitHubPackagesClient, owner: Owner, package_type: str, name: str, version_id: int) -> Restore:
    """Restore a deleted version. Other API errors (credentials, scopes, rate limits) are raised."""
    try:
        client.restore_version(owner, package_type, name, version_id)
    except (NotFound, Conflict, InvalidRequest, TransportError, ServerError) as error:
        if (answer_lost(error) or isinstance(error, NotFound)) and version_active(client, owner, package_type, name, version_id):
            return Restore(True, error)
        return Restore(False, error)
    return Restore(True)


def package_active(client: GitHubPackagesClient, owner: Owner, package_type: str, name: str) -> bool:
    """Whether GitHub shows the package active; False when it cannot be read (the restore then counts as not done)."""
    try:
        client.get_package(owner, package_type, name)
    except GitHubAPIError:
        return False
    return True


def version_active(client: GitHubPackagesClient, owner: Owner, package_type: str, name: str, version_id: int) -> bool:
    """Whether GitHub shows the version active; False when it cannot be read (the restore then counts as not done)."""
    try:
        current = client.get_version(owner, package_type, name, version_id)
    except GitHubAPIError:
        return False
    return current.get("deleted_at") is None
