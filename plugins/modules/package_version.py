#!/usr/bin/python
# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_version
short_description: Delete or restore exactly the versions of a GitHub package that a retention rule selects
version_added: 0.1.0
description:
  - Lists the versions of one package once, decides from that one listing which versions the selectors and protections select,
    then deletes them (O(state=absent)) or restores them (O(state=present)).
  - Selectors are combined with AND. Protections then keep some of the selected versions. Nothing outside the selection is ever deleted,
    even when versions are pushed or deleted by someone else during the run.
  - Check mode makes the same plan from the same listing and sends no write request.
  - Requests are one listing page per 100 versions plus one request per change, paced by the client (see O(points_per_minute)).
author:
  - ghpkgs.registry contributors (@ghpkgs)
extends_documentation_fragment:
  - ghpkgs.registry.github
  - ghpkgs.registry.github.attributes
attributes:
  check_mode:
    support: full
    details:
      - GitHub's 5,000-download rule cannot be predicted (no API gives download counts), so check mode reports such versions as
        V(would_delete).
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  package_type:
    description:
      - The registry of the package.
    type: str
    required: true
    choices: [npm, maven, rubygems, docker, nuget, container]
  name:
    description:
      - The package's name, for example V(app) or V(team/app) for a container image. Not a pattern.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the selected active versions.
      - V(present) restores the selected deleted versions (GitHub keeps deleted versions for 30 days). Versions that are already active
        are not listed as deleted, so they are left alone.
    type: str
    choices: [absent, present]
    default: absent
  version_ids:
    description:
      - Selector. Only the versions with these ids.
      - An empty list selects nothing.
    type: list
    elements: int
  versions:
    description:
      - Selector. Only the versions whose name matches one of these names or shell-style globs (case-sensitive, V(*), V(?), V([...])).
      - For V(container) packages the name is the manifest digest (V(sha256:...)); use O(tags) to select by tag.
      - V(['*']) selects every version; it is how O(state=absent) is told to delete them all.
      - An empty list selects nothing.
    type: list
    elements: str
  tags:
    description:
      - Selector. Only the versions with at least one tag matching one of these globs.
      - Only V(container) and V(docker) versions have tags; for other types this selects nothing.
    type: list
    elements: str
  untagged:
    description:
      - Selector. V(true) selects only versions without tags; V(false) only versions with at least one tag.
      - B(Unsafe on multi-arch container images) until manifest awareness lands in a later release, see the notes.
    type: bool
  older_than:
    description:
      - Selector. Only versions whose C(updated_at) is older than this.
      - A number of days (V(7), V(1.5)) or a number followed by V(s), V(m), V(h), V(d) or V(w) (V(90m), V(36h), V(30d), V(2w)).
    type: str
  prerelease:
    description:
      - Selector. V(true) selects only SemVer pre-releases (V(1.2.0-rc.1), V(v2.0.0-beta)); V(false) only the others.
      - Judged on the name, except for V(container) and V(docker) where it is judged on the tags; a version is a pre-release when it
        has at least one SemVer tag and all its SemVer tags are pre-releases (tags like V(latest) or V(pr-12) do not count).
    type: bool
  exclude:
    description:
      - Protection. Versions whose name or any tag matches one of these globs are never touched.
    type: list
    elements: str
    default: []
  keep_latest:
    description:
      - Protection. Among the versions that satisfy the selectors, the N most recently created are kept.
      - Versions kept by O(exclude) count among these N, because they satisfy the selectors.
      - With O(state=present) the N newest selected deleted versions are not restored.
    type: int
    default: 0
  max_versions:
    description:
      - Protection. Act on at most this many versions in this run, the oldest first; the rest are reported as V(skipped).
        Run again to continue, for example to spread a big cleanup over several runs.
    type: int
  delete_package_when_empty:
    description:
      - What to do when the versions to delete are all the active versions of the package (for V(container) packages, when they
        include every tagged version). GitHub refuses to delete the last (tagged) version of C(container) and C(maven) packages,
        and deleting the last version of an C(npm), C(nuget) or C(rubygems) package deletes the package.
      - V(false) keeps the newest of those versions and says why in its RV(versions[].reason).
      - V(true) deletes the whole package with one request instead, if no active version outside the selection would go with it.
        Restore it with M(ghpkgs.registry.package_restore).
      - Only for O(state=absent).
    type: bool
    default: false
