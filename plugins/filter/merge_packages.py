# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: merge_packages
short_description: Merge the results of a package cleaned up in several runs into one
version_added: 0.1.0
description:
  - Takes package results (RV(ghpkgs.registry.package_cleanup#module:packages) of several runs, or the C(packages) of
    cleanup reports) and returns one entry per package, in the order first seen.
  - A package in several entries (the parts of a package that the C(ghpkgs.registry.org_cleanup) role cleans up in
    several batches) gets one entry with the versions of all, a version in two taking the later outcome, its counts counted
    again from them, and failed when any part failed. M(ghpkgs.registry.package_cleanup) merges its report file the same way
    with O(ghpkgs.registry.package_cleanup#module:report_append).
author:
  - ghpkgs.registry contributors (@ghpkgs)
options:
  _input:
    description: The entries, each with C(package_type), C(name) and C(versions), earliest run first.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: One result per package over all the batches
  ansible.builtin.set_fact:
    results: "{{ batches.results | map(attribute='packages') | flatten(levels=1) | ghpkgs.registry.merge_packages }}"
"""

RETURN = r"""
_value:
  description: One entry per package, in the order first seen.
  type: list
  elements: dict
  sample: [{"package_type": "npm", "name": "web-ui", "failed": false, "counts": {"matched": 2, "deleted": 2}, "versions": []}]
"""

import typing as t

from ansible.errors import AnsibleFilterError

from ansible_collections.ghpkgs.registry.plugins.module_utils._report import merge_packages as _merge_packages


def merge_packages(entries: t.Any) -> list[dict[str, t.Any]]:
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise AnsibleFilterError("merge_packages: expected a list of package results")
    return _merge_packages([], entries)


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"merge_packages": merge_packages}
