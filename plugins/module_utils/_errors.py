# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Typed errors raised by the GitHub Packages API client (no Ansible, no requests import)."""

from __future__ import annotations

import typing as t


class OptionError(ValueError):
    """A module option (or role variable) the user set is wrong; ``str(e)`` names the option and the fix.

    Modules turn it into a failure message; any other exception is a bug and stays a traceback.
    """


class GitHubAPIError(Exception):
    """A failed GitHub API call. ``str(e)`` is one line: ``<METHOD> <path>: <status> <message>[; hint]``."""

    def __init__(
        self,
        message: str,
        *,
        status: t.Optional[int] = None,
        documentation_url: t.Optional[str] = None,
        method: t.Optional[str] = None,
        path: t.Optional[str] = None,
        missing_scopes: t.Optional[t.List[str]] = None,
        sso_url: t.Optional[str] = None,
        hint: t.Optional[str] = None,
        retried: bool = False,
    ) -> None:
        self.status = status
        # True when this answer came to a repeated request: an earlier attempt may have been applied (its answer was lost).
        self.retried = retried
        self.message = message
        self.documentation_url = documentation_url
        self.method = method
        self.path = path
        self.missing_scopes = list(missing_scopes or [])
        self.sso_url = sso_url
        self.hint = hint
        super().__init__(str(self))

    def __str__(self) -> str:
        where = " ".join(part for part in (self.method, self.path) if part)
        text = self.message if self.status is None else "%s %s" % (self.status, self.message)
        if where:
            text = "%s: %s" % (where, text)
        if self.hint:
            text = "%s; %s" % (text, self.hint)
        return " ".join(text.split())

    def __repr__(self) -> str:
        return "%s(%r)" % (type(self).__name__, str(self))

    def to_dict(self) -> t.Dict[str, t.Any]:
        """The keyword arguments a module passes to ``fail_json``."""
        return {
            "status": self.status,
            "msg": str(self),
            "documentation_url": self.documentation_url,
            "missing_scopes": list(self.missing_scopes),
            "sso_url": self.sso_url,
            "method": self.method,
            "path": self.path,
        }


class UnexpectedAnswer(GitHubAPIError, ValueError):
    """GitHub's answer is not what its API describes: a malformed version, or a listing that changed while it was read.

    A GitHubAPIError, so that a module fails naming it (reading again may help); not an OptionError, since no option is wrong.
    """


class BadCredentials(GitHubAPIError):
    """401: the token is wrong, expired or revoked."""


class NotFound(GitHubAPIError):
    """404: missing, or private and invisible to the token, or a scope is missing."""


class MissingScopes(GitHubAPIError):
    """403/404 where the token's X-OAuth-Scopes lack what the operation needs."""


class SSORequired(GitHubAPIError):
    """The token is not authorized for the organization's SAML SSO; ``sso_url`` authorizes it."""


class Forbidden(GitHubAPIError):
    """403 for any other reason (not an admin of the package, policy, ...)."""


class Conflict(GitHubAPIError):
    """409, e.g. restoring into a name that is in use again."""


class InvalidRequest(GitHubAPIError):
    """400/422; GitHub's message (last-version rule, 5,000-download rule) is kept verbatim."""


class RateLimitExceeded(GitHubAPIError):
    """The primary budget is exhausted and resets later than the client may wait."""

    def __init__(self, message: str, *, reset_at: t.Optional[float] = None, **kwargs: t.Any) -> None:
        self.reset_at = reset_at
        super().__init__(message, **kwargs)

    def to_dict(self) -> t.Dict[str, t.Any]:
        result = super().to_dict()
        result["reset_at"] = self.reset_at
        return result


class SecondaryRateLimit(GitHubAPIError):
    """GitHub's secondary (abuse) limit still answered after the retries and wait budget."""


class ServerError(GitHubAPIError):
    """5xx after retries."""


class TransportError(GitHubAPIError):
    """Connection error, timeout or TLS failure after retries (status is None)."""


class InsecureTransport(GitHubAPIError):
    """Refused to send the token over plain http to a non-loopback host (or to a foreign host)."""


class EngineFailure(Exception):
    """A package's run stopped (an API error, an unreadable image graph, a package to restore that is gone).

    ``message`` is the failure's msg and ``result`` the rest of what the module fails with: the partial result (what was done
    before the stop) and, for an API error, its details (status, path, missing_scopes, ...).
    """

    def __init__(self, message: str, result: t.Optional[t.Dict[str, t.Any]] = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = dict(result or {})

    @classmethod
    def from_error(cls, error: GitHubAPIError, **result: t.Any) -> "EngineFailure":
        """The failure for an API error after a partial result: the error's details, then the result; the error's msg."""
        details = error.to_dict()
        details.update(result)
        details.pop("msg", None)
        return cls(str(error), details)
