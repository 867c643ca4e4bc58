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
    In diff mode, O(state=present) also lists the active versions once, to show them before and after.
  - For V(container) packages with O(state=absent), the plan follows the image graph (see O(manifest_graph)); a version that a kept
    version needs is kept, and the untagged entries and signatures of a deleted image are deleted with it.
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
  idempotent:
    support: partial
    details:
      - With O(max_versions), a run that stops at the limit leaves the rest of the selected versions for the next run, which
        deletes up to O(max_versions) more (RV(versions[].reason) says so); once none is left, a run changes nothing.
        Without O(max_versions), a second run with the same arguments changes nothing.
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
      - Selector. Only the versions whose name matches one of these names or shell-style globs (case-sensitive, V(*), V(?), V([...])),
        or regular expressions written V(re:PATTERN) (see O(tags)).
      - For V(container) packages the name is the manifest digest (V(sha256:...)); use O(tags) to select by tag.
      - V(['*']) selects every version; it is how O(state=absent) is told to delete them all.
      - An empty list selects nothing.
    type: list
    elements: str
  tags:
    description:
      - Selector. Only the versions whose tags all match these globs (a version is selected only when every one of its tags is
        selected). A version tagged both V(pr-12) and V(v1.0) is not selected by V(["pr-*"]); it is listed in RV(versions) as
        V(kept), with the tag that kept it in RV(versions[].reason). Untagged versions are not selected.
      - Only V(container) and V(docker) versions have tags; for other package types the task fails before any request.
      - "An entry V(re:PATTERN) is a Python regular expression instead of a glob, matched against the whole tag (as if it began
        with C(^) and ended with C($)), case-sensitively: V(re:v[0-9]+[.][0-9]+[.][0-9]+) selects V(v1.2.3) but not V(v1.2.3-rc.1).
        Globs and regular expressions mix in one list. The same holds for O(versions), O(exclude) and the filters of
        O(keep_rules). A pattern that does not compile fails the task before any request, naming the option, the pattern and
        the error. Tags and package names cannot contain C(:), so no glob is mistaken for a regular expression."
    type: list
    elements: str
  untagged:
    description:
      - Selector. V(true) selects only versions without tags; V(false) only versions with at least one tag.
      - Only for V(container) and V(docker); for other package types (whose versions never have tags) the task fails before
        any request.
      - On V(container) packages the platform images, attestations and signatures of kept images are untagged too; the image graph
        (O(manifest_graph)) keeps them.
    type: bool
  older_than:
    description:
      - Selector. Only versions whose C(updated_at) (or C(created_at), see O(age_from)) is older than this.
      - A number of days (V(7), V(1.5)) or a number followed by V(s), V(m), V(h), V(d) or V(w) (V(90m), V(36h), V(30d), V(2w)).
    type: str
  age_from:
    description:
      - Which timestamp O(older_than) measures.
      - V(updated_at), the default, is when the version last changed. On C(ghcr.io) adding or moving a tag updates it, so an
        old image that was re-tagged (for example given V(latest) again) counts as new and is kept.
      - V(created_at) is when the version was pushed; re-tagging does not change it, so old images go by their real age even
        when re-tagged. Protect the tags you want to keep with O(exclude).
      - Only used with O(older_than).
    type: str
    choices: [updated_at, created_at]
    default: updated_at
  prerelease:
    description:
      - Selector. V(true) selects only pre-releases, V(false) only the others, by the rule of the package's own ecosystem.
      - V(npm) and V(nuget) judge the name by SemVer 2.0 with an optional leading V(v) (V(1.2.0-rc.1), V(v2.0.0-beta)); build metadata
        (V(1.2.0+build.5)) does not make a pre-release. V(nuget) also takes four numbers with a label (V(1.2.3.4-beta)).
      - V(maven) judges the name as Maven does. A pre-release is a snapshot (it ends in C(SNAPSHOT), as V(1.0-SNAPSHOT)), or a version
        whose first qualifier after a number is one that Maven's version ordering ranks below the release, that is C(alpha), C(beta),
        C(milestone), C(rc), C(cr) or C(snapshot), with or without a number (V(1.0-beta-2), V(1.2.0-RC1)), and C(a), C(b), C(m)
        directly followed by a number (V(1.0.0-M1)). C(Final), C(GA), C(RELEASE), C(sp) and other qualifiers (V(31.1-jre)) are
        releases; case does not matter.
      - V(rubygems) judges the name as C(Gem::Version#prerelease?) does, so any letter makes a pre-release (V(1.0.0.pre), V(1.1.0.beta1)).
      - V(container) and V(docker) judge the tags. A version is a pre-release when it has at least one SemVer tag and all its SemVer
        tags are pre-releases (tags like V(latest) or V(pr-12) do not count).
    type: bool
  superseded:
    description:
      - Selector, for O(state=absent). V(true) selects only the pre-releases whose final release is still in the package,
        V(false) only the other versions. RV(versions[].reason) names the release (V(superseded by 1.2.4)).
      - The pre-release rule is the one of O(prerelease); the final release is the version without the pre-release part, by the
        ecosystem's own rules. V(npm) (SemVer) - V(1.2.4-rc.1) once V(1.2.4) exists; build metadata is ignored.
        V(container) and V(docker) - a version whose SemVer tags are all pre-releases, once every one of them has its release
        tagged in the package (V(v1.2.4-rc.1) once V(v1.2.4) or V(1.2.4) is tagged). V(maven) - a snapshot once the version
        without C(-SNAPSHOT) exists (V(1.0-SNAPSHOT) once V(1.0)), a C(alpha), C(beta), C(milestone), C(rc) or C(cr) version once
        the part before that qualifier exists (V(1.2.0-RC1) once V(1.2.0)); trailing zeros and case do not matter (V(1.0) is
        V(1.0.0)). V(nuget) - the numbers before the label (V(1.2.3-beta) once V(1.2.3) or V(1.2.3.0)). V(rubygems) - the
        segments before the first one with a letter, as C(Gem::Version#release) (V(1.1.0.beta1) once V(1.1.0) or V(1.1)).
      - Only the releases in the listing count, so a release that was deleted supersedes nothing.
    type: bool
  orphans:
    description:
      - Selector, for V(container) packages with O(state=absent) and O(manifest_graph=true). V(true) selects only orphans,
        V(false) only the other versions.
      - "An orphan exists for something no longer in the package: a cosign signature (tags C(sha256-<digest>.sig), C(.att),
        C(.sbom)) or an OCI referrer whose subject is gone, a buildx attestation that no index lists, or an untagged image that
        no index lists (the platform image of a deleted index; an image whose tag moved to a newer push looks the same, since
        the registry keeps no trace of the index). An untagged index is a whole image, not an orphan."
      - Finding them reads the manifest of every version that is not known to be a platform image (from its index) or a
        cosign signature (from its tag); RV(manifests_read) says how many. An unreadable manifest fails the task and nothing
        is deleted. Each orphan's RV(versions[].reason) says what it is an orphan of.
      - The image graph still applies, so an orphan that a kept version references (a signature of an orphaned image that is
        kept by O(exclude)) is kept. Combine it with O(older_than) (V(1d)) so that the platform images of a push still under way,
        which come before their index, are not taken for orphans.
      - M(ghpkgs.registry.package_info) with O(ghpkgs.registry.package_info#module:include_health=true) lists the orphans
        without deleting anything.
    type: bool
  exclude:
    description:
      - Protection. Versions whose name or any tag matches one of these globs or V(re:PATTERN) regular expressions (see O(tags))
        are never touched.
    type: list
    elements: str
    default: []
  keep_digests:
    description:
      - Protection, for V(container) and V(docker) packages. The versions with these digests are never touched, with the reason
        V(deployed (keep_digests)).
      - Each entry is a digest V(sha256:...) (64 lowercase hex digits), or an image reference that ends in one
        (V(ghcr.io/acme/app@sha256:...)), as Kubernetes reports it in a pod's C(status.containerStatuses[].imageID), so that
        what runs can be passed as it is (see the guide's example).
      - The image graph (O(manifest_graph)) keeps the platform images, attestations and signatures of a kept index.
    type: list
    elements: str
  keep_latest:
    description:
      - Protection. Among the versions that satisfy the selectors, the N most recently created are kept.
      - Versions kept by O(exclude) count among these N, because they satisfy the selectors.
      - With O(state=present) the N newest selected deleted versions are not restored.
    type: int
    default: 0
  keep_rules:
    description:
      - Protection. Rules that each keep some versions, as in Harbor's tag retention; a selected version is deleted only when
        no rule keeps it. RV(versions[].reason) names the first rule that kept it (V(rule releases (10 newest v*))).
      - A rule applies to every version of the package that its filters match, selected or not, so V(keep_latest=10) keeps the
        10 newest versions it applies to even when the selectors chose only older ones.
    type: list
    elements: dict
    suboptions:
      name:
        description: The rule's name in reasons; V(keep_rules[N]) by default. Names must differ.
        type: str
      tags:
        description: Filter. Versions with at least one tag matching one of these globs or V(re:PATTERN) regular expressions.
        type: list
        elements: str
      untagged:
        description: Filter. V(true) - versions without tags; V(false) - versions with at least one.
        type: bool
      versions:
        description: Filter. Versions whose name (a container's digest) matches one of these globs or regular expressions.
        type: list
        elements: str
      keep_latest:
        description: Keep the N most recently created versions the rule applies to (at least 1).
        type: int
      younger_than:
        description:
          - Keep the versions the rule applies to whose C(updated_at) (or C(created_at), see O(age_from)) is within this
            duration, in the forms of O(older_than).
          - Give O(keep_rules[].keep_latest) or this, not both; with neither, the rule keeps every version it applies to.
        type: str
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
  manifest_graph:
    description:
      - For V(container) packages with O(state=absent), read the image manifests from the container registry (O(registry_url)) and
        plan with the image graph. A multi-arch image is one tagged version (an OCI index or Docker manifest list) whose platform
        images and buildx attestations (platform C(unknown/unknown)) are separate I(untagged) versions; cosign stores signatures and
        attestations under tags C(sha256-<digest>.sig), C(.att) and C(.sbom); OCI referrers (an SBOM, a signature) name their
        image in C(subject), and registries without the OCI referrers API list them in an index tagged C(sha256-<digest>) (the
        referrers tag), which is kept and deleted with its image like a cosign tag.
      - Every version that a kept version references this way, directly or not, is kept, with the reason (C(referenced by kept ...))
        in RV(versions[].reason), so O(untagged=true) never breaks a kept image.
      - Deleting an image also deletes its untagged index entries and its cosign signatures and referrers that no kept version
        references, even when the selectors did not select them (they would be orphans); they are listed in RV(versions) with the
        reason C(deleted with ...). Indexes are deleted before their entries and images before their signatures; an entry whose
        index could not be deleted is not deleted either. An entry that GitHub already removed with its index counts as V(deleted).
      - B(Fails closed.) When a manifest that the plan needs cannot be read, nothing in the package is deleted and the task fails,
        naming the digest and the reason.
      - B(Cost.) Every manifest read counts as a download of the package on GitHub (which matters for the 5,000-download rule of public
        packages). The module reads nothing when nothing is to be deleted; otherwise it reads, once each, the manifest of every kept
        version that is not known to be a platform image (from its index) or a cosign signature (from its tag), and of every version
        to delete that is not known that way. RV(manifests_read) says how many. Reads run in parallel, at most O(max_concurrency).
      - Check mode reads the manifests too, and shows the same plan.
      - V(false) plans from the version listing alone. Only for registries or packages without multi-arch images, attestations or
        signatures; elsewhere O(untagged=true) would delete the platform images of kept images, which then fail to pull with
        C(manifest unknown).
    type: bool
    default: true
  registry_url:
    description:
      - The container registry that serves the manifests for O(manifest_graph), with the same O(token) (through the registry's
        C(WWW-Authenticate) bearer token flow; the token is only sent to the registry's own host).
      - Default from O(api_url) - V(https://ghcr.io) for V(https://api.github.com), V(https://containers.HOST) for GitHub Enterprise
        Server V(https://HOST/api/v3) (the container registry needs subdomain isolation), V(https://containers.SUBDOMAIN.ghe.com)
        for V(https://api.SUBDOMAIN.ghe.com), and the same server for a loopback test server. Any other O(api_url) needs this option.
      - Plain V(http://) only to loopback addresses, as for O(api_url).
    type: str
notes:
  - GitHub refuses to delete public versions with more than 5,000 downloads. Such a version is reported as V(skipped) with GitHub's
    message as its reason, the other versions are still deleted, and a warning is shown.
  - A version that is already gone when it is deleted (for example by a parallel run) is reported as V(already_absent) and is not
    a change; an index entry that GitHub removed with the index this run deleted counts as V(deleted).
  - When the token lacks a scope, or is not authorized for the organization's SAML single sign-on, the first write request fails,
    the module stops before any other write, and the error names the missing scopes or the URL to authorize the token.
  - O(older_than) is measured against the controller's clock.
  - With O(state=present), a restore whose answer was lost (a connection error or 5xx after the retries, or a repeated request
    that GitHub answers 404 or 409 because its first attempt was applied) is checked by reading the version back, and reported as
    V(restored) only if it is active. A restore answered 404 is checked the same way (a platform manifest comes back with its
    multi-arch index).
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

    - name: Delete untagged versions older than 7 days, keeping the platform images and signatures of kept images
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

    - name: Delete the npm pre-releases whose release is out (1.2.4-rc.1 once 1.2.4 is published)
      ghpkgs.registry.package_version:
        package_type: npm
        name: web-client
        superseded: true

    - name: Keep the 10 newest releases, the 3 newest PR builds and untagged images of the last 7 days; delete the rest
      ghpkgs.registry.package_version:
        package_type: container
        name: app
        versions: ["*"]
        keep_rules:
          - {name: releases, tags: ["re:v[0-9]+\\.[0-9]+\\.[0-9]+"], keep_latest: 10}
          - {name: pull requests, tags: ["pr-*"], keep_latest: 3}
          - {name: recent builds, untagged: true, younger_than: 7d}
        keep_digests: "{{ deployed_digests }}"

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

    - name: Clean up a GitHub Enterprise Server package (registry https://containers.ghe.example.com, derived from api_url)
      ghpkgs.registry.package_version:
        api_url: https://ghe.example.com/api/v3
        package_type: container
        name: app
        untagged: true

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
    - Every version that satisfies the selectors, every version deleted with an image (see O(manifest_graph)), and every version
      that O(tags) did not select only because of another of its tags (kept), oldest first (by C(created_at), then id), with what
      happened to it.
    - Trimmed by O(return_versions) - with V(changed) only the versions with outcome V(deleted), V(restored), V(would_delete),
      V(would_restore) or V(skipped); with V(none) not returned (RV(counts) still counts them all).
  returned: unless O(return_versions=none)
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
        - Why the version was kept or skipped, naming the protection or quoting GitHub (V(deployed (keep_digests)),
          V(rule releases (10 newest v*))); for a version outside the selection that is deleted with an image (O(manifest_graph)),
          why; for an orphan selected by O(orphans), what it is an orphan of; for a pre-release selected by O(superseded), its
          release (V(superseded by 1.2.4)); V(null) otherwise.
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
      description: Versions in RV(versions) - those that satisfy the selectors, those deleted with an image, and those O(tags) kept.
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
      description: The active versions before the run, oldest first, one line each ending in a newline.
      type: str
    after:
      description: The active versions after the run (predicted in check mode), oldest first, one line each ending in a newline.
      type: str
  sample:
    before: "1.0.0 (id 11)\n1.1.0-rc.1 (id 12)\n1.1.0 (id 13)\n"
    after: "1.0.0 (id 11)\n1.1.0 (id 13)\n"
manifests_read:
  description:
    - How many manifests were read from the container registry for the image graph and O(orphans) (each may count as a download
      on GitHub).
  returned: always
  type: int
  sample: 7
bytes_freed:
  description:
    - For V(container) packages with O(state=absent) and O(manifest_graph), an estimate of the bytes this run freed (would free,
      in check mode), V(null) otherwise. It adds up, each blob once, the config and layer sizes named in the manifests of the
      deleted versions that no other manifest read uses.
    - Approximate by nature, and computed only from the manifests the image graph read anyway (no extra request). A version
      whose manifest the plan did not need (often a platform image known from its index, or a cosign signature known from its
      tag) is not read, so its layers are not counted (see RV(bytes_unmeasured)), and a layer shared with a kept platform image
      that was not read counts as freed. GitHub bills storage its own way; use this to compare runs, not as an invoice.
  returned: always
  type: int
  sample: 48213344
bytes_unmeasured:
  description: How many deleted (would be deleted) versions have no manifest read, so that their layers are not in RV(bytes_freed);
    V(null) when RV(bytes_freed) is.
  returned: always
  type: int
  sample: 4
msg:
  description: A one-line summary of what was done.
  returned: always
  type: str
  sample: deleted 3 of 5 matching versions; kept 2; skipped 0
"""

import typing as t

from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._options import GRAPH_OPTIONS, POLICY_OPTIONS, job_from_params
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import RETURN_VERSIONS_OPTION
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES
from ansible_collections.ghpkgs.registry.plugins.module_utils._versions import (  # pylint: disable=unused-import
    NOT_ATTEMPTED,  # noqa: F401 re-exported: callers and tests refer to package_version.NOT_ATTEMPTED
    PackageVersions,
    utcnow,
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
    "age_from": {"type": "str", "choices": ["updated_at", "created_at"], "default": "updated_at"},
    "prerelease": {"type": "bool"},
    "superseded": POLICY_OPTIONS["superseded"],
    "orphans": {"type": "bool"},
    "exclude": {"type": "list", "elements": "str", "default": []},
    "keep_digests": POLICY_OPTIONS["keep_digests"],
    "keep_latest": {"type": "int", "default": 0},
    "keep_rules": POLICY_OPTIONS["keep_rules"],
    "max_versions": {"type": "int"},
    "delete_package_when_empty": {"type": "bool", "default": False},
    **GRAPH_OPTIONS,
    **RETURN_VERSIONS_OPTION,
}


def main() -> None:
    module = GitHubPackagesModule(argument_spec=ARGUMENT_SPEC)

    def work() -> dict[str, t.Any]:
        job = job_from_params(module.params)
        registry = module.registry(job.registry_url) if job.registry_url is not None else None
        return PackageVersions(job, module.client, module.owner, registry, check_mode=module.check_mode, diff_mode=module.diff_mode,
                               warn=module.warn, verify_owner=module.verify_owner, now=utcnow,
                               return_versions=module.params["return_versions"]).run()

    module.run(work)


if __name__ == "__main__":
    main()
