#!/usr/bin/python
# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_info
short_description: List GitHub Packages of an organization, a user or the token's own account
version_added: 0.1.0
description:
  - Lists the packages of O(owner) on GitHub Packages, optionally with their versions and the Docker migration conflicts.
  - Packages are listed per package type, because GitHub's API lists one type at a time.
  - Never changes anything.
author:
  - ghpkgs.registry contributors (@ghpkgs)
extends_documentation_fragment:
  - ghpkgs.registry.github
  - ghpkgs.registry.github.attributes
  - ghpkgs.registry.results
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  package_type:
    description:
      - The package types to list.
      - When omitted, all six types are listed, and a type the token lacks a scope for (for example C(maven), which needs
        C(repo)) is skipped with a warning; the task fails only when the token cannot read any type.
        When given, a missing scope fails the task, naming the scopes to add.
    type: list
    elements: str
    choices: [npm, maven, rubygems, docker, nuget, container]
  name:
    description:
      - Exact package names or shell-style globs (V(app-*), V(team/*), V(lib-[0-9]*)), matched case-sensitively.
      - An entry V(re:PATTERN) is a Python regular expression matched against the whole name (V(re:app-[0-9]+) matches
        V(app-12), not V(app-12-old)); one that does not compile fails the task before any request.
      - Container names may contain V(/), for example V(team/app).
      - When omitted or empty, every package is returned.
      - When all entries are exact names, each is fetched directly (one request per name and type) instead of listing.
      - An exact name must exist under at least one of the requested types (with the requested O(visibility), if any);
        otherwise the task fails naming it. It is not an error for it to be missing under the other requested types.
      - A glob that matches nothing is not an error, but gives a warning and a line in RV(diagnostics).
    type: list
    elements: str
  visibility:
    description:
      - Only packages with this visibility. C(internal) exists on GitHub Enterprise.
    type: str
    choices: [public, private, internal]
  include_versions:
    description:
      - Also return the versions of every listed package in RV(packages[].versions).
      - This costs one request per 100 versions of each package.
    type: bool
    default: false
  version_state:
    description:
      - Which versions to return with O(include_versions=true).
      - V(deleted) returns versions deleted in the last 30 days, which can still be restored.
      - V(all) returns both.
    type: str
    choices: [active, deleted, all]
    default: active
  include_docker_conflicts:
    description:
      - Also return RV(docker_conflicts), the packages that conflict in GitHub's Docker to container registry migration.
    type: bool
    default: false
  include_health:
    description:
      - Also return RV(packages[].health) for every V(container) package, the broken images and orphans found in its image graph.
        An I(index) (a multi-arch image) whose entries are no longer versions of the package is broken, since pulling those
        platforms fails with C(manifest unknown); an I(orphan) exists for something no longer in the package, see
        O(ghpkgs.registry.package_version#module:orphans), which deletes them.
      - Also returns the size of the package and of each image, from the config and layer sizes that the manifests name, each
        blob counted once (layers shared by platforms or images are not counted twice). Approximate by nature, since the
        registry compresses and deduplicates in its own way.
      - Reads the manifest of every active version of each container package from the container registry (O(registry_url)),
        once each, in parallel (at most O(max_concurrency)). On github.com each manifest read may count as a download of the
        package.
      - Lists the active versions of each container package, unless O(include_versions=true) with O(version_state) V(active)
        or V(all) already did.
      - A manifest that cannot be read is reported in RV(packages[].health.error) with a warning; the other packages are still
        checked.
    type: bool
    default: false
  registry_url:
    description:
      - The container registry to read manifests from for O(include_health), see
        O(ghpkgs.registry.package_version#module:registry_url). Derived from O(api_url) when omitted.
    type: str
notes:
  - Requests are few by design, one per 100 packages of each type, no request per package unless O(include_versions=true)
    or O(name) holds only exact names; O(owner_type=auto) adds one request to tell an organization from a user.
seealso:
  - name: GitHub REST API for packages
    description: The endpoints this module calls.
    link: https://docs.github.com/en/rest/packages/packages
"""

EXAMPLES = r"""
- name: List every package of an organization
  ghpkgs.registry.package_info:
    token: "{{ github_token }}"
    owner: octo-org
  register: inventory

- name: Container images of the token's own account, with their tagged and untagged versions
  ghpkgs.registry.package_info:
    package_type: [container]
    include_versions: true
  register: mine

- name: Public npm packages whose names start with app-, on GitHub Enterprise Server
  ghpkgs.registry.package_info:
    api_url: https://ghe.example.com/api/v3
    owner: platform
    owner_type: org
    package_type: [npm]
    name: ["app-*"]
    visibility: public

- name: Versions deleted in the last 30 days of one container image (still restorable)
  ghpkgs.registry.package_info:
    owner: octo-org
    package_type: [container]
    name: [team/app]
    include_versions: true
    version_state: deleted
  register: restorable

- name: Show the tags of every version
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.tags | join(', ') }}"
  loop: "{{ restorable.packages[0].versions }}"

- name: Broken images and orphans of every container image of an organization
  ghpkgs.registry.package_info:
    owner: octo-org
    package_type: [container]
    include_health: true
  register: health

- name: Show what is wrong with each image
  ansible.builtin.debug:
    msg: "{{ item.name }}: {{ item.health.counts }}"
  loop: "{{ health.packages | selectattr('health.counts') | list }}"
"""

RETURN = r"""
packages:
  description:
    - The packages found, sorted by name (ignoring case), then package type.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: GitHub's ID of the package.
      returned: always
      type: int
      sample: 197
    name:
      description: The package name.
      returned: always
      type: str
      sample: team/app
    package_type:
      description: The package type.
      returned: always
      type: str
      sample: container
    visibility:
      description: V(public), V(private) or V(internal).
      returned: always
      type: str
      sample: private
    version_count:
      description: The number of active versions, as GitHub counts them.
      returned: always
      type: int
      sample: 12
    repository:
      description: The full name of the repository the package is linked to, or V(null) when it is not linked.
      returned: always
      type: str
      sample: octo-org/app
    owner:
      description: The login of the owner of the package.
      returned: always
      type: str
      sample: octo-org
    created_at:
      description: When the package was created (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2024-05-01T12:00:00Z"
    updated_at:
      description: When the package was last updated (ISO 8601, UTC).
      returned: always
      type: str
      sample: "2025-01-20T08:30:00Z"
    html_url:
      description: The package's page on GitHub.
      returned: always
      type: str
      sample: https://github.com/orgs/octo-org/packages/container/package/team%2Fapp
    versions:
      description:
        - The package's versions in the state O(version_state), newest first (by creation time, then ID).
        - Trimmed by O(return_versions) - empty with V(changed) (an inventory changes nothing), not returned with V(none);
          RV(packages[].versions_listed) still counts them.
      returned: when O(include_versions=true), unless O(return_versions=none)
      type: list
      elements: dict
      contains:
        id:
          description: GitHub's ID of the version.
          returned: always
          type: int
          sample: 4567
        name:
          description: The version name; for containers the manifest digest.
          returned: always
          type: str
          sample: sha256:3c8e1a2b7d9f0e4c5a6b8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a
        tags:
          description: The tags of a C(container) or C(docker) version; empty for untagged versions and for other types.
          returned: always
          type: list
          elements: str
          sample: [latest, "1.4.2"]
        created_at:
          description: When the version was created (ISO 8601, UTC).
          returned: always
          type: str
          sample: "2025-01-20T08:30:00Z"
        updated_at:
          description: When the version was last updated (ISO 8601, UTC).
          returned: always
          type: str
          sample: "2025-01-20T08:30:00Z"
        deleted_at:
          description: When the version was deleted (ISO 8601, UTC), or V(null) for an active version.
          returned: always
          type: str
          sample: "2025-02-01T10:00:00Z"
        html_url:
          description: The version's page on GitHub.
          returned: always
          type: str
          sample: https://github.com/orgs/octo-org/packages/container/team%2Fapp/4567
    versions_listed:
      description: How many versions of the package were listed in the state O(version_state), whatever O(return_versions) returns.
      returned: when O(include_versions=true)
      type: int
      sample: 12
    health:
      description:
        - The broken images and orphans of a V(container) package, see O(include_health).
      returned: for container packages when O(include_health=true)
      type: dict
      contains:
        error:
          description: Why the health could not be told (a manifest that could not be read), or V(null).
          returned: always
          type: str
          sample: null
        manifests_read:
          description: How many manifests were read from the registry for this package.
          returned: always
          type: int
          sample: 9
        counts:
          description:
            - C(broken_images), C(orphans), and the orphans of each kind (C(orphan_signatures), C(orphan_referrers),
              C(orphan_attestations), C(orphan_images)); V(null) when RV(packages[].health.error) is set.
          returned: always
          type: dict
          sample: {broken_images: 1, orphans: 3, orphan_signatures: 1, orphan_referrers: 0, orphan_attestations: 0, orphan_images: 2}
        broken:
          description: The indexes some of whose entries are gone, by version id, each with its C(missing) entries (C(digest) and
            C(platform), like V(linux/arm64), V(attestation) for a buildx attestation, or V(null)).
          returned: always
          type: list
          elements: dict
          sample:
            - id: 4567
              name: sha256:3c8e1a2b7d9f0e4c5a6b8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a
              tags: [v1.2.0, latest]
              missing: [{digest: "sha256:9f0e4c5a6b8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a3c8e1a2b7d", platform: linux/arm64}]
        bytes:
          description: The size of the package, every config and layer blob named by its manifests counted once; V(null) when
            RV(packages[].health.error) is set.
          returned: always
          type: int
          sample: 181503211
        images:
          description:
            - Every image (a version that no index lists, tagged or not, signatures and referrers included) by version id, with
              its C(bytes), the blobs of its manifest and of its entries, each counted once.
          returned: always
          type: list
          elements: dict
          sample:
            - {id: 4567, name: "sha256:3c8e1a2b7d9f0e4c5a6b8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a", tags: [v1.2.0, latest], bytes: 90713422}
        orphans:
          description:
            - The orphans, by version id, each with its C(kind) (V(signature), V(referrer), V(attestation) or V(image)) and the
              C(reason) that O(ghpkgs.registry.package_version#module:orphans) would give when deleting it.
          returned: always
          type: list
          elements: dict
          sample:
            - id: 4570
              name: sha256:5a6b8d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a3c8e1a2b7d9f0e4c
              tags: [sha256-0b1c2d3e4f5a6b7c8d9e0f1a3c8e1a2b7d9f0e4c5a6b8d1e2f3a4b5c6d7e8f9a.sig]
              kind: signature
              reason: "orphan: cosign tag sha256-0b1c....sig of sha256:0b1c..., which is no longer in the package"
diagnostics:
  description:
    - Why the result may hold less than expected, one sentence each with the cause and the fix, also given as warnings -
      no package of the requested types visible to the token at all, or a glob of O(name) that matched none of the packages
      listed. Empty when the listings and every glob found something, or when O(name) holds only exact names (a missing exact
      name fails the task).
  returned: always
  type: list
  elements: str
  sample: ["name: the glob 'app-*' matched none of the 12 npm packages listed for the org acme; check the glob (case-sensitive, whole names)"]
docker_conflicts:
  description:
    - The packages that conflict in GitHub's Docker to container registry migration, sorted by name (ignoring case), then package type,
      with the same keys as RV(packages) (without versions).
  returned: when O(include_docker_conflicts=true)
  type: list
  elements: dict
  sample:
    - id: 311
      name: legacy-app
      package_type: docker
      visibility: private
      version_count: 3
      repository: octo-org/legacy-app
      owner: octo-org
      created_at: "2021-03-02T09:00:00Z"
      updated_at: "2021-06-11T15:20:00Z"
      html_url: https://github.com/orgs/octo-org/packages/docker/package/legacy-app
"""

import typing as t
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import MissingScopes, NotFound, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._oci import ORPHAN_KINDS, ImageGraph, ManifestUnreadable
from ansible_collections.ghpkgs.registry.plugins.module_utils._options import container_registry
from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import RegistryClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import RETURN_VERSIONS_OPTION
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    PACKAGE_TYPES,
    REGEX_PREFIX,
    Version,
    parse_timestamp,
    pattern_matcher,
    validate_globs,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._versions import read_manifests

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "package_type": {"type": "list", "elements": "str", "choices": list(PACKAGE_TYPES)},
    "name": {"type": "list", "elements": "str"},
    "visibility": {"type": "str", "choices": ["public", "private", "internal"]},
    "include_versions": {"type": "bool", "default": False},
    "version_state": {"type": "str", "default": "active", "choices": ["active", "deleted", "all"]},
    "include_docker_conflicts": {"type": "bool", "default": False},
    "include_health": {"type": "bool", "default": False},
    "registry_url": {"type": "str"},
    **RETURN_VERSIONS_OPTION,
}
_GLOB_CHARS = frozenset("*?[")


def health_registry_url(params: dict[str, t.Any], types: list[str]) -> t.Optional[str]:
    """The registry to read manifests from for include_health (None without it); OptionError naming the option and the fix."""
    if params["include_health"] and "container" not in types:
        raise OptionError("include_health: only container packages have image health; add container to package_type, or remove include_health")
    return container_registry(params, params["include_health"], "remove include_health")


class Query:
    """The validated options: which types, which names, what to include."""

    def __init__(self, params: dict[str, t.Any]) -> None:
        self.explicit_types = params["package_type"] is not None
        types = params["package_type"] if self.explicit_types else list(PACKAGE_TYPES)
        if not types:
            raise OptionError("package_type: an empty list selects nothing; name at least one type, or omit the option for all six")
        self.types = list(dict.fromkeys(types))
        names = params["name"] or []
        validate_globs(names, "name")
        for name in names:
            if not name.strip():
                raise OptionError("name: %r is blank; remove it, or give a package name or a glob" % (name,))
        self.globs = [name for name in names if _GLOB_CHARS.intersection(name) or name.startswith(REGEX_PREFIX)]
        self.exact = list(dict.fromkeys(name for name in names if name not in self.globs))
        self.glob_matchers = [(glob, pattern_matcher((glob,), "name")) for glob in self.globs]
        self.list_all = not names
        self.visibility: t.Optional[str] = params["visibility"]
        self.include_versions: bool = params["include_versions"]
        self.version_states = ["active", "deleted"] if params["version_state"] == "all" else [params["version_state"]]
        self.include_docker_conflicts: bool = params["include_docker_conflicts"]
        self.include_health: bool = params["include_health"]
        self.registry_url = health_registry_url(params, self.types)

    def matches(self, name: str) -> bool:
        """Whether a listed package name is wanted (exact names compare as strings, globs with fnmatch rules, re: entries as
        regular expressions)."""
        if self.list_all or name in self.exact:
            return True
        return any(matches(name) for dummy, matches in self.glob_matchers)


def package_info(item: dict[str, t.Any]) -> dict[str, t.Any]:
    """The fields of one of GitHub's package objects that this module returns."""
    repository = item.get("repository") or {}
    return {
        "id": item.get("id"),
        "name": item.get("name"),
        "package_type": item.get("package_type"),
        "visibility": item.get("visibility"),
        "version_count": item.get("version_count"),
        "repository": repository.get("full_name"),
        "owner": (item.get("owner") or {}).get("login"),
        "created_at": item.get("created_at"),
        "updated_at": item.get("updated_at"),
        "html_url": item.get("html_url"),
    }


VERSION_KEYS = ("id", "name", "tags", "created_at", "updated_at", "deleted_at", "html_url")


class VersionInfo(t.Mapping[str, t.Any]):
    """One returned version: a read-only mapping of VERSION_KEYS.

    Slots rather than a dict: with 100,000 versions they save about 20 MB at the moment ansible-core copies the result
    (its copy, which it serializes, is made of plain dicts).
    """

    __slots__ = VERSION_KEYS

    def __init__(self, item: dict[str, t.Any], package_type: str) -> None:
        version = Version.from_api(item, package_type).as_dict()
        version["html_url"] = item.get("html_url")
        for key in VERSION_KEYS:
            setattr(self, key, version[key])

    def __getitem__(self, key: str) -> t.Any:
        if key not in VERSION_KEYS:
            raise KeyError(key)
        return getattr(self, key)

    def __iter__(self) -> t.Iterator[str]:
        return iter(VERSION_KEYS)

    def __len__(self) -> int:
        return len(VERSION_KEYS)

    def __repr__(self) -> str:
        return repr(dict(self))


def _newest_first(version: VersionInfo) -> tuple[str, int]:
    # Timestamps are UTC with a "Z" (format_timestamp): as strings they sort by time once whole seconds get a fraction too.
    stamp = version["created_at"][:-1]
    return (stamp if "." in stamp else stamp + ".000000", version["id"])


def _package_key(package: dict[str, t.Any]) -> tuple[str, str, str]:
    # As a person reads a list: Acme.Core between acme-app and acme-web, not before every lower-case name.
    name = package["name"] or ""
    return (name.casefold(), name, package["package_type"] or "")


class Inventory:
    """Collects the packages of one owner with as few requests as the options allow."""

    def __init__(self, module: GitHubPackagesModule, query: Query) -> None:
        self.module = module
        self.client = module.client
        self.query = query
        self.skipped: dict[str, MissingScopes] = {}
        self.listed = 0  # packages the listings returned, before the name filter
        self.matched_globs: set[str] = set()
        self.diagnostics: list[str] = []

    def owner(self) -> Owner:
        return self.module.owner

    def packages(self, owner: Owner) -> list[dict[str, t.Any]]:
        query = self.query
        fetch = self._get_exact if query.exact and not query.globs else self._list
        found: list[dict[str, t.Any]] = []
        for package_type in query.types:
            try:
                found.extend(fetch(owner, package_type))
            except MissingScopes as error:
                # With the default type list, a type the token cannot read (maven needs repo) is skipped.
                if query.explicit_types:
                    raise
                self.skipped[package_type] = error
        if len(self.skipped) == len(query.types):
            raise next(iter(self.skipped.values()))
        for package_type, skipped in self.skipped.items():
            self.module.warn("package_type %s skipped: the token lacks scopes %s for it; add them, or set package_type to silence this"
                             % (package_type, ", ".join(skipped.missing_scopes)))
        self._check_exact_names_found(found)
        if not (query.exact and not query.globs):
            self._diagnose_listing(found)
        found.sort(key=_package_key)
        return found

    def _diagnose_listing(self, found: list[dict[str, t.Any]]) -> None:
        """Warn (and keep in diagnostics) when the listings showed nothing, or a glob matched nothing: never a silent empty result."""
        params = self.module.params
        whose = "the %s %s" % (self.module.owner.kind, params["owner"]) if params["owner"] else "the token's own account"
        types = " or ".join(t for t in self.query.types if t not in self.skipped)
        visibility = " with visibility %s" % self.query.visibility if self.query.visibility else ""
        if not self.listed:
            self.diagnostics.append(
                "no %s packages%s are visible to the token for %s: the owner has none, or the token's user cannot see them "
                "(private packages need read access to each package, and a workflow's GITHUB_TOKEN cannot list packages at all); "
                "check owner and package_type, use a token whose user can read the packages, or name the packages" % (types, visibility, whose))
        else:
            for glob in self.query.globs:
                if glob not in self.matched_globs:
                    self.diagnostics.append("name: the glob %r matched none of the %d %s packages%s listed for %s; check the glob "
                                            "(case-sensitive, whole names)" % (glob, self.listed, types, visibility, whose))
        for message in self.diagnostics:
            self.module.warn(message)

    def _list(self, owner: Owner, package_type: str) -> list[dict[str, t.Any]]:
        try:
            found = []
            for item in self.client.list_packages(owner, package_type, self.query.visibility):
                self.listed += 1
                name = item.get("name") or ""
                self.matched_globs.update(glob for glob, matches in self.query.glob_matchers if matches(name))
                if self.query.matches(name):
                    found.append(package_info(item))
            return found
        except NotFound as error:
            if self.module.params["owner"] is None:
                raise
            self.module.fail_unknown_owner(error)

    def _get_exact(self, owner: Owner, package_type: str) -> list[dict[str, t.Any]]:
        result = []
        for name in self.query.exact:
            try:
                item = self.client.get_package(owner, package_type, name)
            except NotFound:
                continue
            if self.query.visibility in (None, item.get("visibility")):
                result.append(package_info(item))
        return result

    def _check_exact_names_found(self, found: list[dict[str, t.Any]]) -> None:
        names = {package["name"] for package in found}
        missing = [name for name in self.query.exact if name not in names]
        if not missing:
            return
        searched = [package_type for package_type in self.query.types if package_type not in self.skipped]
        where = "of type %s" % ", ".join(searched)
        if self.query.visibility:
            where += " with visibility %s" % self.query.visibility
        if self.skipped:
            where += " (not searched for lack of scopes: %s)" % ", ".join(self.skipped)
        params = self.module.params
        owner = repr(params["owner"]) if params["owner"] else "the token's own account"
        if params["owner_type"] != "auto":
            owner += " (or no %s %r exists)" % ("organization" if params["owner_type"] == "org" else "user", params["owner"])
        self.module.fail("name: no package named %s %s for %s; check the name, package_type and visibility"
                         % (", ".join(repr(name) for name in missing), where, owner), missing=missing)

    def versions(self, owner: Owner, package: dict[str, t.Any]) -> list[VersionInfo]:
        package_type = package["package_type"]
        # Each item becomes its result right away: with 100,000 versions, nothing else per version stays in memory.
        found = [VersionInfo(item, package_type)
                 for state in self.query.version_states
                 for item in self.client.list_versions(owner, package_type, package["name"], state)]
        found.sort(key=_newest_first, reverse=True)
        return found

    def docker_conflicts(self, owner: Owner) -> list[dict[str, t.Any]]:
        return sorted((package_info(item) for item in self.client.list_docker_conflicts(owner)), key=_package_key)


def health_versions(package: dict[str, t.Any], listed: t.Optional[list[VersionInfo]], inventory: Inventory, owner: Owner) -> list[Version]:
    """The active versions of a container package: from its returned versions when they include the active ones, else listed."""
    if listed is None:
        return [Version.from_api(item, "container") for item in inventory.client.list_versions(owner, "container", package["name"], "active")]
    return [Version(v["id"], v["name"], tuple(v["tags"]), parse_timestamp(v["created_at"], "created_at"),
                    parse_timestamp(v["updated_at"], "updated_at"), None, "container") for v in listed if v["deleted_at"] is None]


def image_health(module: GitHubPackagesModule, registry: RegistryClient, login: str, package: dict[str, t.Any],
                 versions: list[Version]) -> dict[str, t.Any]:
    """RV(packages[].health) of one container package; a manifest that cannot be read is reported (error) and warned about."""
    name = package["name"]
    graph = ImageGraph(versions, lambda digests: read_manifests(registry, login, name, digests, module.params["max_concurrency"]))
    try:
        graph.read_all()  # sizes need the layers of every manifest, platform images included
        health = graph.health()
    except ManifestUnreadable as error:
        module.warn(f"container {name}: image health not checked, {error}; fix access to the registry ({registry.registry_url}) and run again")
        return {"error": str(error), "manifests_read": graph.reads, "counts": None, "broken": [], "orphans": [], "bytes": None, "images": []}
    by_id = graph.versions
    broken = [{"id": i, "name": by_id[i].name, "tags": list(by_id[i].tags),
               "missing": [{"digest": c.digest, "platform": "attestation" if c.attestation else c.platform} for c in entries]}
              for i, entries in health.broken.items()]
    orphans = [{"id": i, "name": by_id[i].name, "tags": list(by_id[i].tags), "kind": kind, "reason": reason}
               for i, (kind, reason) in health.orphans.items()]
    counts = {"broken_images": len(broken), "orphans": len(orphans)}
    counts.update((f"orphan_{kind}s", sum(1 for o in orphans if o["kind"] == kind)) for kind in ORPHAN_KINDS)
    total, sizes = graph.sizes()
    images = [{"id": i, "name": by_id[i].name, "tags": list(by_id[i].tags), "bytes": size} for i, size in sizes.items()]
    return {"error": None, "manifests_read": graph.reads, "counts": counts, "broken": broken, "orphans": orphans, "bytes": total,
            "images": images}


def add_health(module: GitHubPackagesModule, registry: RegistryClient, inventory: Inventory, owner: Owner,
               packages: list[dict[str, t.Any]]) -> None:
    """Set packages[].health on every container package, one package after the other (each reads in parallel)."""
    containers = [package for package in packages if package["package_type"] == "container"]
    if not containers:
        return
    login = owner.login if owner.login is not None else inventory.client.get_authenticated_user()["login"]
    active_listed = inventory.query.include_versions and "active" in inventory.query.version_states
    for package in containers:
        versions = health_versions(package, package["versions"] if active_listed else None, inventory, owner)
        package["health"] = image_health(module, registry, login, package, versions)


def run(module: GitHubPackagesModule) -> dict[str, t.Any]:
    query = Query(module.params)
    # Made first: a bad registry_url fails before any request.
    registry = None if query.registry_url is None else module.registry(query.registry_url)
    return inventory_result(module, query, registry)


def inventory_result(module: GitHubPackagesModule, query: Query, registry: t.Optional[RegistryClient]) -> dict[str, t.Any]:
    inventory = Inventory(module, query)
    owner = inventory.owner()
    packages = inventory.packages(owner)
    if query.include_versions:
        # The listings of different packages are independent: run them side by side, max_concurrency at a time.
        with ThreadPoolExecutor(max_workers=module.params["max_concurrency"]) as pool:
            for package, versions in zip(packages, pool.map(lambda package: inventory.versions(owner, package), packages)):
                package["versions"], package["versions_listed"] = versions, len(versions)
    if registry is not None:
        add_health(module, registry, inventory, owner, packages)
    result: dict[str, t.Any] = {"changed": False, "packages": packages, "diagnostics": inventory.diagnostics}
    if query.include_docker_conflicts:
        result["docker_conflicts"] = inventory.docker_conflicts(owner)
    return result


def main() -> None:
    module = GitHubPackagesModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.run(lambda: run(module))


if __name__ == "__main__":
    main()
