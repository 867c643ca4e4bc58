# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The options of the version engine (package_version, and package_cleanup for each of its packages): their argument
spec entries, their checks, and the Job they become.

    job = job_from_params(params)      # OptionError naming the option and the fix, before any request
    PackageVersions(job, client=..., owner=...).run()
"""

from __future__ import annotations

import typing as t

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._oci import default_registry_url
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import TAGGED_PACKAGE_TYPES, Policy, has_selector, tag_selectors
from ansible_collections.ghpkgs.registry.plugins.module_utils._versions import Job

# The selectors and protections of package_version, as argument spec entries without defaults.
POLICY_OPTIONS: t.Dict[str, t.Dict[str, t.Any]] = {
    "version_ids": {"type": "list", "elements": "int"},
    "versions": {"type": "list", "elements": "str"},
    "tags": {"type": "list", "elements": "str"},
    "untagged": {"type": "bool"},
    "older_than": {"type": "str"},
    "age_from": {"type": "str", "choices": ["updated_at", "created_at"]},
    "prerelease": {"type": "bool"},
    "superseded": {"type": "bool"},
    "orphans": {"type": "bool"},
    "exclude": {"type": "list", "elements": "str"},
    "keep_digests": {"type": "list", "elements": "str"},
    "keep_latest": {"type": "int"},
    "keep_rules": {"type": "list", "elements": "dict", "options": {
        "name": {"type": "str"},
        "tags": {"type": "list", "elements": "str"},
        "untagged": {"type": "bool"},
        "versions": {"type": "list", "elements": "str"},
        "keep_latest": {"type": "int"},
        "younger_than": {"type": "str"},
    }},
    "max_versions": {"type": "int"},
}

# The options of the image graph (container packages), as argument spec entries.
GRAPH_OPTIONS: t.Dict[str, t.Dict[str, t.Any]] = {
    "registry_url": {"type": "str"},
    "manifest_graph": {"type": "bool", "default": True},
}


def build_policy(params: t.Mapping[str, t.Any], tagless_ok: bool = False) -> Policy:
    """Validate this module's own options (before any request); OptionError names the option and the fix.

    Tag selectors on a package type without tags are refused (see tagless_problem) unless tagless_ok: package_cleanup
    skips such a package instead.
    """
    if not params["name"] or not params["name"].strip():
        raise OptionError("name: is empty; give the package's name")
    policy = Policy.from_params(params)
    check_orphans(params)
    problem = tagless_problem(params["package_type"], policy)
    if problem and not tagless_ok:
        raise OptionError(f"{problem}; remove it, or select by versions, version_ids, older_than or prerelease")
    if params["state"] == "absent" and not has_selector(policy) and params.get("orphans") is None:
        raise OptionError(
            "state=absent needs at least one selector (version_ids, versions, tags, untagged, older_than, prerelease, superseded or "
            "orphans); to delete every version, say versions: ['*']"
        )
    if params["state"] == "present" and params["delete_package_when_empty"]:
        raise OptionError("delete_package_when_empty: only applies to state=absent; remove it to restore versions")
    if policy.superseded is not None and params["state"] != "absent":
        raise OptionError("superseded: compares a pre-release with the releases still in the package, so it only applies to "
                          "state=absent; remove it to restore versions")
    if policy.keep_digests and params["package_type"] not in TAGGED_PACKAGE_TYPES:
        raise OptionError(f"keep_digests: {params['package_type']} package versions are not images named by digest (only container "
                          "and docker versions are); remove it, or use exclude with their names")
    registry_url(params)
    return policy


def job_from_params(params: t.Mapping[str, t.Any], tagless_ok: bool = False) -> Job:
    """The engine's job for package_version's options (see build_policy for the checks and tagless_ok)."""
    return Job(
        package_type=params["package_type"],
        name=params["name"],
        state=params["state"],
        policy=build_policy(params, tagless_ok),
        orphans=params.get("orphans"),
        delete_package_when_empty=params["delete_package_when_empty"],
        registry_url=registry_url(params),
        max_concurrency=params["max_concurrency"],
    )


def check_orphans(params: t.Mapping[str, t.Any]) -> None:
    """The orphans selector needs a container package, state=absent and the image graph; OptionError naming the fix otherwise."""
    if params.get("orphans") is None:
        return
    if params["package_type"] != "container":
        raise OptionError(f"orphans: only container packages have orphans (signatures, referrers, platform images); remove it for "
                          f"this {params['package_type']} package")
    if params["state"] != "absent":
        raise OptionError("orphans: selects versions to delete; remove it for state=present")
    if not params.get("manifest_graph", True):
        raise OptionError("orphans: are found in the image graph; set manifest_graph: true, or remove orphans")


def tagless_problem(package_type: str, policy: Policy) -> t.Optional[str]:
    """Why policy's tag selectors cannot apply to package_type (its versions have no tags), or None when they can."""
    used = tag_selectors(policy)
    if not used or package_type in TAGGED_PACKAGE_TYPES:
        return None
    return (f"{' and '.join(used)}: {package_type} package versions have no tags (only container and docker versions do), "
            f"so {'this selector' if len(used) == 1 else 'these selectors'} cannot tell versions apart")


def registry_url(params: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """The registry to read container manifests from for the image graph; None when the graph is not used."""
    graph = params["package_type"] == "container" and params["state"] == "absent" and params.get("manifest_graph", True)
    return container_registry(params, graph, "set manifest_graph: false if the package has no multi-arch images, attestations or signatures")


def container_registry(params: t.Mapping[str, t.Any], needed: bool, otherwise: str) -> t.Optional[str]:
    """registry_url (never blank), else the registry of api_url; None when not needed.

    OptionError naming the option and the fix when registry_url is blank, or when it is needed and none can be told
    (otherwise: the other way out, such as not asking for what needs the registry).
    """
    given: t.Optional[str] = params.get("registry_url")
    if given is not None and not given.strip():
        raise OptionError("registry_url: is blank; give the container registry (https://ghcr.io), or leave it out to derive it from api_url")
    if not needed:
        return None
    registry = given or default_registry_url(params["api_url"])
    if registry is None:
        raise OptionError(f"registry_url: cannot be derived from api_url {params['api_url']!r}; give the container registry (https://ghcr.io, "
                          f"or https://containers.HOST for GitHub Enterprise Server), or {otherwise}")
    return registry
