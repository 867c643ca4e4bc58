# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
name: cleanup_batches
short_description: Split a cleanup into batches of about the same number of deletions, for the org_cleanup role
version_added: 0.1.0
description:
  - Takes the entries of O(ghpkgs.registry.package_cleanup#module:packages) and returns them in batches, one
    M(ghpkgs.registry.package_cleanup) task each, so that the role prints a progress line after each batch.
  - Without a plan (O(plan) empty, a dry run) a batch holds O(size) packages.
  - With the plan of a check-mode run of M(ghpkgs.registry.package_cleanup), a batch ends before its planned deletions
    exceed O(deletions), and never holds more than O(size) packages.
  - A package with more planned deletions than O(deletions) is run alone in several batches, each with
    O(ghpkgs.registry.package_cleanup#module:packages[].max_versions) set to O(deletions) (the package's own
    C(max_versions), if any, still bounds all of them together), so that a progress line comes after each part.
    The last part keeps the package's own C(max_versions), so that the parts together delete what one run would.
author:
  - ghpkgs.registry contributors (@ghpkgs)
options:
  _input:
    description: The entries of O(ghpkgs.registry.package_cleanup#module:packages), each with C(package_type) and C(name).
    type: list
    elements: dict
    required: true
  plan:
    description:
      - The packages of the result of a check-mode run of M(ghpkgs.registry.package_cleanup) over the same entries
        (RV(ghpkgs.registry.package_cleanup#module:packages)); their C(counts.would_delete) size the batches.
        A package missing from it counts 0 deletions.
    type: list
    elements: dict
    default: []
  size:
    description: The most packages in a batch.
    type: int
    required: true
  deletions:
    description: The most planned deletions in a batch.
    type: int
    required: true
"""

EXAMPLES = r"""
- name: Make the batches
  ansible.builtin.set_fact:
    schedule: "{{ targets | ghpkgs.registry.cleanup_batches(plan=preplan.packages | default([]), size=200, deletions=150) }}"
"""

RETURN = r"""
_value:
  description: The batches and what each one means for the progress lines.
  type: dict
  contains:
    batches:
      description: The batches, each a list of entries of O(ghpkgs.registry.package_cleanup#module:packages).
      type: list
      elements: list
      sample: [[{"package_type": "npm", "name": "web-ui", "versions": ["*"]}]]
    labels:
      description: One short line per batch naming its packages (and the part, for a package split into parts).
      type: list
      elements: str
      sample: ["batch 1 of 1: 1 packages, npm web-ui"]
    packages_done:
      description: For each batch, how many packages are done once it is (a package split into parts is done after its last).
      type: list
      elements: int
      sample: [1]
    planned:
      description: The deletions planned in all.
      type: int
      sample: 12
"""

import math
import typing as t

from ansible.errors import AnsibleFilterError


def _name(target: dict[str, t.Any]) -> str:
    return f"{target['package_type']} {target['name']}"


def cleanup_batches(targets: t.Any, size: int, deletions: int, plan: t.Optional[list[dict[str, t.Any]]] = None) -> dict[str, t.Any]:
    if not isinstance(targets, list):
        raise AnsibleFilterError(f"cleanup_batches: expected a list of packages, got {type(targets).__name__}")
    if int(size) < 1 or int(deletions) < 1:
        raise AnsibleFilterError(f"cleanup_batches: size and deletions must be 1 or more, not {size} and {deletions}")
    size, deletions = int(size), int(deletions)
    planned = {_name(p): p["counts"]["would_delete"] for p in plan or [] if "counts" in p}
    # Each item: (the batch's targets, the part's label or None, whether it ends its packages).
    items: list[tuple[list[dict[str, t.Any]], t.Optional[str], bool]] = []
    current: list[dict[str, t.Any]] = []
    load = 0
    for target in targets:
        count = planned.get(_name(target), 0)
        if current and (len(current) >= size or (planned and load + count > deletions)):
            items.append((current, None, True))
            current, load = [], 0
        if count > deletions:
            parts = math.ceil(count / deletions)
            own = target.get("max_versions")
            for part in range(1, parts + 1):
                cap = deletions if part < parts else (None if own is None else own - deletions * (parts - 1))
                items.append(([{**target, "max_versions": cap}], f"part {part} of {parts} ({count} planned deletions, at most {deletions} a part)",
                              part == parts))
            continue
        current.append(target)
        load += count
    if current:
        items.append((current, None, True))
    labels, packages_done, done = [], [], 0
    for index, (batch, part_label, ends) in enumerate(items):
        head = f"batch {index + 1} of {len(items)}: "
        if part_label:
            labels.append(f"{head}{_name(batch[0])}, {part_label}")
        else:
            labels.append(f"{head}{len(batch)} packages, {_name(batch[0])}" + (f" .. {_name(batch[-1])}" if len(batch) > 1 else ""))
        done += len(batch) if ends else 0
        packages_done.append(done)
    return {"batches": [batch for batch, _part, _ends in items], "labels": labels, "packages_done": packages_done,
            "planned": sum(planned.values())}


class FilterModule:
    def filters(self) -> dict[str, t.Callable[..., t.Any]]:
        return {"cleanup_batches": cleanup_batches}
