# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: role_problems
short_description: Check a role's variables before any request
version_added: 0.1.0
description:
  - Takes a list of checks, each V([KIND, VARIABLE, VALUE]), and returns one message per problem found, each naming the
    role variable and the fix. An empty list means every variable is usable.
  - The roles of this collection use it to refuse bad input before they send any request to GitHub.
  - "Kinds: V(login) a GitHub login (as the modules check O(ghpkgs.registry.package_info#module:owner)); V(globs) a list of
    names or shell-style globs (no blank entry, every C([) closed, as the modules check them); V(override_globs) the
    C(packages) globs of every entry of a list of overrides; V(positive) an integer of 1 or more; V(directory) a path that
    is not blank; V(optional_url) a URL that is not blank, or V(null); V(report_file) the path of an existing file on the
    controller, relative to the directory C(ansible-playbook) runs in."
author:
  - ghpkgs.registry contributors (@ghpkgs)
options:
  _input:
    description: The checks, each a list of the kind, the variable's name and its value.
    type: list
    elements: list
    required: true
"""

EXAMPLES = r"""
- name: Refuse bad role variables before any request
  ansible.builtin.fail:
    msg: "{{ problems | join('; ') }}"
  when: problems | length > 0
  vars:
    problems: >-
      {{ [['login', 'my_owner', my_owner], ['globs', 'my_include', my_include], ['positive', 'my_batch_size', my_batch_size]]
         | ghpkgs.registry.role_problems }}
"""

RETURN = r"""
_value:
  description: One message per problem, each starting with the variable's name; empty when there is none.
  type: list
  elements: str
  sample: ['my_owner: "-acme" is not a GitHub login (letters, digits and single inner hyphens, at most 39 characters)']
"""

import json
import os
import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ghpkgs.registry.plugins.module_utils._module import _LOGIN
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import REGEX_PREFIX, _unclosed_bracket, validate_globs


def _glob_problems(variable: str, globs: t.Any) -> list[str]:
    problems = []
    for glob in globs or []:
        text = str(glob)
        if not text.strip():
            problems.append(f"{variable}: {json.dumps(glob)} is empty or blank; remove it, or give a name or a glob")
        elif text.startswith(REGEX_PREFIX):
            try:
                validate_globs([text], variable)
            except OptionError as error:
                problems.append(str(error))
        elif _unclosed_bracket(text):
            problems.append(f"{variable}: {json.dumps(glob)} has a '[' that no ']' closes; write '[[]' to match a literal '['")
    return problems


def _as_int(value: t.Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _problems(kind: str, variable: str, value: t.Any) -> list[str]:
    if kind == "login":
        return [] if _LOGIN.match(str(value)) else [
            f"{variable}: {json.dumps(str(value))} is not a GitHub login (letters, digits and single inner hyphens, at most 39 characters)"]
    if kind == "globs":
        return _glob_problems(variable, value)
    if kind == "override_globs":
        return [problem for index, override in enumerate(value or [])
                for problem in _glob_problems(f"{variable}[{index}].packages", (override or {}).get("packages"))]
    if kind == "positive":
        return [] if _as_int(value) >= 1 else [f"{variable}: must be 1 or more, not {value}"]
    if kind == "directory":
        return [] if isinstance(value, str) and value.strip() else [f"{variable}: must be a directory path, not blank"]
    if kind == "optional_url":
        return [] if value is None or str(value).strip() else [f"{variable}: must be a URL, not blank; omit it to derive it from the API URL"]
    if kind == "report_file":
        if not isinstance(value, str) or not value.strip():
            return [f"{variable}: must be the path of a cleanup report, not blank"]
        path = os.path.realpath(os.path.expanduser(value))
        return [] if os.path.isfile(path) else [
            f"{variable}: {json.dumps(value)} is not a file on the controller (looked for {path}); give the path of the "
            "OWNER-cleanup-TIME.json report, relative to the directory you run ansible-playbook in"]
    raise AnsibleFilterError(f"role_problems: {kind!r} is not a kind of check (login, globs, override_globs, positive, directory, "
                             "optional_url, report_file)")


def role_problems(checks: t.Any) -> list[str]:
    """The messages for every problem the checks find, in the order of the checks."""
    if not isinstance(checks, (list, tuple)) or not all(isinstance(check, (list, tuple)) and len(check) == 3 for check in checks):
        raise AnsibleFilterError("role_problems: expected a list of [kind, variable, value] checks")
    return [problem for kind, variable, value in checks for problem in _problems(kind, variable, value)]


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"role_problems": role_problems}
