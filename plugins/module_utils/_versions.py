# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning and acting on the versions of one package: the engine of package_version, shared with package_cleanup.

    run = PackageVersions(context, now=utcnow)   # context: a GitHubPackagesModule, or anything with the same members
    result = run.run()                           # the package_version result; errors go through context.fail*()

For container packages (state absent) the plan is graph-aware (see _oci): context.params may carry registry_url
(None: derived from api_url) and manifest_graph (default true); a context may also offer a shared RegistryClient
as context.registry, otherwise each run makes its own.
"""

from __future__ import annotations

import dataclasses
import threading
import typing as t
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timezone

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import (
    GitHubPackagesClient,
    Owner,
    RegistryClient,
    repository_name,
    unknown_owner_message,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import Conflict, GitHubAPIError, InvalidRequest, NotFound, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._oci import (
    ImageGraph,
    Manifest,
    ManifestUnreadable,
    cosign_subjects,
    default_registry_url,
    describe,
    parse_manifest,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    ACT,
    KEEP,
    TAGGED_PACKAGE_TYPES,
    Decision,
    Policy,
    Version,
    has_selector,
    plan,
    tag_selectors,
)

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
GRAPH_FAILED = "not deleted: the image graph of the package could not be read, so nothing in it is deleted"


class ModuleContext(t.Protocol):
    """What PackageVersions needs from its module: GitHubPackagesModule has all of it."""

    params: t.Dict[str, t.Any]

    @property
    def client(self) -> GitHubPackagesClient: ...

    @property
    def owner(self) -> Owner: ...

    @property
    def check_mode(self) -> bool: ...

    @property
    def diff_mode(self) -> bool: ...

    def warn(self, message: str) -> None: ...

    def fail(self, msg: str, **result: t.Any) -> t.NoReturn: ...

    def fail_from_error(self, error: GitHubAPIError, **result: t.Any) -> t.NoReturn: ...


OUTCOMES = ("deleted", "restored", "kept", "skipped", "already_absent", "would_delete", "would_restore")
CHANGES = ("deleted", "restored", "would_delete", "would_restore")
NOT_ATTEMPTED = "not attempted: the run stopped at an earlier error"


def utcnow() -> datetime:
    """The time older_than is measured from (a function so that tests can fix it)."""
    return datetime.now(timezone.utc)


def build_policy(params: dict[str, t.Any], tagless_ok: bool = False) -> Policy:
    """Validate this module's own options (before any request); ValueError names the option and the fix.

    Tag selectors on a package type without tags are refused (see tagless_problem) unless tagless_ok: package_cleanup
    skips such a package instead.
    """
    if not params["name"] or not params["name"].strip():
        raise ValueError("name: is empty; give the package's name")
    policy = Policy.from_params(params)
    check_orphans(params)
    problem = tagless_problem(params["package_type"], policy)
    if problem and not tagless_ok:
        raise ValueError(f"{problem}; remove it, or select by versions, version_ids, older_than or prerelease")
    if params["state"] == "absent" and not has_selector(policy) and params.get("orphans") is None:
        raise ValueError(
            "state=absent needs at least one selector (version_ids, versions, tags, untagged, older_than, prerelease, superseded or "
            "orphans); "
            "to delete every version, say versions: ['*']"
        )
    if params["state"] == "present" and params["delete_package_when_empty"]:
        raise ValueError("delete_package_when_empty: only applies to state=absent; remove it to restore versions")
    if policy.superseded is not None and params["state"] != "absent":
        raise OptionError("superseded: compares a pre-release with the releases still in the package, so it only applies to "
                          "state=absent; remove it to restore versions")
    if policy.keep_digests and params["package_type"] not in TAGGED_PACKAGE_TYPES:
        raise OptionError(f"keep_digests: {params['package_type']} package versions are not images named by digest (only container "
                          "and docker versions are); remove it, or use exclude with their names")
    registry_url(params)
    return policy


def check_orphans(params: t.Mapping[str, t.Any]) -> None:
    """The orphans selector needs a container package, state=absent and the image graph; ValueError naming the fix otherwise."""
    if params.get("orphans") is None:
        return
    if params["package_type"] != "container":
        raise ValueError(f"orphans: only container packages have orphans (signatures, referrers, platform images); remove it for "
                         f"this {params['package_type']} package")
    if params["state"] != "absent":
        raise ValueError("orphans: selects versions to delete; remove it for state=present")
    if not params.get("manifest_graph", True):
        raise ValueError("orphans: are found in the image graph; set manifest_graph: true, or remove orphans")


def tagless_problem(package_type: str, policy: Policy) -> t.Optional[str]:
    """Why policy's tag selectors cannot apply to package_type (its versions have no tags), or None when they can."""
    used = tag_selectors(policy)
    if not used or package_type in TAGGED_PACKAGE_TYPES:
        return None
    return (f"{' and '.join(used)}: {package_type} package versions have no tags (only container and docker versions do), "
            f"so {'this selector' if len(used) == 1 else 'these selectors'} cannot tell versions apart")


