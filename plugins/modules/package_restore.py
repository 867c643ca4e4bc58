#!/usr/bin/python
# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_restore
short_description: Restore GitHub Packages and package versions deleted within the last 30 days
version_added: 0.1.0
description:
  - Restores a deleted package, deleted versions of a package, or everything listed in a cleanup report.
  - GitHub keeps deleted packages and versions for 30 days, and restores one only while its name is not used again.
  - Works in two steps, first a plan from GitHub's listings, then the restores. In check mode only the plan is made and no write request is sent.
  - The plan lists a package's deleted versions, and its active versions only when needed, that is in check mode, with O(version_ids),
    O(versions) or O(tags), or when a version of the report is not among the deleted ones. So restoring a report costs one listing
    request per 100 deleted versions of each package and one request per version restored.
  - Untagged versions are restored before tagged ones, so that the platform manifests of a multi-arch index are back before their index.
  - Something that is already active is reported as RV(restores[].outcome=already_present) and changes nothing,
    so running the same task twice is safe.
  - A package asked for by O(name) whose name an active package holds may be the one restored already, or a new package that took
    the name of the deleted one. GitHub cannot list deleted packages, so one restore request tells them apart. GitHub refuses it when
    a deleted package waits behind the name, and the item fails naming the active package's id, since the deleted one stays deleted
    until the new package is deleted; otherwise the package is V(already_present). A cleanup report entry with the package's C(id) (those
    of the C(ghpkgs.registry.org_cleanup) role have it) tells them apart without this request.
  - An item that cannot be restored (deleted more than 30 days ago, name taken again) is reported as
    RV(restores[].outcome=failed) with the reason and what to do; the other items are still restored, and the task fails at the end,
    with every item in the result.
author:
  - ghpkgs.registry contributors (@ghpkgs)
extends_documentation_fragment:
  - ghpkgs.registry.github
  - ghpkgs.registry.github.attributes
attributes:
  check_mode:
    support: full
    details:
      - GitHub cannot list deleted packages, so when a whole package must be restored, check mode predicts
        RV(restores[].outcome=restored) and says in RV(restores[].reason) that only the restore itself tells whether GitHub still has it.
        The versions of such a package are predicted the same way, since they cannot be listed before the package is restored.
      - For the same reason, a package asked for by O(name) whose name an active package holds is predicted
        RV(restores[].outcome=already_present), with a note in RV(restores[].reason) that only the restore itself tells whether the
        name was taken by another package.
  diff_mode:
    support: none
  idempotent:
    support: full
