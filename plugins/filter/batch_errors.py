# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: batch_errors
short_description: Tell the errors of cleanup batches that failed as a whole in the role's variables
version_added: 0.1.0
description:
  - Takes the registered results of the C(ghpkgs.registry.org_cleanup) role's M(ghpkgs.registry.package_cleanup) batches
    and returns one message for each batch that failed as a whole (a result without C(packages)).
  - "An option error of one package (C(packages[N] (TYPE NAME): OPTION: ...)) names the role variables its policy came from,
    as O(sources) gives them; any other error loses only the module's C(packages[N]) prefix."
author:
  - ghpkgs.registry contributors (@ghpkgs)
options:
  _input:
    description: The batch results, as the role registers them.
    type: list
    elements: dict
    required: true
  sources:
    description: For each C(TYPE NAME), the role variables its policy was merged from (C(sources) of P(ghpkgs.registry.cleanup_targets#filter)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: The errors of the batches, in the role's terms
  ansible.builtin.set_fact:
    errors: "{{ batches | ghpkgs.registry.batch_errors(plan.sources) }}"
"""

RETURN = r"""
_value:
  description: One message per batch that failed as a whole, in the order of the batches.
  type: list
  elements: str
  sample: ["keep_latest in the policy of npm web-ui (from org_cleanup_policy, org_cleanup_overrides[0]): must be 0 or more"]
"""

import re
import typing as t

from ansible.errors import AnsibleFilterError

_OPTION_ERROR = re.compile(r"^packages\[\d+\] \((\S+ .*?)\): (\w+): (.*)$")
_PACKAGE_PREFIX = re.compile(r"^packages\[\d+\] \((.*?)\): ")


def batch_errors(batches: t.Any, sources: t.Any) -> list[str]:
    if not isinstance(batches, list) or not all(isinstance(batch, dict) for batch in batches) or not isinstance(sources, dict):
        raise AnsibleFilterError("batch_errors: expected a list of batch results and a dict of policy sources")
    errors = []
    for batch in batches:
        if "packages" in batch:
            continue
        message = str(batch.get("msg", "the batch failed without a message"))
        found = _OPTION_ERROR.search(message)
        if found and found.group(1) in sources:
            package, option, problem = found.groups()
            errors.append(f"{option} in the policy of {package} (from {', '.join(sources[package])}): {problem}")
        else:
            errors.append(_PACKAGE_PREFIX.sub(r"\1: ", message))
    return errors


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"batch_errors": batch_errors}