def registry_url(params: t.Mapping[str, t.Any]) -> t.Optional[str]:
    """The registry to read container manifests from: registry_url, else the one of api_url; None when the graph is not used.

    ValueError (naming the option and the fix) when the graph is needed and no registry can be told.
    """
    given = params.get("registry_url")
    if given is not None and not given.strip():
        raise ValueError("registry_url: is blank; give the container registry (https://ghcr.io), or leave it out to derive it from api_url")
    if params["package_type"] != "container" or params["state"] != "absent" or not params.get("manifest_graph", True):
        return None
    if given:
        return given
    derived = default_registry_url(params["api_url"])
    if derived is None:
        raise ValueError(
            f"registry_url: cannot be derived from api_url {params['api_url']!r}; give the container registry (https://ghcr.io, "
            "or https://containers.HOST for GitHub Enterprise Server), or set manifest_graph: false if the package has no "
            "multi-arch images, attestations or signatures"
        )
    return derived


def read_manifests(registry: RegistryClient, login: str, name: str, digests: list[str], max_concurrency: int) -> dict[str, Manifest]:
    """Read the manifests of the container package login/name in parallel (at most max_concurrency at once); the first failure
    stops the others and raises ManifestUnreadable for the first of digests that failed, whatever the timing."""
    try:
        repository = repository_name(login, name)
    except ValueError as error:
        raise ManifestUnreadable(digests[0], str(error)) from None
    pending = enumerate(digests)
    found: dict[str, Manifest] = {}
    errors: list[tuple[int, ManifestUnreadable]] = []
    lock = threading.Lock()

    def work() -> None:
        # Each worker takes the next digest: a future per digest would weigh about 100 MB for 100,000 manifests.
        while True:
            with lock:
                item = None if errors else next(pending, None)
            if item is None:
                return
            index, digest = item
            try:
                served = registry.get_manifest(repository, digest)
                manifest = parse_manifest(digest, served.body, served.content_type)
            except (GitHubAPIError, ValueError) as error:
                with lock:
                    errors.append((index, ManifestUnreadable(digest, str(error))))
                return
            with lock:
                found[digest] = manifest

    workers = max(1, min(max_concurrency, len(digests)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for future in [pool.submit(work) for dummy in range(workers)]:
            future.result()
    if errors:
        raise min(errors, key=lambda error: error[0])[1]
    return found


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
    covers_all = all(v.id in acting_ids for v in versions)
    tagged_ids = {v.id for v in versions if v.tags}
    covers_tagged = package_type == "container" and bool(tagged_ids) and acting_ids >= tagged_ids
    if not (covers_all or covers_tagged):
        return {}, False
    if delete_package_when_empty and covers_all:
        return {}, True
    if covers_tagged:
        candidates = [v for v in acting if v.tags]
        # Keep an image rather than a signature: the graph then keeps the image's signatures too.
        candidates = [v for v in candidates if not cosign_subjects(v)] or candidates
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

    def __init__(self, module: ModuleContext, now: t.Callable[[], datetime] = utcnow, executor: t.Optional[Executor] = None) -> None:
        """now gives the time older_than is measured from; executor, when given, runs the deletions or restores
        (a caller running many packages at once shares one), otherwise a pool of max_concurrency threads is made per run."""
        self.module = module
        self.now = now
        self.executor = executor
        self.params = module.params
        self.policy = build_policy(self.params)
        self.registry_url = registry_url(self.params)
        self.absent = self.params["state"] == "absent"
        self.package_type: str = self.params["package_type"]
        self.name: str = self.params["name"]
        self.outcomes: dict[int, tuple[str, t.Optional[str]]] = {}
        self.package_deleted = False
        self.error: t.Optional[GitHubAPIError] = None
        self.refusals: dict[str, list[int]] = {}
        self.lock = threading.Lock()
        self.graph: t.Optional[ImageGraph] = None
        self.cascade: dict[int, str] = {}
        self.parents: dict[int, tuple[int, ...]] = {}
        self.selected_reasons: dict[int, str] = {}  # why a selector (orphans, superseded) selected a version
        self.freed: t.Optional[tuple[int, int]] = None  # (bytes_freed, bytes_unmeasured), with an image graph
        self.manifest_reads = 0
        self._registry: t.Optional[RegistryClient] = None

    def run(self) -> dict[str, t.Any]:
        try:
            return self._run()
        finally:
            if self._registry is not None:
                self._registry.close()

    def _run(self) -> dict[str, t.Any]:
        client, owner = self.module.client, self.module.owner
        listing = client.list_versions(owner, self.package_type, self.name, "active" if self.absent else "deleted")
        try:
            listed = [Version.from_api(item, self.package_type) for item in listing]
        except NotFound as error:
            self.check_owner()
            if self.absent:
                result = self.result([], [], package_found=False)
                self.module.warn(result["msg"])
                return result
            details = {k: v for k, v in error.to_dict().items() if k != "msg"}
            self.module.fail(f"{error}; if the whole package was deleted, restore it first with ghpkgs.registry.package_restore", **details)
        now = self.now()
        delete_package = False
        if self.absent:
            if self.registry_url is not None:
                self.graph = ImageGraph(listed, self.read_manifests)
            try:
                if self.params.get("orphans") is not None:
                    self.select_orphans(t.cast(ImageGraph, self.graph))
                decisions, delete_package = self.plan_deletions(listed, now, allow_package_delete=True)
            except ManifestUnreadable as error:
                self.graph_failed(listed, now, error)
        else:
            decisions = plan(listed, self.policy, now)
        acting = [d.version for d in decisions if d.action == ACT]
        self.selected_reasons.update((d.version.id, d.reason) for d in decisions if d.action == ACT and d.reason)
        if self.module.check_mode:
            outcome = "would_delete" if self.absent else "would_restore"
            plain = (outcome, None)  # one tuple for all the versions without a reason of their own: there may be 100,000
            self.outcomes.update((v.id, (outcome, self.act_reason(v.id)) if v.id in self.cascade or v.id in self.selected_reasons else plain)
                                 for v in acting)
            self.package_deleted = delete_package
        else:
            if delete_package:
                decisions, acting = self.delete_package(listed, decisions, acting, now)
            self.act(acting)
        self.freed = self.measure()
        self.graph, self.parents = None, {}  # of no further use (nothing more to act on): free them before the result is built
        active = listed if self.absent else self.active_versions()
        result = self.result(decisions, active)
        for message, ids in self.refusals.items():
            self.module.warn(f"GitHub refused to {'delete' if self.absent else 'restore'} {len(ids)} version(s) of {self.name} "
                             f"(ids {', '.join(map(str, sorted(ids)))}), which are reported as skipped: {message}")
        if self.error is not None:
            self.module.fail_from_error(self.error, **result)
        return result

    def check_owner(self) -> None:
        """After a 404 for the package with owner_type given: fail when the owner is missing or is of the other type."""
        owner = self.module.owner
        if owner.login is None or self.params["owner_type"] == "auto":
            return  # the token's own account, or an owner already looked up
        try:
            found = self.module.client.get_user(owner.login)
        except NotFound as error:
            details = {k: v for k, v in error.to_dict().items() if k != "msg"}
            self.module.fail(unknown_owner_message(owner.login, owner.kind, self.params["api_url"], error), **details)
        actual = "org" if found.get("type") == "Organization" else "user"
        if actual != owner.kind:
            kinds = {"org": "an organization", "user": "a user"}
            self.module.fail(f"owner_type: {owner.login!r} is {kinds[actual]}, not {kinds[owner.kind]}; set owner_type: {actual}, or auto")

    def plan_deletions(self, listed: list[Version], now: datetime, allow_package_delete: bool) -> tuple[list[Decision], bool]:
        """The deletion plan: the retention rules, then GitHub's last-version rules and (containers) the image graph, until
        neither adds a protection. Returns the decisions (versions deleted with an index or image added, as ACT) and
        whether to delete the whole package instead."""
        graph_protected: dict[int, str] = {}
        last_protected: dict[int, str] = {}
        while True:
            decisions = plan(listed, self.policy, now, {**graph_protected, **last_protected})
            self.cascade, self.parents = {}, {}
            extra: list[Decision] = []
            acting = {d.version.id for d in decisions if d.action == ACT}
            if self.graph is not None and acting:
                # Versions kept earlier only for the graph are not pinned: if what needed them is now deleted (max_versions
                # moved on), they go with it rather than stay as orphans.
                pinned = {d.version.id for d in decisions if d.action == KEEP and d.version.id not in graph_protected} | set(last_protected)
                graph_plan = self.graph.plan(acting, pinned)
                self.manifest_reads = self.graph.reads
                if graph_plan.keep:
                    graph_protected.update(graph_plan.keep)
                    del decisions, acting, graph_plan  # a package may have 100,000 versions: free them before the next pass
                    continue
                self.cascade, self.parents = graph_plan.cascade, graph_plan.parents
                decisions = [self.refresh(d, graph_plan.cascade, graph_plan.reasons) if d.version.id in graph_protected else d for d in decisions]
                planned = {d.version.id for d in decisions if d.version.id in graph_plan.cascade}
                extra = [Decision(self.graph.versions[i], ACT) for i in graph_plan.cascade if i not in planned]
            whole = sorted(decisions + extra, key=lambda d: order(d.version)) if extra else decisions  # plan() sorts the same way
            last, delete_package = last_version_protection(listed, whole, self.package_type,
                                                           allow_package_delete and self.params["delete_package_when_empty"])
            new = {i: why for i, why in last.items() if i not in last_protected}
            if not new:
                return whole, delete_package
            last_protected.update(new)

    def measure(self) -> t.Optional[tuple[int, int]]:
        """(bytes, unmeasured) freed by the versions deleted (would be, in check mode), from the manifests the graph read; None
        without a graph."""
        if self.graph is None:
            return None
        if self.package_deleted:
            return self.graph.bytes_freed(lambda i: True)
        gone = "would_delete" if self.module.check_mode else "deleted"
        return self.graph.bytes_freed(lambda i: i in self.outcomes and self.outcomes[i][0] == gone)

    def select_orphans(self, graph: ImageGraph) -> None:
        """The orphans selector: narrow the policy to the orphans (orphans: true, each with its reason) or to the others (false)."""
        try:
            found = graph.health().orphans
        except ManifestUnreadable:
            self.policy = dataclasses.replace(self.policy, version_ids=())  # no version can be told an orphan: none is selected
            raise
        self.manifest_reads = graph.reads
        wanted = self.params["orphans"]
        ids = [i for i in sorted(graph.versions) if (i in found) == wanted]
        if self.policy.version_ids is not None:
            given = set(self.policy.version_ids)
            ids = [i for i in ids if i in given]
        self.policy = dataclasses.replace(self.policy, version_ids=tuple(ids))
        if wanted:
            self.selected_reasons = {i: found[i][1] for i in ids}

    def act_reason(self, version_id: int) -> t.Optional[str]:
        """Why a version to delete is deleted: it goes with a deleted one, or a selector (orphans, superseded) said why it
        selected it; None otherwise."""
        return self.cascade.get(version_id) or self.selected_reasons.get(version_id)

    @staticmethod
    def refresh(decision: Decision, cascade: dict[int, str], reasons: dict[int, str]) -> Decision:
        """A version kept earlier for the graph: deleted with what needed it, or kept with the reason that holds now."""
        if decision.version.id in cascade:
            return Decision(decision.version, ACT)
        return Decision(decision.version, KEEP, reasons.get(decision.version.id, decision.reason))

    def read_manifests(self, digests: list[str]) -> dict[str, Manifest]:
        """Read manifests in parallel (max_concurrency); the first failure stops the others and raises ManifestUnreadable."""
        owner = self.module.owner
        login = owner.login if owner.login is not None else self.module.client.get_authenticated_user()["login"]
        return read_manifests(self.registry(), login, self.name, digests, self.params["max_concurrency"])

    def registry(self) -> RegistryClient:
        """The context's shared registry client if it has one, else one made (once) from the module's options."""
        shared = getattr(self.module, "registry", None)
        if shared is not None:
            return t.cast(RegistryClient, shared)
        with self.lock:
            if self._registry is None:
                p = self.params
                self._registry = RegistryClient(
                    p["token"], t.cast(str, self.registry_url), validate_certs=p["validate_certs"], timeout=p["timeout"],
                    max_retries=p["max_retries"], rate_limit_wait=p["rate_limit_wait"], max_concurrency=p["max_concurrency"],
                )
            return self._registry

    def graph_failed(self, listed: list[Version], now: datetime, error: ManifestUnreadable) -> t.NoReturn:
        """Fail closed: nothing of the package is deleted; the result shows what the rules had selected."""
        self.manifest_reads = self.graph.reads if self.graph is not None else 0
        decisions = plan(listed, self.policy, now)
        self.outcomes.update((d.version.id, ("skipped", GRAPH_FAILED)) for d in decisions if d.action == ACT)
        result = {key: value for key, value in self.result(decisions, listed).items() if key != "msg"}
        version = next((v for v in listed if v.name == error.digest), None)
        where = describe(version) if version is not None else error.digest
        self.module.fail(
            f"{self.name}: nothing was deleted, because the manifest of {where} could not be read and without it the plan could "
            f"break a kept image: {error.why}. Fix access to the registry ({self.registry_url}) and run again; manifest_graph: false "
            "skips the graph for packages without multi-arch images, attestations or signatures",
            **result,
        )

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
            try:
                replanned, dummy = self.plan_deletions(listed, now, allow_package_delete=False)
            except ManifestUnreadable as unreadable:
                self.graph_failed(listed, now, unreadable)
            acted = {v.id for v in acting}
            decisions = [Decision(d.version, KEEP, f"{d.reason}; GitHub refused to delete the package: {error.message}")
                         if d.action == KEEP and d.version.id in acted and t.cast(str, d.reason).startswith("the last ") else d
                         for d in replanned]
            return decisions, [d.version for d in decisions if d.action == ACT]
        self.outcomes.update((v.id, ("deleted", None)) for v in acting)
        self.package_deleted = True
        return decisions, []

    def act(self, acting: list[Version]) -> None:
        """Delete or restore each version: the first alone, so that a missing scope stops the run after one request, then in parallel.

        With an image graph, versions go in levels: an index before its entries, an image before its signatures; a version
        whose parent was not deleted is skipped, so that no kept tag ever points at a missing manifest.
        Once a request fails for a reason other than GitHub's per-version rules, no further request starts.
        """
        if not acting:
            return
        by_id = {v.id: v for v in acting}
        levels = [[by_id[i] for i in level if i in by_id] for level in ImageGraph.levels(self.parents)] if self.parents else []
        done = {i for level in levels for i in (v.id for v in level)}
        levels.insert(0, [v for v in acting if v.id not in done])
        stop = threading.Event()
        errors: list[t.Optional[GitHubAPIError]] = []
        for level in levels:
            runnable = [v for v in level if self.parents_done(v)]
            if not runnable or stop.is_set():
                continue
            if not errors:
                errors.append(self.act_one(runnable[0], stop))
                runnable = runnable[1:] if errors[0] is None else []
            if self.executor is not None:
                errors.extend(self.executor.map(lambda v: self.act_one(v, stop), runnable))
            elif runnable:
                with ThreadPoolExecutor(max_workers=self.params["max_concurrency"]) as pool:
                    errors.extend(pool.map(lambda v: self.act_one(v, stop), runnable))
        self.error = next((e for e in errors if e is not None), None)

    def parents_done(self, version: Version) -> bool:
        """True when every version to delete before this one is gone; otherwise record why this one is skipped."""
        for parent in sorted(self.parents.get(version.id, ())):
            outcome = self.outcomes.get(parent, ("skipped", NOT_ATTEMPTED))
            if outcome[0] not in ("deleted", "already_absent"):
                if outcome[1] != NOT_ATTEMPTED:
                    versions = t.cast(ImageGraph, self.graph).versions
                    self.outcomes[version.id] = ("skipped", f"not deleted because {describe(versions[parent])}, which it belongs to, "
                                                            f"was not deleted: {outcome[1]}")
                return False
        return True

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
            if self.absent and self.parents.get(version.id):
                # GitHub deletes an index's untagged entries with it: this run deleted it.
                outcome = ("deleted", self.act_reason(version.id) or "removed by GitHub with the index it belongs to")
            elif self.absent and error.retried:
                # 404 on a retried DELETE: the earlier attempt, whose answer was lost, deleted it.
                outcome = ("deleted", self.act_reason(version.id))
            elif self.absent:
                outcome = ("already_absent", None)
            else:
                outcome = ("skipped", f"GitHub no longer has it (versions can be restored for 30 days): {error.message}")
        except (InvalidRequest, Conflict) as error:
            outcome = ("skipped", error.message)
        except GitHubAPIError as error:
            stop.set()
            return error
        else:
            outcome = ("deleted" if self.absent else "restored", self.act_reason(version.id))
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
            "manifests_read": self.manifest_reads,
            "bytes_freed": None if self.freed is None else self.freed[0],
            "bytes_unmeasured": None if self.freed is None else self.freed[1],
        }
        if self.module.diff_mode:
            result["diff"] = self.diff(decisions, active or [])
        return result

    def diff(self, decisions: list[Decision], active: list[Version]) -> dict[str, str]:
        """Active versions before and after, oldest first: one line per version (Ansible's diff callback wants text)."""
        changed = {i for i, (outcome, dummy) in self.outcomes.items() if outcome != "skipped"}
        if self.absent:
            after = [] if self.package_deleted else [v for v in active if v.id not in changed]
        else:
            known = {v.id for v in active}
            after = active + [d.version for d in decisions if d.version.id in changed and d.version.id not in known]
        return {"before": "".join(label(v) + "\n" for v in sorted(active, key=order)),
                "after": "".join(label(v) + "\n" for v in sorted(after, key=order))}

    def summary(self, counts: dict[str, int], package_found: bool) -> str:
        if not package_found:
            owner = self.module.owner
            whose = f"the {owner.kind} {owner.login}" if owner.login else "the token's own account"
            return (f"package {self.name} ({self.package_type}) not found for {whose}, so nothing was deleted: it does not exist, or the "
                    "token's user cannot see it (a private package needs read access; a workflow's GITHUB_TOKEN sees only the packages "
                    "that grant its repository access); check the name and package_type")
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
