# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The return_versions option of the modules whose results list versions one by one."""

    DOCUMENTATION = r"""
options:
  return_versions:
    description:
      - How many of the versions the result lists one by one, to keep the result (and the memory of the module and of the
        controller) small for packages with many versions. It changes what is returned, never what is done.
      - V(all) lists every version, as RETURN documents.
      - V(changed) lists only the versions this run changed (or would change, in check mode) and those it selected but did
        not act on (outcome V(skipped) - failed, refused by GitHub, not attempted after an error, or left for a later run by
        C(max_versions)), each with its reason. An inventory changes nothing, so its version lists are empty.
      - V(none) leaves the version lists out. Counts, messages and lists of ids (such as C(deleted_version_ids)) stay.
      - Which keys are trimmed is said in RETURN. M(ghpkgs.registry.package_cleanup) still writes every version to its
        report files (O(ghpkgs.registry.package_cleanup#module:report_file), O(ghpkgs.registry.package_cleanup#module:summary_file)).
    type: str
    choices: [all, changed, none]
    default: all
"""