notes:
  - B(Multi-arch container images.) A multi-arch image is one tagged version (the index) whose platform images are separate
    I(untagged) versions. Until manifest awareness lands in a later release, this module does not know that; O(untagged=true)
    or a selector that catches untagged versions can delete the platform images of a kept multi-arch image, which then fails to
    pull with C(manifest unknown). Use such selectors only on packages of single-platform images.
  - GitHub refuses to delete public versions with more than 5,000 downloads. Such a version is reported as V(skipped) with GitHub's
    message as its reason, the other versions are still deleted, and a warning is shown.
  - A version that is already gone when it is deleted (for example removed with its multi-arch index, or by a parallel run) is
    reported as V(already_absent) and is not a change.
  - When the token lacks a scope, or is not authorized for the organization's SAML single sign-on, the first write request fails,
    the module stops before any other write, and the error names the missing scopes or the URL to authorize the token.
  - O(older_than) is measured against the controller's clock.
seealso:
  - module: ghpkgs.registry.package_info
  - module: ghpkgs.registry.package_restore
"""

EXAMPLES = r"""
- name: Clean up packages of the acme organization
  module_defaults:
    group/ghpkgs.registry.github:
      token: "{{ github_token }}"
      owner: acme
  block:
    - name: Keep the 10 newest tagged releases of the app image
      ghpkgs.registry.package_version:
        package_type: container
        name: app
        untagged: false
        keep_latest: 10

    - name: Delete untagged versions older than 7 days (single-platform images only, see the notes)
      ghpkgs.registry.package_version:
        package_type: container
        name: app
        untagged: true
        older_than: 7d

    - name: Delete pr-* images older than 30 days, but never one tagged latest
      ghpkgs.registry.package_version:
        package_type: container
        name: app
        tags: ["pr-*"]
        older_than: 30d
        exclude: [latest]

    - name: Delete npm pre-releases except the newest 3
      ghpkgs.registry.package_version:
        package_type: npm
        name: web-client
        prerelease: true
        keep_latest: 3

    - name: See what a cleanup would do, without doing it
      ghpkgs.registry.package_version:
        package_type: maven
        name: com.acme.core
        older_than: 26w
        keep_latest: 5
      check_mode: true
      diff: true
      register: preview

    - name: Delete every version, and the package with them
      ghpkgs.registry.package_version:
        package_type: nuget
        name: Acme.Legacy
        versions: ["*"]
        delete_package_when_empty: true

    - name: Delete at most 500 old versions per run
      ghpkgs.registry.package_version:
        package_type: container
        name: ci/cache
        older_than: 14d
        max_versions: 500
      register: chunk

- name: Undo a cleanup of the token's own package within 30 days
  ghpkgs.registry.package_version:
    token: "{{ github_token }}"
    package_type: container
    name: app
    state: present
    version_ids: "{{ cleanup.deleted_version_ids }}"
"""

RETURN = r"""
owner:
  description: The login of the package's owner; V(null) when acting on the token's own account.
  returned: always
  type: str
  sample: acme
owner_type:
  description: V(org), V(user), or V(authenticated) for the token's own account.
  returned: always
  type: str
  sample: org
package_type:
  description: The package's registry, as given.
  returned: always
  type: str
  sample: container
name:
  description: The package's name, as given.
  returned: always
  type: str
  sample: app
state:
  description: The requested state.
  returned: always
  type: str
  sample: absent
package_found:
  description:
    - Whether the package exists. With O(state=absent) a missing package is already clean and not an error.
  returned: always
  type: bool
  sample: true
