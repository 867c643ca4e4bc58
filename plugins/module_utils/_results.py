# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""How much per-version detail a result carries: the return_versions option, one rule for every module that has it."""

from __future__ import annotations

import typing as t

RETURN_VERSIONS_OPTION: dict[str, dict[str, t.Any]] = {
    "return_versions": {"type": "str", "default": "all", "choices": ["all", "changed", "none"]},
}

# What return_versions=changed keeps: the versions changed (or that would be, in check mode), and those the run selected but
# did not act on (a failure, GitHub's refusal, a stop at an earlier error, or max_versions), whose reason says why.
CHANGED_OUTCOMES = frozenset(("deleted", "restored", "would_delete", "would_restore", "skipped"))


def returns_version(return_versions: str, outcome: t.Optional[str]) -> bool:
    """Whether a version with this outcome (None for an inventory's) is listed in a result under return_versions."""
    return return_versions == "all" or (return_versions == "changed" and outcome in CHANGED_OUTCOMES)


def bound_versions(result: dict[str, t.Any], return_versions: str) -> dict[str, t.Any]:
    """Trim result's per-version lists (versions, and packages[].versions) in place to what return_versions asks for.

    "all" leaves them; "changed" keeps the entries whose outcome is in CHANGED_OUTCOMES (an inventory has no outcomes, so
    it keeps none); "none" removes the lists. Counts, summaries and id lists are never touched.
    """
    if return_versions == "all":
        return result
    holders = [result] + [p for p in result.get("packages") or [] if isinstance(p, dict)]
    for holder in holders:
        if "versions" not in holder:
            continue
        if return_versions == "none":
            del holder["versions"]
        else:
            holder["versions"] = [v for v in holder["versions"] if returns_version(return_versions, v.get("outcome"))]
    return result
