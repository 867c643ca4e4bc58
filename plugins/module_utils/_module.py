# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base of every ghpkgs.registry module: shared options, their validation, the client, error reporting."""

from __future__ import annotations

import os
import re
import typing as t
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import (
    HAS_REQUESTS,
    REQUESTS_IMPORT_ERROR,
    GitHubPackagesClient,
    Owner,
    is_loopback,
    unknown_owner_message,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import GitHubAPIError, NotFound
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import bound_versions

COLLECTION_VERSION = "0.1.0"
DEFAULT_API_URL = "https://api.github.com"

SHARED_OPTIONS: dict[str, dict[str, t.Any]] = {
    "token": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["GITHUB_TOKEN", "GH_TOKEN"])},
    "api_url": {"type": "str", "default": DEFAULT_API_URL, "fallback": (env_fallback, ["GITHUB_API_URL"])},
    "validate_certs": {"type": "bool", "default": True},
    "timeout": {"type": "float", "default": 30},
    "max_retries": {"type": "int", "default": 5},
    "rate_limit_wait": {"type": "float", "default": 900},
    "points_per_minute": {"type": "int", "default": 900},
    "max_concurrency": {"type": "int", "default": 8},
    "owner": {"type": "str"},
    "owner_type": {"type": "str", "default": "auto", "choices": ["auto", "org", "user"]},
}

# GitHub logins: alphanumerics and single hyphens, no leading or trailing hyphen, at most 39 characters.
_LOGIN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")
# GitHub allows at most 100 concurrent requests per token (secondary rate limit).
MAX_CONCURRENCY = 100
# GitHub's secondary limit counts points per minute. Benchmarks against an emulator whose "minute" lasts seconds
# set this variable so the modules pace to the same scale; it is not an option because on GitHub it is always 60.
PACING_WINDOW_ENV = "GHPKGS_PACING_WINDOW_SECONDS"


def pacing_window_seconds() -> float:
    value = os.environ.get(PACING_WINDOW_ENV) or "60"
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise ValueError(f"{PACING_WINDOW_ENV}: {value!r} is not a number of seconds greater than 0; unset it to use GitHub's 60")
    return seconds


def shared_option_errors(params: dict[str, t.Any]) -> list[str]:
    """Every problem with the shared options, each naming the option and the fix; empty when all is well."""
    errors = []
    token = params["token"]
    if not token or not token.strip():
        errors.append("token: is empty; pass a personal access token (classic) or set GITHUB_TOKEN")
    elif any(c.isspace() for c in token):
        errors.append("token: contains whitespace or a line break; pass the bare token")
    errors.extend(_api_url_errors(params["api_url"]))
    if params["timeout"] <= 0:
        errors.append("timeout: must be a number of seconds greater than 0")
    for name in ("max_retries", "rate_limit_wait", "points_per_minute"):
        if params[name] < 0:
            errors.append(f"{name}: must be 0 or more")
    if not 1 <= params["max_concurrency"] <= MAX_CONCURRENCY:
        errors.append(f"max_concurrency: must be between 1 and {MAX_CONCURRENCY} (GitHub's limit on concurrent requests)")
    owner = params["owner"]
    if owner is not None and not _LOGIN.match(owner):
        errors.append(
            f"owner: {owner!r} is not a GitHub login (letters, digits and single inner hyphens, at most 39 characters); "
            "omit it to mean the token's own account"
        )
    if owner is None and params["owner_type"] != "auto":
        errors.append("owner_type: needs owner; omit both to mean the token's own account")
    return errors


def _api_url_errors(api_url: str) -> list[str]:
    parts = urlsplit(api_url or "")
    fix = "use https://api.github.com or https://HOST/api/v3 for GitHub Enterprise Server"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return [f"api_url: {api_url!r} is not an http(s) URL; {fix}"]
    if parts.username or parts.password:
        return ["api_url: must not carry credentials; pass the token in the token option"]
    if parts.query or parts.fragment:
        return [f"api_url: {api_url!r} must not have a query or fragment; {fix}"]
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return [f"api_url: refusing to send the token over plain http:// to {parts.hostname}; use https:// (plain http is for loopback test servers)"]
    return []


class GitHubPackagesModule:
    """An AnsibleModule with the shared options, a lazily built API client and uniform error reporting.

    A module builds one, then calls run() with a function that returns the result dict:
    API errors and ValueError become fail_json with everything the user needs to fix them.
    """

    def __init__(self, argument_spec: dict[str, t.Any] | None = None, **module_kwargs: t.Any) -> None:
        spec = dict(SHARED_OPTIONS)
        spec.update(argument_spec or {})
        module_kwargs.setdefault("supports_check_mode", True)
        self.module = AnsibleModule(argument_spec=spec, **module_kwargs)
        self.params = self.module.params
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        errors = shared_option_errors(self.params)
        if errors:
            self.fail("; ".join(errors))
        self._client: GitHubPackagesClient | None = None
        self._owner: Owner | None = None

    @property
    def check_mode(self) -> bool:
        return self.module.check_mode

    @property
    def diff_mode(self) -> bool:
        return self.module._diff

    @property
    def client(self) -> GitHubPackagesClient:
        if self._client is None:
            p = self.params
            self._client = GitHubPackagesClient(
                p["token"],
                p["api_url"],
                validate_certs=p["validate_certs"],
                timeout=p["timeout"],
                max_retries=p["max_retries"],
                rate_limit_wait=p["rate_limit_wait"],
                points_per_minute=p["points_per_minute"],
                window_seconds=pacing_window_seconds(),
                max_concurrency=p["max_concurrency"],
                user_agent=f"ghpkgs.registry/{COLLECTION_VERSION}",
            )
        return self._client

    @property
    def owner(self) -> Owner:
        """The owner named by the owner/owner_type options (one GET /users/{owner} when owner_type is auto)."""
        if self._owner is None:
            try:
                self._owner = self.client.resolve_owner(self.params["owner"], self.params["owner_type"])
            except NotFound as error:
                self.fail_unknown_owner(error)
        return self._owner

    def fail_unknown_owner(self, error: NotFound, **result: t.Any) -> t.NoReturn:
        """Fail for an owner GitHub answered 404 for, naming it, the owner type tried and the likely causes."""
        p = self.params
        details = {**error.to_dict(), **result}
        details["msg"] = unknown_owner_message(p["owner"], p["owner_type"], p["api_url"], error)
        self.module.fail_json(**details)

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn:
        self.module.fail_json(msg=msg, **self.bounded(result))

    def fail_from_error(self, error: GitHubAPIError, **result: t.Any) -> t.NoReturn:
        details = error.to_dict()
        details.update(result)
        details["msg"] = str(error)
        self.module.fail_json(**self.bounded(details))

    def bounded(self, result: dict[str, t.Any]) -> dict[str, t.Any]:
        """The result with as much per-version detail as return_versions asks for, in modules that have the option."""
        return bound_versions(result, self.params["return_versions"]) if "return_versions" in self.params else result

    def run(self, work: t.Callable[[], dict[str, t.Any]]) -> t.NoReturn:
        """Run the module's work and exit with its result; turn errors into failures that name the fix."""
        try:
            result = work()
        except GitHubAPIError as error:
            self.fail_from_error(error)
        except ValueError as error:
            self.fail(str(error))
        finally:
            if self._client is not None:
                self._client.close()
        self.module.exit_json(**self.bounded(result))