versions:
  description:
    - Every version that satisfies the selectors, oldest first (by C(created_at), then id), with what happened to it.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The version's id.
      type: int
      sample: 123456
    name:
      description: The version's name; for containers the manifest digest.
      type: str
      sample: sha256:4b1d3c0ffee9e4d5c7a0f0d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5
    tags:
      description: The version's tags (empty for untagged versions and for registries without tags).
      type: list
      elements: str
      sample: [v1.2.0, latest]
    created_at:
      description: When the version was created.
      type: str
      sample: "2026-01-02T10:00:00Z"
    updated_at:
      description: When the version was last updated.
      type: str
      sample: "2026-01-03T10:00:00Z"
    deleted_at:
      description: When the version was deleted, for O(state=present); V(null) for active versions.
      type: str
      sample: null
    outcome:
      description:
        - V(deleted) or V(restored) when this run changed it; V(would_delete) or V(would_restore) in check mode.
        - V(kept) when a protection kept it, V(skipped) when it was not acted on this run (see RV(versions[].reason)).
        - V(already_absent) when it was already gone at the moment of deleting it.
      type: str
      sample: deleted
    reason:
      description:
        - Why the version was kept or skipped, naming the protection or quoting GitHub; V(null) otherwise.
      type: str
      sample: excluded by pattern 'latest'
  sample:
    - id: 123456
      name: sha256:4b1d3c0ffee9e4d5c7a0f0d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5
      tags: [pr-12]
      created_at: "2026-01-02T10:00:00Z"
      updated_at: "2026-01-02T10:00:00Z"
      deleted_at: null
      outcome: deleted
      reason: null
counts:
  description: How many versions satisfy the selectors (V(matched)) and how many had each outcome.
  returned: always
  type: dict
  contains:
    matched:
      description: Versions that satisfy the selectors.
      type: int
    deleted:
      description: Versions deleted by this run (including those deleted with the package).
      type: int
    restored:
      description: Versions restored by this run.
      type: int
    kept:
      description: Versions kept by a protection.
      type: int
    skipped:
      description: Versions not acted on this run.
      type: int
    already_absent:
      description: Versions that were already gone when deleted.
      type: int
    would_delete:
      description: Versions that would be deleted (check mode).
      type: int
    would_restore:
      description: Versions that would be restored (check mode).
      type: int
  sample: {matched: 5, deleted: 3, restored: 0, kept: 2, skipped: 0, already_absent: 0, would_delete: 0, would_restore: 0}
deleted_version_ids:
  description:
    - The ids of the versions this run deleted, one by one, for O(version_ids) with O(state=present) to undo it within 30 days.
    - When the whole package was deleted (RV(package_deleted)), restore the package with M(ghpkgs.registry.package_restore) instead.
  returned: always
  type: list
  elements: int
  sample: [123456, 123457]
package_deleted:
  description: Whether the whole package was deleted (or would be, in check mode), see O(delete_package_when_empty).
  returned: always
  type: bool
  sample: false
diff:
  description: The package's active versions before and after, one line each (name, id and tags).
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The active versions before the run.
      type: list
      elements: str
    after:
      description: The active versions after the run (predicted in check mode).
      type: list
      elements: str
  sample:
    before: ["1.0.0 (id 11)", "1.1.0-rc.1 (id 12)", "1.1.0 (id 13)"]
    after: ["1.0.0 (id 11)", "1.1.0 (id 13)"]
msg:
  description: A one-line summary of what was done.
  returned: always
  type: str
  sample: deleted 3 of 5 matching versions; kept 2; skipped 0
