# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The base of every ghpkgs.registry module: shared options, their validation, the client, error reporting."""

from __future__ import annotations

import os
import re
import typing as t

from ansible.module_utils.basic import AnsibleModule, env_fallback, missing_required_lib

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import (
    API_URL_FIX,
    GITHUB_API_URL,
    GitHubPackagesClient,
    Owner,
    unknown_owner_message,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import EngineFailure, GitHubAPIError, InsecureTransport, NotFound, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import RegistryClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import bound_versions
from ansible_collections.ghpkgs.registry.plugins.module_utils._transport import HAS_REQUESTS, REQUESTS_IMPORT_ERROR, check_token, check_url

SHARED_OPTIONS: dict[str, dict[str, t.Any]] = {
    "token": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["GITHUB_TOKEN", "GH_TOKEN"])},
    "api_url": {"type": "str", "default": GITHUB_API_URL, "fallback": (env_fallback, ["GITHUB_API_URL"])},
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
        raise OptionError(f"{PACING_WINDOW_ENV}: {value!r} is not a number of seconds greater than 0; unset it to use GitHub's 60")
    return seconds


def shared_option_errors(params: dict[str, t.Any]) -> list[str]:
    """Every problem with the shared options, each naming the option and the fix; empty when all is well."""
    errors = []
    for check in (lambda: check_token(params["token"]), lambda: check_url(params["api_url"], "api_url", API_URL_FIX)):
        try:
            check()
        except (OptionError, InsecureTransport) as error:
            errors.append(str(error))
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


class _AnsibleModule(t.Protocol):
    """What GitHubPackagesModule uses of AnsibleModule, typed: ansible-core ships no types, and its exits never return."""

    params: dict[str, t.Any]
    check_mode: bool
    _diff: bool

    def warn(self, warning: str) -> None: ...

    def fail_json(self, msg: str, **kwargs: t.Any) -> t.NoReturn: ...

    def exit_json(self, **kwargs: t.Any) -> t.NoReturn: ...


class GitHubPackagesModule:
    """An AnsibleModule with the shared options, a lazily built API client and uniform error reporting.

    A module builds one, then calls run() with a function that returns the result dict: OptionError, API errors and
    EngineFailure become fail_json with everything the user needs to fix them; any other exception is a bug (a traceback).
    """

    def __init__(self, argument_spec: dict[str, t.Any] | None = None, **module_kwargs: t.Any) -> None:
        spec = dict(SHARED_OPTIONS)
        spec.update(argument_spec or {})
        module_kwargs.setdefault("supports_check_mode", True)
        self.module: _AnsibleModule = AnsibleModule(argument_spec=spec, **module_kwargs)
        self.params = self.module.params
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
        errors = shared_option_errors(self.params)
        if errors:
            self.fail("; ".join(errors))
        self._client: GitHubPackagesClient | None = None
        self._registry: RegistryClient | None = None
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
            )
        return self._client

    def registry(self, registry_url: str) -> RegistryClient:
        """The client of the container registry (one per module: its packages share one registry_url), made when first asked."""
        if self._registry is None:
            p = self.params
            # A bad registry_url raises OptionError (or InsecureTransport) from the client, naming the option.
            self._registry = RegistryClient(
                p["token"], registry_url, validate_certs=p["validate_certs"], timeout=p["timeout"], max_retries=p["max_retries"],
                rate_limit_wait=p["rate_limit_wait"], max_concurrency=p["max_concurrency"],
            )
        return self._registry

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
        failure = self.unknown_owner(error, **result)
        self.fail(failure.message, **failure.result)

    def unknown_owner(self, error: NotFound, **result: t.Any) -> EngineFailure:
        p = self.params
        details = {key: value for key, value in error.to_dict().items() if key != "msg"}
        return EngineFailure(unknown_owner_message(p["owner"], p["owner_type"], p["api_url"], error), {**details, **result})

    def verify_owner(self) -> None:
        """After a 404 for a package with owner_type given (so the owner was not looked up): EngineFailure when the owner is
        missing or of the other type."""
        owner = self.owner
        if owner.login is None or self.params["owner_type"] == "auto":
            return  # the token's own account, or an owner already looked up
        try:
            found = self.client.get_user(owner.login)
        except NotFound as error:
            raise self.unknown_owner(error) from None
        actual = "org" if found.get("type") == "Organization" else "user"
        if actual != owner.kind:
            kinds = {"org": "an organization", "user": "a user"}
            raise EngineFailure(f"owner_type: {owner.login!r} is {kinds[actual]}, not {kinds[owner.kind]}; set owner_type: {actual}, or auto")

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
        except EngineFailure as failure:
            self.fail(failure.message, **failure.result)
        except OptionError as error:
            self.fail(str(error))
        finally:
            if self._client is not None:
                self._client.close()
            if self._registry is not None:
                self._registry.close()
        self.module.exit_json(**self.bounded(result))
