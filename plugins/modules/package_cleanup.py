#!/usr/bin/python
# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package_cleanup
short_description: Apply retention rules to many GitHub packages of one owner in one task
version_added: 0.1.0
description:
  - Deletes, package after package, exactly the versions that M(ghpkgs.registry.package_version) with O(state=absent) would delete.
    Each package is listed once, planned from that one listing, and acted on with the same rules, protections and outcomes.
  - Packages are worked on in parallel, at most O(max_concurrency) requests in flight through one paced client, so one task
    cleans up hundreds of packages without the overhead of one task per package.
  - A package that fails (a missing permission, an error from GitHub) is reported with RV(packages[].failed) and
    RV(packages[].msg) and does not stop the others; the task fails at the end, naming every failed package, with all results.
  - Tag selectors (O(policy.tags), O(policy.untagged)) never select versions of a package type without tags (V(npm), V(maven),
    V(rubygems), V(nuget)) - such a package is skipped, with a warning and RV(packages[].skipped), and nothing of it is deleted,
    so that a policy meant for container images cannot prune every npm package. M(ghpkgs.registry.package_version) refuses them.
  - A version GitHub refuses to delete (its 5,000-download rule) is reported as V(skipped) with GitHub's message, as
    M(ghpkgs.registry.package_version) does, and also makes its package fail, so that the run does not look clean;
    the package's other versions are still deleted. Add such versions to O(policy.exclude) to silence it.
  - Returns a cleanup report (RV(report)) that M(ghpkgs.registry.package_restore) reads back with O(ghpkgs.registry.package_restore#module:from_report)
    to undo the cleanup within GitHub's 30 days. The C(ghpkgs.registry.org_cleanup) role writes it to a file.
  - Check mode is a dry run, with the same listings and the same plan, and no write request.
author:
  - ghpkgs.registry contributors (@ghpkgs)
extends_documentation_fragment:
  - ghpkgs.registry.github
  - ghpkgs.registry.github.attributes
  - ghpkgs.registry.results
attributes:
  check_mode:
    support: full
    details:
      - GitHub's 5,000-download rule cannot be predicted (no API gives download counts), so check mode reports such versions as
        V(would_delete).
  diff_mode:
    support: full
    details:
      - RV(diff) holds one entry per package that changes (or would, in check mode), with its active versions before and
        after; Ansible prints only the versions that go (with a few kept ones around them as context).
  idempotent:
    support: partial
    details:
      - With O(policy.max_versions) (or a package's own C(max_versions)), a package that stops at the limit has the rest of its
        selected versions deleted by the next run; once none is left, a run changes nothing. Without it, a second run with the
        same arguments changes nothing.
options:
  packages:
    description:
      - The packages to clean up, each with its own selectors and protections if they differ from O(policy).
      - A selector or protection given for a package (not V(null)) replaces the one in O(policy); the others come from O(policy).
    type: list
    elements: dict
    required: true
    suboptions:
      package_type:
        description: The registry of the package.
        type: str
        required: true
        choices: [npm, maven, rubygems, docker, nuget, container]
      name:
        description: The package's name, for example V(team/app). Not a pattern.
        type: str
        required: true
      id:
        description:
          - The package's id, as M(ghpkgs.registry.package_info) returns it. Recorded in RV(report), so that a restore can tell
            this package from a new one that took its name.
        type: int
      version_ids:
        description: Selector, see O(ghpkgs.registry.package_version#module:version_ids).
        type: list
        elements: int
      versions:
        description: Selector, see O(ghpkgs.registry.package_version#module:versions).
        type: list
        elements: str
      tags:
        description: Selector, see O(ghpkgs.registry.package_version#module:tags).
        type: list
        elements: str
      untagged:
        description: Selector, see O(ghpkgs.registry.package_version#module:untagged).
        type: bool
      older_than:
        description: Selector, see O(ghpkgs.registry.package_version#module:older_than).
        type: str
      age_from:
        description: What O(packages[].older_than) measures, see O(ghpkgs.registry.package_version#module:age_from).
        type: str
        choices: [updated_at, created_at]
      prerelease:
        description: Selector, see O(ghpkgs.registry.package_version#module:prerelease).
        type: bool
      superseded:
        description: Selector, see O(ghpkgs.registry.package_version#module:superseded).
        type: bool
      orphans:
        description: Selector, see O(ghpkgs.registry.package_version#module:orphans). Only for V(container) packages.
        type: bool
      exclude:
        description: Protection, see O(ghpkgs.registry.package_version#module:exclude).
        type: list
        elements: str
      keep_digests:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_digests). Only for V(container) and V(docker) packages.
        type: list
        elements: str
      keep_latest:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_latest).
        type: int
      keep_rules:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_rules).
        type: list
        elements: dict
        suboptions:
          name:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].name).
            type: str
          tags:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].tags).
            type: list
            elements: str
          untagged:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].untagged).
            type: bool
          versions:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].versions).
            type: list
            elements: str
          keep_latest:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].keep_latest).
            type: int
          younger_than:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].younger_than).
            type: str
      max_versions:
        description: Protection, see O(ghpkgs.registry.package_version#module:max_versions).
        type: int
      delete_package_when_empty:
        description: Overrides O(delete_package_when_empty) for this package.
        type: bool
  policy:
    description:
      - The selectors and protections of every package that does not give its own, with the meaning they have in
        M(ghpkgs.registry.package_version). Every package needs at least one selector, from here or its own.
    type: dict
    default: {}
    suboptions:
      version_ids:
        description: Selector, see O(ghpkgs.registry.package_version#module:version_ids).
        type: list
        elements: int
      versions:
        description: Selector, see O(ghpkgs.registry.package_version#module:versions).
        type: list
        elements: str
      tags:
        description: Selector, see O(ghpkgs.registry.package_version#module:tags).
        type: list
        elements: str
      untagged:
        description: Selector, see O(ghpkgs.registry.package_version#module:untagged).
        type: bool
      older_than:
        description: Selector, see O(ghpkgs.registry.package_version#module:older_than).
        type: str
      age_from:
        description: What O(policy.older_than) measures, see O(ghpkgs.registry.package_version#module:age_from); V(updated_at) when omitted.
        type: str
        choices: [updated_at, created_at]
      prerelease:
        description: Selector, see O(ghpkgs.registry.package_version#module:prerelease).
        type: bool
      superseded:
        description: Selector, see O(ghpkgs.registry.package_version#module:superseded).
        type: bool
      orphans:
        description: Selector, see O(ghpkgs.registry.package_version#module:orphans). Only for V(container) packages.
        type: bool
      exclude:
        description: Protection, see O(ghpkgs.registry.package_version#module:exclude).
        type: list
        elements: str
      keep_digests:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_digests). Only for V(container) and V(docker) packages.
        type: list
        elements: str
      keep_latest:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_latest).
        type: int
      keep_rules:
        description: Protection, see O(ghpkgs.registry.package_version#module:keep_rules).
        type: list
        elements: dict
        suboptions:
          name:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].name).
            type: str
          tags:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].tags).
            type: list
            elements: str
          untagged:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].untagged).
            type: bool
          versions:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].versions).
            type: list
            elements: str
          keep_latest:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].keep_latest).
            type: int
          younger_than:
            description: See O(ghpkgs.registry.package_version#module:keep_rules[].younger_than).
            type: str
      max_versions:
        description: Protection, see O(ghpkgs.registry.package_version#module:max_versions).
        type: int
  delete_package_when_empty:
    description:
      - Whether a package whose selected versions are all its active versions is deleted whole,
        see O(ghpkgs.registry.package_version#module:delete_package_when_empty).
    type: bool
    default: false
  state:
    description:
      - Only V(absent). To undo a cleanup, give its report to M(ghpkgs.registry.package_restore).
    type: str
    choices: [absent]
    default: absent
  manifest_graph:
    description:
      - For V(container) packages, plan with the image graph read from the container registry, as
        O(ghpkgs.registry.package_version#module:manifest_graph) does, so that no kept image loses a platform image, attestation,
        signature or referrer. One registry client is shared by all packages.
    type: bool
    default: true
  registry_url:
    description:
      - The container registry for O(manifest_graph), see O(ghpkgs.registry.package_version#module:registry_url).
        Derived from O(api_url) when omitted.
    type: str
  report_file:
    description:
      - Also write RV(report) to this file, on the host the module runs on, atomically and with mode 0600; a missing directory is
        created with mode 0700. Written in check mode too (a local file), so that a dry run leaves its plan behind.
      - The file also holds, under C(results), every package's result (counts, message, bytes freed, and each matching version
        with its outcome and reason), from which O(summary_file) is made; M(ghpkgs.registry.package_restore) ignores that key.
      - Written at the end of the run, also when packages failed, before the task fails.
    type: path
  report_append:
    description:
      - Add this run's packages to the report already in O(report_file) instead of replacing it, so that several runs over
        different packages (the batches of the C(ghpkgs.registry.org_cleanup) role) make one report. A package already in it gets
        this run's versions added to its entry (a version in both takes this run's outcome), so that a package cleaned up in
        several runs (O(policy.max_versions)) has one entry with all its versions. A missing file is created.
      - The report in the file must be one of the same owner, API URL and dry run (check mode); otherwise the module fails
        before any request.
    type: bool
    default: false
  summary_file:
    description:
      - Also write a Markdown summary of O(report_file) to this file, mode 0600, with the totals, one row per package, and for every package
        each matching version with its outcome and reason; for container packages also the bytes freed (approximate, see
        RV(ghpkgs.registry.package_version#module:bytes_freed)). Needs O(report_file).
    type: path
notes:
  - The notes of M(ghpkgs.registry.package_version) apply to every package, in particular the one on multi-arch container images.
seealso:
  - module: ghpkgs.registry.package_version
  - module: ghpkgs.registry.package_info
  - module: ghpkgs.registry.package_restore
"""

EXAMPLES = r"""
- name: Clean up the acme organization's packages with one policy and two exceptions
  module_defaults:
    group/ghpkgs.registry.github:
      token: "{{ github_token }}"
  block:
    - name: Find the container images
      ghpkgs.registry.package_info:
        owner: acme
        package_type: [container]
      register: found

    - name: See what the cleanup would delete
      ghpkgs.registry.package_cleanup:
        owner: acme
        policy:
          tags: ["pr-*"]
          older_than: 30d
          exclude: [latest]
        packages: "{{ found.packages | map('ansible.builtin.dict2items') | map('selectattr', 'key', 'in', ['package_type', 'name', 'id'])
                      | map('ansible.builtin.items2dict') | list }}"
      check_mode: true
      register: plan

    - name: Delete old versions of two packages, keeping the 5 newest of the first
      ghpkgs.registry.package_cleanup:
        owner: acme
        policy:
          older_than: 90d
        packages:
          - package_type: container
            name: team/app
            keep_latest: 5
          - package_type: npm
            name: web-ui
            prerelease: true
      register: cleanup

    - name: Keep the report to undo the cleanup with ghpkgs.registry.package_restore (from_report)
      ansible.builtin.copy:
        content: "{{ cleanup.report | to_nice_json }}"
        dest: /var/lib/ghpkgs/cleanup-report.json
        mode: "0600"
"""

RETURN = r"""
packages:
  description:
    - One result per package, in the order of O(packages), with the fields M(ghpkgs.registry.package_version) returns
      (see there for their meaning) plus RV(packages[].failed) and RV(packages[].msg).
  returned: always
  type: list
  elements: dict
  contains:
    package_type:
      description: The package's registry.
      type: str
      returned: always
      sample: container
    name:
      description: The package's name.
      type: str
      returned: always
      sample: team/app
    failed:
      description: Whether this package failed; the other packages were still worked on.
      type: bool
      returned: always
      sample: false
    skipped:
      description:
        - Whether this package was skipped without any request, because its selectors include O(policy.tags) or
          O(policy.untagged) and its type (V(npm), V(maven), V(rubygems), V(nuget)) has no tags; RV(packages[].msg) says so.
      type: bool
      returned: always
      sample: false
    msg:
      description: A one-line summary for the package, or the error that stopped it.
      type: str
      returned: always
      sample: deleted 3 of 5 matching versions; kept 2; skipped 0
    package_found:
      description: Whether the package exists (a missing package is already clean).
      type: bool
      returned: always
      sample: true
    versions:
      description:
        - Every version that satisfies the selectors with its C(outcome) and C(reason),
          as in RV(ghpkgs.registry.package_version#module:versions).
        - Trimmed by O(return_versions) - with V(changed) only the versions with outcome V(deleted), V(would_delete) or
          V(skipped); with V(none) not returned. O(report_file) and O(summary_file) still hold every version, and
          RV(packages[].counts) counts them all.
      type: list
      elements: dict
      returned: unless O(return_versions=none)
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
      description: How many versions satisfy the selectors and how many had each outcome.
      type: dict
      returned: always
      sample: {matched: 5, deleted: 3, restored: 0, kept: 2, skipped: 0, already_absent: 0, would_delete: 0, would_restore: 0}
    changed:
      description: Whether this package changed (or would, in check mode).
      type: bool
      returned: always
      sample: true
    owner:
      description: The login of the package's owner; V(null) when acting on the token's own account.
      type: str
      returned: always
      sample: acme
    owner_type:
      description: V(org), V(user), or V(authenticated) for the token's own account.
      type: str
      returned: always
      sample: org
    state:
      description: Always V(absent).
      type: str
      returned: always
      sample: absent
    manifests_read:
      description: How many manifests were read from the container registry for this package, see
        RV(ghpkgs.registry.package_version#module:manifests_read).
      type: int
      returned: always
      sample: 0
    refused_version_ids:
      description: The ids of the versions GitHub refused to delete (5,000-download rule); they make the package fail.
      type: list
      elements: int
      returned: always
      sample: []
    deleted_version_ids:
      description: The ids of the versions deleted one by one.
      type: list
      elements: int
      returned: always
      sample: [123456]
    package_deleted:
      description: Whether the whole package was deleted (or would be, in check mode).
      type: bool
      returned: always
      sample: false
    bytes_freed:
      description: The estimate of the bytes freed, see RV(ghpkgs.registry.package_version#module:bytes_freed); V(null) for packages
        that are not V(container) or without O(manifest_graph).
      type: int
      returned: always
      sample: 48213344
    bytes_unmeasured:
      description: How many deleted versions are not in RV(packages[].bytes_freed), see
        RV(ghpkgs.registry.package_version#module:bytes_unmeasured).
      type: int
      returned: always
      sample: 0
limit_waits:
  description:
    - The waits for GitHub's rate limits during the run, one per limit and resume time; the client's own pacing under
      O(points_per_minute) is not one. Each names the limit (V(primary), the hourly budget, or V(secondary), a
      C(Retry-After)), the time the run resumed (UTC) and how long it waited, in seconds.
  returned: always
  type: list
  elements: dict
  sample:
    - limit: primary
      until: "2026-11-22T04:00:01Z"
      seconds: 312
diff:
  description:
    - One entry per package that changes (or would, in check mode), its active versions before and after, one line each
      (name, id and tags), with headers naming the package.
  returned: in diff mode
  type: list
  elements: dict
  sample:
    - before: "0.9.0 (id 11)\n1.0.0 (id 12)\n"
      after: "1.0.0 (id 12)\n"
      before_header: "npm web-ui: active versions"
      after_header: "npm web-ui: after the cleanup (planned)"
counts:
  description: The version outcomes added up over all packages, plus the number of packages and of failed packages.
  returned: always
  type: dict
  sample: {packages: 2, failed_packages: 0, skipped_packages: 0, matched: 9, deleted: 6, restored: 0, kept: 3, skipped: 0, already_absent: 0,
           would_delete: 0, would_restore: 0}
bytes_freed:
  description: RV(packages[].bytes_freed) added up over the packages that have it; V(null) when none has. Approximate, see
    RV(ghpkgs.registry.package_version#module:bytes_freed).
  returned: always
  type: int
  sample: 48213344
bytes_unmeasured:
  description: RV(packages[].bytes_unmeasured) added up the same way.
  returned: always
  type: int
  sample: 0
failed_packages:
  description: The packages that failed, with the error of each.
  returned: always
  type: list
  elements: dict
  sample:
    - package_type: container
      name: public-app
      msg: "DELETE /orgs/acme/packages/container/public-app/versions/7: 403 token lacks scopes: delete:packages"
report_file:
  description: The file the report was written to, O(report_file).
  returned: when O(report_file) is given
  type: str
  sample: /var/lib/ghpkgs/acme-cleanup-20261122T030000Z.json
summary_file:
  description: The file the Markdown summary was written to, O(summary_file), or V(null).
  returned: when O(report_file) is given
  type: str
  sample: /var/lib/ghpkgs/acme-cleanup-20261122T030000Z.md
report:
  description:
    - The cleanup report in the format M(ghpkgs.registry.package_restore) reads (C(docs/cleanup-report.md)). It holds the owner,
      the API URL, and for every package with deletions the versions deleted one by one (id, name, tags, dates), whether the
      whole package was deleted, and for container packages C(bytes_freed) and C(bytes_unmeasured). A package deleted whole lists
      no versions, since they went with it and restoring it brings them back.
    - In check mode C(dry_run) is V(true) and the versions are those that would be deleted; such a report cannot be restored.
    - Not returned when O(report_file) is given, so that a large report does not travel twice; read the file instead.
    - Not trimmed by O(return_versions), since it is what restores the run; give O(report_file) to keep it out of the result.
  returned: unless O(report_file) is given
  type: dict
  sample:
    format: ghpkgs.registry.cleanup-report
    format_version: 1
    generated_at: "2026-11-22T03:00:00Z"
    api_url: https://api.github.com
    owner: acme
    owner_type: org
    dry_run: false
    packages:
      - package_type: container
        name: team/app
        id: 42
        package_deleted: false
        versions:
          - id: 123456
            name: sha256:4b1d3c0ffee9e4d5c7a0f0d1e2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5
            tags: [pr-12]
            created_at: "2026-01-02T10:00:00Z"
            updated_at: "2026-01-02T10:00:00Z"
            deleted_at: null
msg:
  description: A one-line summary.
  returned: always
  type: str
  sample: deleted 6 versions of 2 packages (0 whole packages); 0 packages failed
"""

import dataclasses
import threading
import typing as t
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import EngineFailure, GitHubAPIError, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._options import GRAPH_OPTIONS, POLICY_OPTIONS, job_from_params, tagless_problem
from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import RegistryClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._report import REPORT_VERSION_KEYS, build_report, earlier_report, write_report_files
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import RETURN_VERSIONS_OPTION
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES
from ansible_collections.ghpkgs.registry.plugins.module_utils._versions import OUTCOMES, Job, PackageVersions, utcnow

PACKAGE_OPTIONS: dict[str, dict[str, t.Any]] = {
    "package_type": {"type": "str", "required": True, "choices": list(PACKAGE_TYPES)},
    "name": {"type": "str", "required": True},
    "id": {"type": "int"},
    **POLICY_OPTIONS,
    "delete_package_when_empty": {"type": "bool"},
}

ARGUMENT_SPEC: dict[str, dict[str, t.Any]] = {
    "packages": {"type": "list", "elements": "dict", "required": True, "options": PACKAGE_OPTIONS},
    "policy": {"type": "dict", "default": {}, "options": POLICY_OPTIONS},
    "delete_package_when_empty": {"type": "bool", "default": False},
    "state": {"type": "str", "default": "absent", "choices": ["absent"]},
    **GRAPH_OPTIONS,
    "report_file": {"type": "path"},
    "report_append": {"type": "bool", "default": False},
    "summary_file": {"type": "path"},
    **RETURN_VERSIONS_OPTION,
}


@dataclasses.dataclass(frozen=True)
class Package:
    """One entry of packages: its job, its package id (for the report) and why it is skipped (None: it is not)."""

    job: Job
    id: t.Optional[int] = None
    skip_reason: t.Optional[str] = None


def job_options(module_params: dict[str, t.Any], entry: dict[str, t.Any]) -> dict[str, t.Any]:
    """The options of one package's job: its own selectors and protections, else the policy's, and the module's others."""
    policy = module_params["policy"] or {}
    options = {option: entry[option] if entry.get(option) is not None else policy.get(option) for option in POLICY_OPTIONS}
    if options["exclude"] is None:
        options["exclude"] = []
    if options["keep_latest"] is None:
        options["keep_latest"] = 0
    delete_when_empty = entry.get("delete_package_when_empty")
    options.update(
        package_type=entry["package_type"], name=entry["name"], state="absent",
        delete_package_when_empty=module_params["delete_package_when_empty"] if delete_when_empty is None else delete_when_empty,
        **{option: module_params[option] for option in ("api_url", "max_concurrency", *GRAPH_OPTIONS)},
    )
    return options


def validate(module_params: dict[str, t.Any]) -> list[Package]:
    """Every package's job (and the report paths), validated before any request; OptionError names the option and the fix."""
    for option in ("report_file", "summary_file"):
        if module_params[option] is not None and not module_params[option].strip():
            raise OptionError(f"{option}: is blank; give a file path, or leave {option} out")
    entries = module_params["packages"]
    if not entries:
        raise OptionError("packages: is empty; list at least one package (package_type and name)")
    seen: dict[tuple[str, str], int] = {}
    result = []
    for index, entry in enumerate(entries):
        key = (entry["package_type"], entry["name"])
        if key in seen:
            raise OptionError(f"packages[{index}]: {key[0]} package {key[1]!r} is listed twice (also packages[{seen[key]}]); list it once")
        seen[key] = index
        if entry.get("id") is not None and entry["id"] < 1:
            raise OptionError(f"packages[{index}].id: {entry['id']} is not a package id; give a positive id, or leave it out")
        try:
            job = job_from_params(job_options(module_params, entry), tagless_ok=True)
        except OptionError as error:
            raise OptionError(f"packages[{index}] ({key[0]} {key[1]}): {error}") from None
        problem = tagless_problem(job.package_type, job.policy)
        result.append(Package(job, entry.get("id"), problem and (
            f"skipped, nothing deleted: {problem}; give {key[0]} packages selectors of their own without tags and untagged "
            "(for example untagged: null and older_than), or leave them out of packages")))
    return result


def empty_result(job: Job, owner: t.Optional[Owner]) -> dict[str, t.Any]:
    """The result of a package that failed before its plan was made."""
    return {
        "changed": False,
        "owner": owner.login if owner else None,
        "owner_type": owner.kind if owner else None,
        "package_type": job.package_type,
        "name": job.name,
        "state": "absent",
        "package_found": True,
        "versions": [],
        "counts": dict.fromkeys(("matched",) + OUTCOMES, 0),
        "deleted_version_ids": [],
        "package_deleted": False,
        "bytes_freed": None,
        "bytes_unmeasured": None,
    }


class Cleanup:
    """Runs PackageVersions for every package, in parallel, collecting results, warnings and the report."""

    def __init__(self, module: GitHubPackagesModule, packages: list[Package]) -> None:
        self.module = module
        self.packages = packages
        self.lock = threading.Lock()

    def warn(self, job: Job, message: str) -> None:
        with self.lock:
            self.module.warn(f"{job.package_type} {job.name}: {message}")

    def run(self) -> dict[str, t.Any]:
        owner = self.module.owner
        workers = self.module.params["max_concurrency"]
        # Two pools: packages wait on their deletions, so deletions must not queue behind packages in the same pool.
        # Container packages also read manifests from the registry, whose client has its own max_concurrency: they start
        # first, and twice as many packages as requests are under way, so that the other packages' API requests go on
        # meanwhile. The clients keep each host at max_concurrency requests in flight; results keep the order of packages.
        order = sorted(range(len(self.packages)), key=lambda index: self.packages[index].job.package_type != "container")
        # One registry client for every container package (they all read from the same registry_url).
        urls = [p.job.registry_url for p in self.packages if p.job.registry_url is not None and not p.skip_reason]
        registry = self.module.registry(urls[0]) if urls else None
        results: list[dict[str, t.Any]] = [{}] * len(self.packages)
        with ThreadPoolExecutor(max_workers=workers) as versions_pool, ThreadPoolExecutor(max_workers=2 * workers) as packages_pool:
            for index, result in zip(order, packages_pool.map(lambda index: self.one(self.packages[index], owner, registry, versions_pool), order)):
                results[index] = result
        return self.result(results, owner)

    def one(self, package: Package, owner: Owner, registry: t.Optional[RegistryClient], pool: ThreadPoolExecutor) -> dict[str, t.Any]:
        job = package.job
        if package.skip_reason:
            self.warn(job, package.skip_reason)
            return {**empty_result(job, owner), "failed": False, "skipped": True, "msg": package.skip_reason, "refused_version_ids": []}
        run = PackageVersions(job, self.module.client, owner, registry, check_mode=self.module.check_mode, diff_mode=self.module.diff_mode,
                              warn=lambda message: self.warn(job, message), verify_owner=self.module.verify_owner, now=utcnow, executor=pool)
        try:
            result = run.run()
        except EngineFailure as failure:
            result = {**empty_result(job, owner), **failure.result, "failed": True, "msg": failure.message}
        except GitHubAPIError as error:
            result = {**empty_result(job, owner), **error.to_dict(), "failed": True, "msg": str(error)}
        else:
            result["failed"] = False
        result["skipped"] = False
        refused = sorted(i for ids in run.refusals.values() for i in ids)
        if refused and not result["failed"]:
            # package_version only warns; in a batch the package fails so that the run ends failed, naming it.
            messages = "; ".join(sorted(run.refusals))
            result.update(failed=True, msg=f"GitHub refused to delete {len(refused)} version(s) (ids {', '.join(map(str, refused))}): "
                                           f"{messages}; the other versions were deleted; add the refused ones to exclude to stop this")
        result["refused_version_ids"] = refused
        return result

    def result(self, results: list[dict[str, t.Any]], owner: Owner) -> dict[str, t.Any]:
        counts = dict.fromkeys(("packages", "failed_packages", "skipped_packages", "matched") + OUTCOMES, 0)
        counts["packages"] = len(results)
        for result in results:
            counts["failed_packages"] += result["failed"]
            counts["skipped_packages"] += result["skipped"]
            for key in ("matched",) + OUTCOMES:
                counts[key] += result["counts"][key]
        failed = [{"package_type": r["package_type"], "name": r["name"], "msg": r["msg"]} for r in results if r["failed"]]
        dry_run = self.module.check_mode
        report = build_report(
            api_url=self.module.params["api_url"],
            owner=owner.login,
            owner_type=owner.kind,
            dry_run=dry_run,
            packages=[entry for entry in (report_entry(r, package, dry_run) for r, package in zip(results, self.packages)) if entry],
        )
        whole = sum(1 for r in results if r["package_deleted"])
        verb = "would delete" if dry_run else "deleted"
        deleted = counts["would_delete" if dry_run else "deleted"]
        msg = f"{verb} {deleted} versions of {len(results)} packages ({whole} whole packages); {len(failed)} packages failed"
        if counts["skipped_packages"]:
            msg += f"; {counts['skipped_packages']} packages skipped (tag selectors on a type without tags)"
        if failed:
            msg += ": " + "; ".join(f"{f['package_type']} {f['name']}: {f['msg']}" for f in failed)
        outcome = {
            "changed": any(r["changed"] for r in results),
            "msg": msg,
            "packages": results,
            "counts": counts,
            **bytes_totals(results),
            "failed_packages": failed,
            "report": report.as_dict(),
            "limit_waits": self.module.client.limit_waits,
        }
        # Ansible's diff callback takes a list: one entry per package that changes, named in its headers.
        diffs = [dict(r.pop("diff"), before_header=f"{r['package_type']} {r['name']}: active versions",
                      after_header=f"{r['package_type']} {r['name']}: {'after the cleanup (planned)' if dry_run else 'after the cleanup'}")
                 for r in results if "diff" in r]
        if self.module.diff_mode:
            outcome["diff"] = [d for d in diffs if d["before"] != d["after"]]
        return outcome


def bytes_totals(results: list[dict[str, t.Any]]) -> dict[str, t.Optional[int]]:
    """bytes_freed and bytes_unmeasured added up over the packages that have them (None when none has: no container package)."""
    measured = [r for r in results if r.get("bytes_freed") is not None]
    if not measured:
        return {"bytes_freed": None, "bytes_unmeasured": None}
    return {key: sum(r[key] for r in measured) for key in ("bytes_freed", "bytes_unmeasured")}


def report_entry(result: dict[str, t.Any], package: Package, dry_run: bool) -> t.Optional[dict[str, t.Any]]:
    """The report's entry for one package: the versions deleted one by one (would be, in a dry run), or None when nothing is.

    A package deleted whole lists none: its versions went with it and come back with it (docs/cleanup-report.md).
    """
    outcome = "would_delete" if dry_run else "deleted"
    versions = [] if result["package_deleted"] else [
        {key: v[key] for key in REPORT_VERSION_KEYS} for v in result["versions"] if v["outcome"] == outcome]
    if not versions and not result["package_deleted"]:
        return None
    entry: dict[str, t.Any] = {"package_type": package.job.package_type, "name": package.job.name,
                               "package_deleted": result["package_deleted"], "versions": versions}
    if package.id is not None:
        entry["id"] = package.id
    if result.get("bytes_freed") is not None:
        entry.update(bytes_freed=result["bytes_freed"], bytes_unmeasured=result["bytes_unmeasured"])
    return entry


def main() -> None:
    module = GitHubPackagesModule(argument_spec=ARGUMENT_SPEC, required_by={"summary_file": "report_file"})

    def work() -> dict[str, t.Any]:
        packages = validate(module.params)
        earlier = earlier_report(module.params, module.check_mode)
        result = Cleanup(module, packages).run()
        if module.params["report_file"]:
            write_report_files(module.params, result, earlier)
        if result["failed_packages"]:
            details = {key: value for key, value in result.items() if key != "msg"}
            module.fail(result["msg"], **details)
        return result

    module.run(work)


if __name__ == "__main__":
    main()