"""

import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import Conflict, GitHubAPIError, InvalidRequest, NotFound
from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    ACT,
    KEEP,
    PACKAGE_TYPES,
    Decision,
    Policy,
    Version,
    has_selector,
    plan,
)

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "package_type": {"type": "str", "required": True, "choices": list(PACKAGE_TYPES)},
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "absent", "choices": ["absent", "present"]},
    "version_ids": {"type": "list", "elements": "int"},
    "versions": {"type": "list", "elements": "str"},
    "tags": {"type": "list", "elements": "str"},
    "untagged": {"type": "bool"},
    "older_than": {"type": "str"},
    "prerelease": {"type": "bool"},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "keep_latest": {"type": "int", "default": 0},
    "max_versions": {"type": "int"},
    "delete_package_when_empty": {"type": "bool", "default": False},
}

OUTCOMES = ("deleted", "restored", "kept", "skipped", "already_absent", "would_delete", "would_restore")
CHANGES = ("deleted", "restored", "would_delete", "would_restore")
NOT_ATTEMPTED = "not attempted: the run stopped at an earlier error"


def utcnow() -> datetime:
    """The time older_than is measured from (a function so that tests can fix it)."""
    return datetime.now(timezone.utc)


def build_policy(params: dict[str, t.Any]) -> Policy:
    """Validate this module's own options (before any request); ValueError names the option and the fix."""
    if not params["name"] or not params["name"].strip():
        raise ValueError("name: is empty; give the package's name")
    policy = Policy.from_params(params)
    if params["state"] == "absent" and not has_selector(policy):
        raise ValueError(
            "state=absent needs at least one selector (version_ids, versions, tags, untagged, older_than or prerelease); "
            "to delete every version, say versions: ['*']"
        )
    if params["state"] == "present" and params["delete_package_when_empty"]:
        raise ValueError("delete_package_when_empty: only applies to state=absent; remove it to restore versions")
    return policy


def last_version_protection(versions: list[Version], decisions: list[Decision], package_type: str,
                            delete_package_when_empty: bool) -> tuple[dict[int, str], bool]:
    """Apply GitHub's last-version rules to a deletion plan.

    Returns (protected, delete_package): the version to keep (id -> reason) when the plan would delete
    the last active version (for containers, the last tagged one), or delete_package=True when the
    whole package may go instead because every active version is selected for deletion.
    """
    acting = [d.version for d in decisions if d.action == ACT]
    if not acting:
        return {}, False
    acting_ids = {v.id for v in acting}
    covers_all = acting_ids >= {v.id for v in versions}
    tagged_ids = {v.id for v in versions if v.tags}
    covers_tagged = package_type == "container" and bool(tagged_ids) and acting_ids >= tagged_ids
    if not (covers_all or covers_tagged):
        return {}, False
    if delete_package_when_empty and covers_all:
        return {}, True
    if covers_tagged:
        candidates = [v for v in acting if v.tags]
        reason = "the last tagged version of the package: GitHub refuses to delete it"
        if delete_package_when_empty:
            others = len(versions) - len(acting_ids)
            reason += f"; the package is not deleted because {others} active version(s) outside the selection would go with it"
        else:
            reason += "; set delete_package_when_empty: true to delete the whole package instead"
    else:
        candidates = acting
        if package_type == "maven":
            reason = "the last version of the package: GitHub refuses to delete it"
        else:
            reason = "the last version of the package: deleting it would delete the whole package"
        reason += "; set delete_package_when_empty: true to delete the whole package"
    newest = max(candidates, key=lambda v: (v.created_at, v.id))
    return {newest.id: reason}, False


def order(version: Version) -> tuple[datetime, int]:
    return version.created_at, version.id


def label(version: Version) -> str:
    """One line for the diff: name, id, and the tags of tagged registries."""
    if version.package_type in ("container", "docker"):
        tags = ", ".join(version.tags) if version.tags else "untagged"
        return f"{version.name} (id {version.id}; tags: {tags})"
    return f"{version.name} (id {version.id})"