options:
  package_type:
    description:
      - The type of the package.
      - Required with O(name); not allowed with O(from_report).
    type: str
    choices: [npm, maven, rubygems, docker, nuget, container]
  name:
    description:
      - The name of the package, for example V(team/app) for a container image.
      - Without a version selector (O(version_ids), O(versions), O(tags), O(deleted_after)) the package itself is restored.
        With one, the deleted versions it selects are restored; all given selectors must match.
    type: str
  restore_token:
    description:
      - GitHub's restore token choosing which one to restore when several deleted packages share O(name).
      - Only when restoring the package itself.
    type: str
  version_ids:
    description:
      - Deleted versions with these ids.
      - An id that is active already is RV(restores[].outcome=already_present); an id that is neither deleted nor active fails.
    type: list
    elements: int
  versions:
    description:
      - Deleted versions whose name matches one of these names or shell-style globs (V(1.2.*)). A container version's name is its digest.
    type: list
    elements: str
  tags:
    description:
      - Deleted versions with a tag matching one of these tags or shell-style globs (C(container) and C(docker) only).
      - One matching tag is enough (restoring never loses data), unlike O(ghpkgs.registry.package_version#module:tags), which
        deletes a version only when all its tags match.
    type: list
    elements: str
  deleted_after:
    description:
      - Deleted versions whose deletion time is at or after this moment.
      - An ISO 8601 timestamp (V(2026-11-22T03:00:00Z)), or a duration back from now, such as V(2h) for deleted in the last two hours
        (a number followed by V(s), V(m), V(h), V(d) or V(w); a plain number means days).
    type: str
  from_report:
    description:
      - Path to a cleanup report (the JSON file written by the cleanup role; see the collection's C(docs/cleanup-report.md)).
      - Restores every package marked C(package_deleted) first, then every listed version, package after package.
      - The report's C(owner) and C(owner_type) are used. O(owner), when given, must be the report's owner, and O(api_url) must be
        the report's, since restoring into another server or account is a mistake.
      - A dry-run report fails, since its cleanup deleted nothing.
      - Not allowed with O(package_type), O(name), O(restore_token) or version selectors.
    type: path
notes:
  - Restoring needs the token scopes C(read:packages) and C(write:packages) (plus C(repo) for repository-scoped registries);
    a missing scope is named in the error.
  - Restoring a multi-arch container index also restores the platform manifests that were deleted along with it.
  - A restore whose answer was lost (a connection error or 5xx after the retries, or a repeated request that GitHub answers 404
    or 409 because its first attempt was applied) is checked by reading the package or version back, and reported as restored only if it is
    active. A version restore answered 404 is checked the same way (a platform manifest comes back with its multi-arch index).
seealso:
  - module: ghpkgs.registry.package
  - module: ghpkgs.registry.package_version
  - name: Restoring a deleted package
    description: GitHub's documentation.
    link: https://docs.github.com/en/packages/learn-github-packages/deleting-and-restoring-a-package
"""

EXAMPLES = r"""
- name: Restore the versions a cleanup deleted, from its report
  ghpkgs.registry.package_restore:
    from_report: /var/lib/ghpkgs/cleanup-report.json

- name: Restore a deleted container image
  ghpkgs.registry.package_restore:
    owner: octo-org
    package_type: container
    name: team/app

- name: Restore the versions of an npm package deleted in the last two hours
  ghpkgs.registry.package_restore:
    owner: octo-org
    package_type: npm
    name: left-pad
    deleted_after: 2h

- name: Restore what package_version deleted, from its result
  ghpkgs.registry.package_restore:
    owner: octo-org
    package_type: container
    name: team/app
    version_ids: "{{ cleanup.versions | selectattr('outcome', 'equalto', 'deleted') | map(attribute='id') | list }}"

- name: Restore the deleted versions tagged v1.*, and see what would happen first
  ghpkgs.registry.package_restore:
    owner: octo-org
    package_type: container
    name: team/app
    tags: ["v1.*"]
  check_mode: true
  register: plan
"""

RETURN = r"""
restores:
  description:
    - Every package and version considered, with its outcome, packages before their versions.
  returned: always
  type: list
  elements: dict
  contains:
    package_type:
      description: The package type.
      type: str
      returned: always
      sample: container
    package:
      description: The package name.
      type: str
      returned: always
      sample: team/app
    version_id:
      description: The version id; V(null) when the item is the package itself.
      type: int
      returned: always
      sample: 123456
    version:
      description: The version name (a digest for container images); V(null) for the package itself.
      type: str
      returned: always
      sample: sha256:4f5a1c0e8a3b
    tags:
      description: The version's tags (C(container) and C(docker)); empty for a package item.
      type: list
      elements: str
      returned: always
      sample: [v1.2.0]
    deleted_at:
      description: When the version was deleted, if known.
      type: str
      returned: always
      sample: "2026-11-22T03:00:00Z"
    outcome:
      description:
        - V(restored) (in check mode, would be restored), V(already_present) (active already, nothing done) or V(failed).
      type: str
      returned: always
      sample: restored
    reason:
      description: Why an item failed and what to do, or a note on a prediction; V(null) otherwise.
      type: str
      returned: always
      sample: "GitHub answered 409: an active version with the same name exists again (id 789)"
counts:
  description: How many items had each outcome.
  type: dict
  returned: always
  sample: {"restored": 3, "already_present": 1, "failed": 0}
  contains:
    restored:
      description: Items restored (in check mode, that would be restored).
      type: int
      returned: always
      sample: 3
    already_present:
      description: Items that were active already.
      type: int
      returned: always
      sample: 1
    failed:
      description: Items that could not be restored.
      type: int
      returned: always
      sample: 0
"""

import typing as t
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import (
    Conflict,
    GitHubAPIError,
    InvalidRequest,
    NotFound,
    OptionError,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._report import Report, ReportVersion, load_report, normalize_api_url
from ansible_collections.ghpkgs.registry.plugins.module_utils._restore import RESTORED_ALONG, restore_package, restore_version
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES, Policy, Version, parse_since, selector

RESTORED = "restored"
ALREADY_PRESENT = "already_present"
FAILED = "failed"

SELECTORS = ("version_ids", "versions", "tags", "deleted_after")

PACKAGE_GONE = (
    "GitHub answered 404 to the restore: no deleted package of this name can be restored{token}; it was deleted more than 30 days ago "
    "(GitHub keeps deleted packages for 30 days), never existed, or the token's user cannot administer it; publish it again to get it back"
)
PACKAGE_TAKEN = (
    "the name is taken by another, active package{ids}, so the deleted package is still deleted: GitHub restores a deleted package "
    "only while its name is free. If the deleted one should come back instead, delete the new package first "
    "(ghpkgs.registry.package with state=absent), then run this again"
)
PACKAGE_MAYBE_TAKEN = (
    "check mode: an active package of this name exists (id {id}); GitHub cannot list deleted packages, so only the restore itself "
    "tells whether it is the one to restore or another package that took the name of a deleted one, which then stays deleted"
)
PACKAGE_PREDICTED = (
    "check mode: GitHub cannot list deleted packages, so only the restore itself tells whether it was deleted within the last "
    "30 days and can still be restored"
)
VERSIONS_PREDICTED = "check mode: the package is deleted, so its versions can only be checked once it is restored"
PACKAGE_MISSING = (
    "the package does not exist or is deleted{why}; to restore a deleted package, run package_restore without version selectors "
    "(or ghpkgs.registry.package with state=present) first"
)
VERSION_GONE = (
    "not among the package's deleted or active versions: it was deleted more than 30 days ago (GitHub keeps deleted versions "
    "for 30 days) or the id is wrong; publish it again to get it back"
)
VERSION_EXPIRED = (
    "GitHub answered 404 to the restore: it was deleted more than 30 days ago (GitHub keeps deleted versions for 30 days); "
    "publish it again to get it back"
)
VERSION_TAKEN = (
    "{how}an active version with the same name exists again{other}; delete that one first "
    "(ghpkgs.registry.package_version) if this one should replace it, then run this again"
)
RESTORED_WITH_PACKAGE = "restored along with its package"
PACKAGE_NOT_RESTORED = "its package could not be restored (see the package's item)"


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Target:
    """One package to work on, and what to restore of it."""

    package_type: str
    name: str
    restore_package: bool
    restore_token: t.Optional[str] = None
    package_id: t.Optional[int] = None
    report_versions: t.Optional[t.Tuple[ReportVersion, ...]] = None
    selects: t.Optional[t.Callable[[Version], bool]] = None
    identity: t.Optional[t.Callable[[Version], bool]] = None  # which active versions to report as already present
    version_ids: t.Tuple[int, ...] = ()  # ids asked for by the user: each must be found, deleted or active

    @property
    def restores_versions(self) -> bool:
        return self.selects is not None or bool(self.report_versions)


def _item(target: Target, outcome: str, reason: t.Optional[str] = None, version: t.Union[Version, ReportVersion, None] = None) -> t.Dict[str, t.Any]:
    item: t.Dict[str, t.Any] = {
        "package_type": target.package_type,
        "package": target.name,
        "version_id": None,
        "version": None,
        "tags": [],
        "deleted_at": None,
        "outcome": outcome,
        "reason": reason,
    }
    if isinstance(version, Version):
        item.update(version_id=version.id, version=version.name, tags=list(version.tags), deleted_at=version.as_dict()["deleted_at"])
    elif version is not None:
        item.update(version_id=version.id, version=version.name, tags=list(version.tags), deleted_at=version.deleted_at)
    return item


def _taken(target: Target, active: t.Optional[t.Mapping[str, t.Any]]) -> t.Dict[str, t.Any]:
    """The failed item of a package whose name another, active package holds (None: it could not be read)."""
    ids = ""
    if active is not None:
        known = "" if target.package_id is None else "; the deleted one had id %d" % target.package_id
        ids = " (id %s%s)" % (active.get("id"), known)
    return _item(target, FAILED, PACKAGE_TAKEN.format(ids=ids))


def targets_from_params(params: t.Mapping[str, t.Any], now: datetime) -> t.List[Target]:
    """The target named by package_type/name and the version selectors; OptionError naming the option on anything wrong."""
    if not params["name"] or not params["name"].strip():
        raise OptionError("name: must not be empty")
    given = [option for option in SELECTORS if params[option] is not None]
    if not given:
        if params["restore_token"] is not None and not params["restore_token"]:
            raise OptionError("restore_token: must not be empty; omit it unless several deleted packages share the name")
        return [Target(params["package_type"], params["name"], restore_package=True, restore_token=params["restore_token"])]
    if params["restore_token"] is not None:
        raise OptionError("restore_token: only restores the package itself; remove it, or remove %s" % ", ".join(given))
    for version_id in params["version_ids"] or ():
        if version_id < 1:
            raise OptionError("version_ids: %d is not a version id (a positive integer)" % version_id)
    policy = Policy(version_ids=params["version_ids"], versions=params["versions"], tags=params["tags"])
    identity = selector(policy, now, any_tag=True)
    since = None if params["deleted_after"] is None else parse_since(params["deleted_after"], now, "deleted_after")

    def selects(version: Version) -> bool:
        if since is not None and (version.deleted_at is None or version.deleted_at < since):
            return False
        return identity(version)

    identity_given = any(params[option] is not None for option in ("version_ids", "versions", "tags"))
    return [Target(params["package_type"], params["name"], restore_package=False, selects=selects,
                   identity=identity if identity_given else None, version_ids=tuple(params["version_ids"] or ()))]


def owner_from_report(report: Report, params: t.Mapping[str, t.Any], path: str) -> Owner:
    """The report's owner, after checking that api_url, owner and owner_type agree with it."""
    if report.dry_run:
        raise OptionError(
            "from_report: %s is the report of a dry run: its cleanup deleted nothing, so there is nothing to restore; "
            "pass the report of the run that deleted" % path
        )
    if normalize_api_url(report.api_url) != normalize_api_url(params["api_url"]):
        raise OptionError(
            "from_report: the report was written against %s but api_url is %s; restoring into another server is a mistake: "
            "set api_url to %s" % (report.api_url, params["api_url"], report.api_url)
        )
    wanted = params["owner"]
    if wanted is not None:
        if report.owner is None:
            raise OptionError("owner: the report %s is for the token's own account, not %s; omit owner" % (path, wanted))
        if wanted.lower() != report.owner.lower():
            raise OptionError("owner: %s, but the report %s is for %s; omit owner or set it to %s" % (wanted, path, report.owner, report.owner))
    if params["owner_type"] not in ("auto", report.owner_type):
        raise OptionError("owner_type: %s, but the report %s is for a%s %s; omit owner_type" % (
            params["owner_type"], path, "n" if report.owner_type[0] in "aeiou" else "", report.owner_type))
    if report.owner_type == "authenticated":
        return Owner("authenticated")
    return Owner(report.owner_type, report.owner)


def targets_from_report(report: Report) -> t.List[Target]:
    return [
        Target(package.package_type, package.name, restore_package=package.package_deleted, package_id=package.id,
               report_versions=package.versions)
        for package in report.packages
    ]


class Restorer:
    """Plans and performs the restores of a list of targets, collecting one item per package or version."""

    def __init__(self, module: GitHubPackagesModule, owner: Owner) -> None:
        self.module = module
        self.client = module.client
        self.owner = owner
        self.check_mode = module.check_mode
        self.workers = module.params["max_concurrency"]
        self.items: t.List[t.Dict[str, t.Any]] = []

    def run(self, targets: t.Sequence[Target]) -> None:
        for target in targets:
            self.restore(target)

    def restore(self, target: Target) -> None:
        package_restored = False
        if target.restore_package:
            item = self._package(target)
            self.items.append(item)
            if item["outcome"] == FAILED:
                self.items.extend(_item(target, FAILED, PACKAGE_NOT_RESTORED, version) for version in target.report_versions or ())
                return
            package_restored = item["outcome"] == RESTORED
            if package_restored and self.check_mode:
                self.items.extend(_item(target, RESTORED, VERSIONS_PREDICTED, version) for version in target.report_versions or ())
                return
        if target.restores_versions:
            self._versions(target, package_restored)

    def _package(self, target: Target) -> t.Dict[str, t.Any]:
        try:
            package = self.client.get_package(self.owner, target.package_type, target.name)
        except NotFound:
            package = None
        if package is not None and target.package_id is not None:
            return _item(target, ALREADY_PRESENT) if package.get("id") == target.package_id else _taken(target, package)
        if self.check_mode:
            if package is not None:
                return _item(target, ALREADY_PRESENT, PACKAGE_MAYBE_TAKEN.format(id=package.get("id")))
            return _item(target, RESTORED, PACKAGE_PREDICTED)
        # Asked by name only, an active package may be the one to restore (restored already) or a new one that took the name:
        # GitHub cannot list deleted packages, so only the restore tells (409 when a deleted package waits behind the name).
        done = restore_package(self.client, self.owner, target.package_type, target.name, target.restore_token,
                               active_before=package is not None)
        if done.restored:
            return _item(target, RESTORED)
        if isinstance(done.error, Conflict):
            if package is None:
                try:
                    package = self.client.get_package(self.owner, target.package_type, target.name)
                except NotFound:
                    pass
            return _taken(target, package)
        if not isinstance(done.error, NotFound):
            raise t.cast(GitHubAPIError, done.error)
        if package is not None:
            return _item(target, ALREADY_PRESENT)
        token = " with this restore_token" if target.restore_token else ""
        return _item(target, FAILED, PACKAGE_GONE.format(token=token))

    def _listing(self, target: Target, state: str) -> t.List[Version]:
        return [Version.from_api(data, target.package_type) for data in self.client.list_versions(self.owner, target.package_type, target.name, state)]

    def _versions(self, target: Target, package_restored: bool) -> None:
        try:
            deleted = self._listing(target, "deleted")
            deleted_by_id = {version.id: version for version in deleted}
            active = self._listing(target, "active") if self._needs_active(target, deleted_by_id) else []
        except NotFound as error:
            reason = PACKAGE_MISSING.format(why=" (GitHub: %s)" % error.message)
            self.items.append(_item(target, FAILED, reason))
            self.items.extend(_item(target, FAILED, reason, version) for version in target.report_versions or ())
            return
        active_by_id = {version.id: version for version in active}
        active_by_name = {version.name: version for version in active}

        if target.report_versions is not None:
            to_restore = [deleted_by_id[rv.id] for rv in target.report_versions if rv.id in deleted_by_id]
            for rv in target.report_versions:
                if rv.id in deleted_by_id:
                    continue
                if rv.id in active_by_id and package_restored:
                    self.items.append(_item(target, RESTORED, RESTORED_WITH_PACKAGE, rv))
                elif rv.id in active_by_id:
                    self.items.append(_item(target, ALREADY_PRESENT, version=active_by_id[rv.id]))
                else:
                    self.items.append(_item(target, FAILED, VERSION_GONE, rv))
        else:
            selects = t.cast(t.Callable[[Version], bool], target.selects)
            to_restore = [version for version in deleted if selects(version)]
            if target.identity is not None:
                self.items.extend(_item(target, ALREADY_PRESENT, version=version) for version in _oldest_first(active) if target.identity(version))
            for version_id in target.version_ids:
                if version_id not in deleted_by_id and version_id not in active_by_id:
                    self.items.append({**_item(target, FAILED, VERSION_GONE), "version_id": version_id})

        planned = []
        for version in _oldest_first(to_restore):
            taken = active_by_name.get(version.name)
            if taken is not None:
                self.items.append(_item(target, FAILED, VERSION_TAKEN.format(how="", other=" (id %d)" % taken.id), version))
            elif self.check_mode:
                self.items.append(_item(target, RESTORED, version=version))
            else:
                planned.append(version)
        if planned:
            # Restoring a multi-arch index also restores the untagged platform manifests deleted with it, and a manifest
            # restored that way answers 404 to its own restore (one more request to confirm it). The index is tagged and
            # its manifests are not: restore every untagged version before any tagged one.
            done: t.Dict[int, t.Dict[str, t.Any]] = {}
            with ThreadPoolExecutor(max_workers=self.workers) as pool:
                for phase in ([v for v in planned if not v.tags], [v for v in planned if v.tags]):
                    done.update(zip((v.id for v in phase), pool.map(lambda version: self._restore_version(target, version), phase)))
            self.items.extend(done[version.id] for version in planned)

    def _needs_active(self, target: Target, deleted_by_id: t.Mapping[int, Version]) -> bool:
        """Whether the plan needs the listing of active versions, which costs requests.

        Check mode needs it to predict a name taken again (a real restore learns that from GitHub's 409), selectors by
        identity to report active matches as already present, and a report version missing from the deleted listing to
        tell an active version from one gone for good.
        """
        if self.check_mode or target.identity is not None:
            return True
        return any(rv.id not in deleted_by_id for rv in target.report_versions or ())

    def _restore_version(self, target: Target, version: Version) -> t.Dict[str, t.Any]:
        # Every answer ends in an item, so that the other restores go on (see _restore for a lost answer).
        done = restore_version(self.client, self.owner, target.package_type, target.name, version.id)
        if done.restored:
            return _item(target, RESTORED, RESTORED_ALONG if done.along else None, version)
        if isinstance(done.error, Conflict):
            return _item(target, FAILED, VERSION_TAKEN.format(how="GitHub answered 409: ", other=""), version)
        if isinstance(done.error, InvalidRequest):
            return _item(target, FAILED, "GitHub refused: %s" % done.error.message, version)
        if isinstance(done.error, NotFound):
            return _item(target, FAILED, VERSION_EXPIRED, version)
        return _item(target, FAILED, "GitHub did not confirm the restore (%s); run again to retry it" % done.error, version)


def _oldest_first(versions: t.Iterable[Version]) -> t.List[Version]:
    return sorted(versions, key=lambda version: (version.created_at, version.id))


def counts(items: t.Sequence[t.Mapping[str, t.Any]]) -> t.Dict[str, int]:
    result = {RESTORED: 0, ALREADY_PRESENT: 0, FAILED: 0}
    for item in items:
        result[item["outcome"]] += 1
    return result


def summary(numbers: t.Mapping[str, int], check_mode: bool) -> str:
    verb = "would restore" if check_mode else "restored"
    return "%s %d, %d already present, %d failed" % (verb, numbers[RESTORED], numbers[ALREADY_PRESENT], numbers[FAILED])


def main() -> None:
    module = GitHubPackagesModule(
        argument_spec={
            "package_type": {"type": "str", "choices": list(PACKAGE_TYPES)},
            "name": {"type": "str"},
            "restore_token": {"type": "str", "no_log": True},
            "version_ids": {"type": "list", "elements": "int"},
            "versions": {"type": "list", "elements": "str"},
            "tags": {"type": "list", "elements": "str"},
            "deleted_after": {"type": "str"},
            "from_report": {"type": "path"},
        },
        mutually_exclusive=[("from_report", option) for option in ("package_type", "name", "restore_token") + SELECTORS],
        required_one_of=[("from_report", "name")],
        required_together=[("package_type", "name")],
    )

    def work() -> t.Dict[str, t.Any]:
        params = module.params
        if params["from_report"] is not None:
            try:
                report = load_report(params["from_report"])
            except ValueError as error:  # the file named by from_report is not a readable report
                raise OptionError(str(error)) from None
            owner = owner_from_report(report, params, params["from_report"])
            targets = targets_from_report(report)
        else:
            targets = targets_from_params(params, _now())
            owner = module.owner
        restorer = Restorer(module, owner)
        try:
            restorer.run(targets)
        except GitHubAPIError as error:
            numbers = counts(restorer.items)
            module.fail_from_error(error, changed=numbers[RESTORED] > 0, restores=restorer.items, counts=numbers)
        numbers = counts(restorer.items)
        result = {"changed": numbers[RESTORED] > 0, "restores": restorer.items, "counts": numbers}
        if numbers[FAILED]:
            module.fail("%s: %s" % (summary(numbers, module.check_mode), _first_failure(restorer.items)), **result)
        result["msg"] = summary(numbers, module.check_mode)
        return result

    module.run(work)


def _first_failure(items: t.Sequence[t.Mapping[str, t.Any]]) -> str:
    item = next(item for item in items if item["outcome"] == FAILED)
    what = "%s %s" % (item["package_type"], item["package"])
    if item["version_id"] is not None:
        what += " version %s" % item["version_id"]
    return "%s: %s (see restores for all)" % (what, item["reason"])


if __name__ == "__main__":
    main()
