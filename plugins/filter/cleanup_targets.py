# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cleanup_targets
short_description: Give each package found its retention policy, for the org_cleanup role
version_added: 0.1.0
description:
  - Takes the packages M(ghpkgs.registry.package_info) found and returns the entries of
    O(ghpkgs.registry.package_cleanup#module:packages) for those whose name matches no glob of O(exclude), each with its
    policy merged from O(policy), then O(policy_by_type) for its type, then every matching entry of O(overrides) in order
    (a later key replaces an earlier one; V(null) removes it).
  - Globs are shell-style, matched against the whole name with case (as the modules match them).
  - A package whose merged policy has none of O(selectors) is not cleaned up but reported in RV(_value.problems), naming the
    variable that left it so, because the modules refuse a policy that selects nothing.
author:
  - ghpkgs.registry contributors (@ghpkgs)
options:
  _input:
    description: The packages found, each with at least C(package_type), C(name) and C(id) (RV(ghpkgs.registry.package_info#module:packages)).
    type: list
    elements: dict
    required: true
  policy:
    description: The policy of every package (C(org_cleanup_policy)).
    type: dict
    default: {}
  policy_by_type:
    description: Policy keys by package type, over O(policy) (C(org_cleanup_policy_by_type)).
    type: dict
    default: {}
  overrides:
    description:
      - Entries with C(packages) (globs), optional C(package_types) (empty or missing is every type) and C(policy), applied
        in order to the packages they match (C(org_cleanup_overrides)).
    type: list
    elements: dict
    default: []
  exclude:
    description: Globs of package names to leave out (C(org_cleanup_exclude)).
    type: list
    elements: str
    default: []
  selectors:
    description:
      - The policy keys that select versions; a package whose policy has none of them is a problem.
      - Defaults to the selectors of M(ghpkgs.registry.package_version).
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: The packages to clean up, with their policies
  ansible.builtin.set_fact:
    plan: >-
      {{ found.packages | ghpkgs.registry.cleanup_targets(policy={'older_than': '90d'}, exclude=['keep-*'],
         overrides=[{'packages': ['web-*'], 'policy': {'keep_latest': 5}}], selectors=['versions', 'older_than']) }}
"""

RETURN = r"""
_value:
  description: The targets, where each target's policy came from, and the packages left without a selector.
  type: dict
  contains:
    targets:
      description: One entry of O(ghpkgs.registry.package_cleanup#module:packages) per package, in the order found.
      type: list
      elements: dict
      sample: [{"package_type": "npm", "name": "web-ui", "id": 7, "older_than": "90d", "keep_latest": 5}]
    sources:
      description: For each C(TYPE NAME), the role variables its policy came from, in order.
      type: dict
      sample: {"npm web-ui": ["org_cleanup_policy", "org_cleanup_overrides[0]"]}
    problems:
      description: One message per package whose policy has no selector.
      type: list
      elements: str
      sample: []
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import SELECTORS, pattern_matcher


def cleanup_targets(packages: t.Any, selectors: t.Sequence[str] = SELECTORS, policy: t.Optional[dict[str, t.Any]] = None,
                    policy_by_type: t.Optional[dict[str, t.Any]] = None, overrides: t.Optional[list[dict[str, t.Any]]] = None,
                    exclude: t.Sequence[str] = ()) -> dict[str, t.Any]:
    if not isinstance(packages, list):
        raise AnsibleFilterError(f"cleanup_targets: expected the list of packages package_info returns, got {type(packages).__name__}")
    by_type = policy_by_type or {}
    rules = [(set(o.get("package_types") or ()), pattern_matcher(o.get("packages") or (), "org_cleanup_overrides[].packages"), o.get("policy") or {})
             for o in overrides or []]
    excluded = pattern_matcher(exclude, "org_cleanup_exclude")
    targets, sources, problems = [], {}, []
    for package in packages:
        package_type, name = package["package_type"], package["name"]
        if excluded(name):
            continue
        merged = {**(policy or {}), **by_type.get(package_type, {})}
        came_from = ["org_cleanup_policy"] + ([f"org_cleanup_policy_by_type.{package_type}"] if package_type in by_type else [])
        for index, (types, matches, override) in enumerate(rules):
            if (not types or package_type in types) and matches(name):
                merged.update(override)
                came_from.append(f"org_cleanup_overrides[{index}]")
        targets.append({**merged, "package_type": package_type, "name": name, "id": package.get("id")})
        sources[f"{package_type} {name}"] = came_from
        if not any(merged.get(key) is not None for key in selectors):
            problems.append(f"{came_from[-1]}: leaves {package_type} {name} with no selector (its policy comes from {', '.join(came_from)}); "
                            f"give it one of {', '.join(selectors)} (versions: ['*'] selects every version), or leave the package out "
                            "with org_cleanup_exclude")
    return {"targets": targets, "sources": sources, "problems": problems}


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"cleanup_targets": cleanup_targets}