class PackageVersions:
    """One run of the module: list once, plan, act (unless in check mode), report."""

    def __init__(self, module: GitHubPackagesModule) -> None:
        self.module = module
        self.params = module.params
        self.policy = build_policy(self.params)
        self.absent = self.params["state"] == "absent"
        self.package_type: str = self.params["package_type"]
        self.name: str = self.params["name"]
        self.outcomes: dict[int, tuple[str, t.Optional[str]]] = {}
        self.package_deleted = False
        self.error: t.Optional[GitHubAPIError] = None
        self.refusals: dict[str, list[int]] = {}
        self.lock = threading.Lock()

    def run(self) -> dict[str, t.Any]:
        client, owner = self.module.client, self.module.owner
        listing = client.list_versions(owner, self.package_type, self.name, "active" if self.absent else "deleted")
        try:
            listed = [Version.from_api(item, self.package_type) for item in listing]
        except NotFound as error:
            if self.absent:
                return self.result([], [], package_found=False)
            details = {k: v for k, v in error.to_dict().items() if k != "msg"}
            self.module.fail(f"{error}; if the whole package was deleted, restore it first with ghpkgs.registry.package_restore", **details)
        now = utcnow()
        decisions = plan(listed, self.policy, now)
        delete_package = False
        if self.absent:
            protected, delete_package = last_version_protection(listed, decisions, self.package_type, self.params["delete_package_when_empty"])
            if protected:
                decisions = plan(listed, self.policy, now, protected)
        acting = [d.version for d in decisions if d.action == ACT]
        if self.module.check_mode:
            outcome = "would_delete" if self.absent else "would_restore"
            self.outcomes.update((v.id, (outcome, None)) for v in acting)
            self.package_deleted = delete_package
        else:
            if delete_package:
                decisions, acting = self.delete_package(listed, decisions, acting, now)
            self.act(acting)
        active = listed if self.absent else self.active_versions()
        result = self.result(decisions, active)
        for message, ids in self.refusals.items():
            self.module.warn(f"GitHub refused to {'delete' if self.absent else 'restore'} {len(ids)} version(s) of {self.name} "
                             f"(ids {', '.join(map(str, sorted(ids)))}), which are reported as skipped: {message}")
        if self.error is not None:
            self.module.fail_from_error(self.error, **result)
        return result

    def delete_package(self, listed: list[Version], decisions: list[Decision], acting: list[Version],
                       now: datetime) -> tuple[list[Decision], list[Version]]:
        """Delete the whole package; if GitHub refuses (5,000 downloads), keep the last version and delete the others one by one."""
        try:
            self.module.client.delete_package(self.module.owner, self.package_type, self.name)
        except NotFound:
            self.outcomes.update((v.id, ("already_absent", None)) for v in acting)
            return decisions, []
        except InvalidRequest as error:
            self.module.warn(f"GitHub refused to delete the package {self.name}, so its last version is kept: {error.message}")
            protected, dummy = last_version_protection(listed, decisions, self.package_type, False)
            protected = {i: f"{why}; GitHub refused to delete the package: {error.message}" for i, why in protected.items()}
            decisions = plan(listed, self.policy, now, protected)
            return decisions, [d.version for d in decisions if d.action == ACT]
        self.outcomes.update((v.id, ("deleted", None)) for v in acting)
        self.package_deleted = True
        return decisions, []

    def act(self, acting: list[Version]) -> None:
        """Delete or restore each version: the first alone, so that a missing scope stops the run after one request, then in parallel.

        Once a request fails for a reason other than GitHub's per-version rules, no further request starts.
        """
        if not acting:
            return
        stop = threading.Event()
        errors = [self.act_one(acting[0], stop)]
        if errors[0] is None:
            with ThreadPoolExecutor(max_workers=self.params["max_concurrency"]) as pool:
                errors.extend(pool.map(lambda v: self.act_one(v, stop), acting[1:]))
        self.error = next((e for e in errors if e is not None), None)

    def act_one(self, version: Version, stop: threading.Event) -> t.Optional[GitHubAPIError]:
        if stop.is_set():
            return None
        client, owner = self.module.client, self.module.owner
        outcome: tuple[str, t.Optional[str]]
        try:
            if self.absent:
                client.delete_version(owner, self.package_type, self.name, version.id)
            else:
                client.restore_version(owner, self.package_type, self.name, version.id)
        except NotFound as error:
            if self.absent:
                outcome = ("already_absent", None)
            else:
                outcome = ("skipped", f"GitHub no longer has it (versions can be restored for 30 days): {error.message}")
        except (InvalidRequest, Conflict) as error:
            outcome = ("skipped", error.message)
        except GitHubAPIError as error:
            stop.set()
            return error
        else:
            outcome = ("deleted" if self.absent else "restored", None)
        with self.lock:
            self.outcomes[version.id] = outcome
            if outcome[0] == "skipped":
                self.refusals.setdefault(t.cast(str, outcome[1]), []).append(version.id)
        return None

    def active_versions(self) -> t.Optional[list[Version]]:
        """For the diff of a restore: the package's active versions (one more listing, only in diff mode)."""
        if not self.module.diff_mode:
            return None
        client, owner = self.module.client, self.module.owner
        try:
            return [Version.from_api(item, self.package_type) for item in client.list_versions(owner, self.package_type, self.name, "active")]
        except NotFound:
            return []

    def result(self, decisions: list[Decision], active: t.Optional[list[Version]], package_found: bool = True) -> dict[str, t.Any]:
        versions = []
        for decision in decisions:
            if decision.action == KEEP:
                outcome, reason = "kept", decision.reason
            elif decision.action == ACT:
                outcome, reason = self.outcomes.get(decision.version.id, ("skipped", NOT_ATTEMPTED))
            else:
                outcome, reason = "skipped", decision.reason
            entry = decision.version.as_dict()
            entry.update(outcome=outcome, reason=reason)
            versions.append(entry)
        counts = dict.fromkeys(OUTCOMES, 0)
        counts["matched"] = len(versions)
        for entry in versions:
            counts[entry["outcome"]] += 1
        owner = self.module.owner
        result: dict[str, t.Any] = {
            "changed": self.package_deleted or any(counts[o] for o in CHANGES),
            "msg": self.summary(counts, package_found),
            "owner": owner.login,
            "owner_type": owner.kind,
            "package_type": self.package_type,
            "name": self.name,
            "state": self.params["state"],
            "package_found": package_found,
            "versions": versions,
            "counts": counts,
            "deleted_version_ids": [e["id"] for e in versions if e["outcome"] == "deleted" and not self.package_deleted],
            "package_deleted": self.package_deleted,
        }
        if self.module.diff_mode:
            result["diff"] = self.diff(decisions, active or [])
        return result

    def diff(self, decisions: list[Decision], active: list[Version]) -> dict[str, list[str]]:
        """Active versions before and after, oldest first."""
        changed = {i for i, (outcome, dummy) in self.outcomes.items() if outcome != "skipped"}
        if self.absent:
            after = [] if self.package_deleted else [v for v in active if v.id not in changed]
        else:
            known = {v.id for v in active}
            after = active + [d.version for d in decisions if d.version.id in changed and d.version.id not in known]
        return {"before": [label(v) for v in sorted(active, key=order)], "after": [label(v) for v in sorted(after, key=order)]}

    def summary(self, counts: dict[str, int], package_found: bool) -> str:
        if not package_found:
            return f"package {self.name} ({self.package_type}) not found; nothing to delete"
        verb = "deleted" if self.absent else "restored"
        if self.module.check_mode:
            verb = "would delete" if self.absent else "would restore"
        done = counts["deleted"] + counts["restored"] + counts["would_delete"] + counts["would_restore"]
        text = f"{verb} {done} of {counts['matched']} matching versions; kept {counts['kept']}; skipped {counts['skipped']}"
        if counts["already_absent"]:
            text += f"; {counts['already_absent']} already absent"
        if self.package_deleted:
            text += "; the whole package " + ("would be deleted" if self.module.check_mode else "was deleted")
        return text


def main() -> None:
    module = GitHubPackagesModule(argument_spec=ARGUMENT_SPEC)
    module.run(lambda: PackageVersions(module).run())


if __name__ == "__main__":
    main()
