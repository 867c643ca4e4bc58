# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options and attributes shared by every ghpkgs.registry module."""

    DOCUMENTATION = r"""
options:
  token:
    description:
      - A GitHub personal access token (classic), or in GitHub Actions the workflow's C(GITHUB_TOKEN). Fine-grained personal access
        tokens do not work with the Packages API.
      - A C(GITHUB_TOKEN) can read, delete and restore the packages whose settings (C(Manage Actions access)) give the workflow's
        repository the Admin role, when the workflow has C(permissions) C(packages) C(write); it cannot list an owner's packages,
        so name the packages (exact names). It sends no scopes, so a refusal names what to grant instead.
      - Reading needs the C(read:packages) scope; deleting also needs C(delete:packages); restoring also needs C(write:packages).
      - Registries that only support repository-scoped permissions also need C(repo) (C(maven) on github.com; C(npm), C(rubygems),
        C(nuget), C(docker) and C(maven) on GitHub Enterprise Server).
      - When the organization enforces SAML single sign-on, the token must be authorized for it; the error then gives the URL to do so.
      - If not set, the environment variable E(GITHUB_TOKEN) is used, then E(GH_TOKEN).
    type: str
    required: true
  api_url:
    description:
      - The base URL of GitHub's REST API.
      - For GitHub Enterprise Server use V(https://HOST/api/v3).
      - If not set, the environment variable E(GITHUB_API_URL) is used.
      - The token is never sent over plain V(http://) except to a loopback address.
    type: str
    default: https://api.github.com
  validate_certs:
    description:
      - Whether to verify the server's TLS certificate.
    type: bool
    default: true
  timeout:
    description:
      - Seconds to wait for each HTTP response.
    type: float
    default: 30
  max_retries:
    description:
      - How many times a request is retried after a connection error, a timeout, a 500, 502, 503 or 504 answer, or a secondary
        rate limit, with jittered exponential backoff.
    type: int
    default: 5
  rate_limit_wait:
    description:
      - The longest time, in seconds, to wait for GitHub's rate limits to reset.
      - When the primary budget (C(x-ratelimit-remaining)) runs out and resets later than this, the task fails, saying when it
        resets and what was done so far.
    type: float
    default: 900
  points_per_minute:
    description:
      - Pace requests to stay under GitHub's secondary rate limit, counting 1 point per C(GET) and 5 per C(DELETE) or C(POST).
      - V(0) turns pacing off, for example on GitHub Enterprise Server where rate limits are off by default.
    type: int
    default: 900
  max_concurrency:
    description:
      - The most requests in flight at once (1 to 100).
    type: int
    default: 8
  owner:
    description:
      - The organization or user whose packages are managed.
      - When omitted, the token's own account (the C(/user) endpoints).
    type: str
  owner_type:
    description:
      - Whether O(owner) is an organization or a user.
      - V(auto) asks C(GET /users/{owner}) once.
    type: str
    choices: [auto, org, user]
    default: auto
notes:
  - Set the connection options once per play with C(module_defaults) and the action group C(group/ghpkgs.registry.github).
"""

    ATTRIBUTES = r"""
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row with the same arguments, the second run does not change anything and reports no change.
  action_group:
    description: Use C(group/ghpkgs.registry.github) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - ghpkgs.registry.github
"""
