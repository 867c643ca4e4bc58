# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning and acting on the versions of one package: the engine of package_version, shared with package_cleanup.

    job = job_from_params(module.params)                       # _options: the checked options of one package
    run = PackageVersions(job, client=..., owner=..., registry=...)
    result = run.run()                                         # the package_version result

A run that stops raises EngineFailure with the partial result (GitHubAPIError before anything was planned); the module
decides how to exit. For container packages (state absent, job.registry_url given) the plan is graph-aware (see _oci)
and reads manifests with the registry client given.
"""

from __future__ import annotations

import dataclasses
import threading
import typing as t
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import datetime, timezone

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient, Owner
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import Conflict, EngineFailure, GitHubAPIError, InvalidRequest, NotFound
from ansible_collections.ghpkgs.registry.plugins.module_utils._oci import (
    ImageGraph,
    Manifest,
    ManifestUnreadable,
    cosign_subjects,
    describe,
    parse_manifest,
)
from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import RegistryClient, repository_name
from ansible_collections.ghpkgs.registry.plugins.module_utils._restore import RESTORED_ALONG, restore_version
from ansible_collections.ghpkgs.registry.plugins.module_utils._results import returns_version
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import (
    ACT,
    KEEP,
    Decision,
    Policy,
    Version,
    plan,
)

GRAPH_FAILED = "not deleted: the image graph of the package could not be read, so nothing in it is deleted"


OUTCOMES = ("deleted", "restored", "kept", "skipped", "already_absent", "would_delete", "would_restore")
CHANGES = ("deleted", "restored", "would_delete", "would_restore")
NOT_ATTEMPTED = "not attempted: the run stopped at an earlier error"


def utcnow() -> datetime:
    """The time older_than is measured from (a function so that tests can fix it)."""
    return datetime.now(timezone.utc)


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


@dataclasses.dataclass(frozen=True)
class Job:
    """What to do to one package: its options after their checks (see _options.job_from_params)."""

    package_type: str
    name: str
    state: str  # absent: delete the selected versions; present: restore them
    policy: Policy
    orphans: t.Optional[bool] = None
    delete_package_when_empty: bool = False
    registry_url: t.Optional[str] = None  # the registry to read manifests from; None: no image graph
    max_concurrency: int = 8


class PackageVersions:
    """One run of the module: list once, plan, act (unless in check mode), report."""

    def __init__(self, job: Job, client: GitHubPackagesClient, owner: Owner, registry: t.Optional[RegistryClient] = None, *,
                 check_mode: bool = False, diff_mode: bool = False, warn: t.Callable[[str], None] = lambda message: None,
                 verify_owner: t.Callable[[], None] = lambda: None, now: t.Callable[[], datetime] = utcnow,
                 executor: t.Optional[Executor] = None, return_versions: str = "all") -> None:
        """registry reads the manifests of the image graph (needed when job.registry_url is given); warn takes the run's
        warnings; verify_owner, called when GitHub answers 404 for the package, raises EngineFailure when the owner is the
        cause; now gives the time older_than is measured from; executor, when given, runs the deletions or restores
        (a caller running many packages at once shares one), otherwise a pool of max_concurrency threads is made per run;
        return_versions, which versions the result lists (see _results.py): the others are counted but never built."""
        if job.registry_url is not None and registry is None:
            raise ValueError("a job with registry_url needs a registry client")
        self.job = job
        self.client = client
        self.owner = owner
        self.registry = registry
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.warn = warn
        self.verify_owner = verify_owner
        self.return_versions = return_versions
        self.now = now
        self.executor = executor
        self.policy = job.policy
        self.absent = job.state == "absent"
        self.package_type = job.package_type
        self.name = job.name
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

    def run(self) -> dict[str, t.Any]:
        client, owner = self.client, self.owner
        listing = client.list_versions(owner, self.package_type, self.name, "active" if self.absent else "deleted")
        try:
            listed = [Version.from_api(item, self.package_type) for item in listing]
        except NotFound as error:
            self.verify_owner()
            if self.absent:
                result = self.result([], [], package_found=False)
                self.warn(result["msg"])
                return result
            details = {k: v for k, v in error.to_dict().items() if k != "msg"}
            raise EngineFailure(f"{error}; if the whole package was deleted, restore it first with ghpkgs.registry.package_restore",
                                details) from None
        now = self.now()
        delete_package = False
        if self.absent:
            if self.job.registry_url is not None:
                self.graph = ImageGraph(listed, self.read_manifests)
            try:
                if self.job.orphans is not None:
                    self.select_orphans(t.cast(ImageGraph, self.graph))
                decisions, delete_package = self.plan_deletions(listed, now, allow_package_delete=True)
            except ManifestUnreadable as error:
                self.graph_failed(listed, now, error)
        else:
            decisions = plan(listed, self.policy, now)
        acting = [d.version for d in decisions if d.action == ACT]
        self.selected_reasons.update((d.version.id, d.reason) for d in decisions if d.action == ACT and d.reason)
        if self.check_mode:
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
            self.warn(f"GitHub refused to {'delete' if self.absent else 'restore'} {len(ids)} version(s) of {self.name} "
                      f"(ids {', '.join(map(str, sorted(ids)))}), which are reported as skipped: {message}")
        if self.error is not None:
            raise EngineFailure.from_error(self.error, **result)
        return result

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
                                                           allow_package_delete and self.job.delete_package_when_empty)
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
        gone = "would_delete" if self.check_mode else "deleted"
        return self.graph.bytes_freed(lambda i: i in self.outcomes and self.outcomes[i][0] == gone)

    def select_orphans(self, graph: ImageGraph) -> None:
        """The orphans selector: narrow the policy to the orphans (orphans: true, each with its reason) or to the others (false)."""
        try:
            found = graph.health().orphans
        except ManifestUnreadable:
            self.policy = dataclasses.replace(self.policy, version_ids=())  # no version can be told an orphan: none is selected
            raise
        self.manifest_reads = graph.reads
        wanted = self.job.orphans
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
        login = self.owner.login if self.owner.login is not None else self.client.get_authenticated_user()["login"]
        return read_manifests(t.cast(RegistryClient, self.registry), login, self.name, digests, self.job.max_concurrency)

    def graph_failed(self, listed: list[Version], now: datetime, error: ManifestUnreadable) -> t.NoReturn:
        """Fail closed: nothing of the package is deleted; the result shows what the rules had selected."""
        self.manifest_reads = self.graph.reads if self.graph is not None else 0
        decisions = plan(listed, self.policy, now)
        self.outcomes.update((d.version.id, ("skipped", GRAPH_FAILED)) for d in decisions if d.action == ACT)
        result = {key: value for key, value in self.result(decisions, listed).items() if key != "msg"}
        version = next((v for v in listed if v.name == error.digest), None)
        where = describe(version) if version is not None else error.digest
        raise EngineFailure(
            f"{self.name}: nothing was deleted, because the manifest of {where} could not be read and without it the plan could "
            f"break a kept image: {error.why}. Fix access to the registry ({self.job.registry_url}) and run again; manifest_graph: false "
            "skips the graph for packages without multi-arch images, attestations or signatures",
            result,
        )

    def delete_package(self, listed: list[Version], decisions: list[Decision], acting: list[Version],
                       now: datetime) -> tuple[list[Decision], list[Version]]:
        """Delete the whole package; if GitHub refuses (5,000 downloads), keep the last version and delete the others one by one."""
        try:
            self.client.delete_package(self.owner, self.package_type, self.name)
        except NotFound:
            self.outcomes.update((v.id, ("already_absent", None)) for v in acting)
            return decisions, []
        except InvalidRequest as error:
            self.warn(f"GitHub refused to delete the package {self.name}, so its last version is kept: {error.message}")
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
                with ThreadPoolExecutor(max_workers=self.job.max_concurrency) as pool:
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
        try:
            outcome = self.delete_one(version) if self.absent else self.restore_one(version)
        except GitHubAPIError as error:
            stop.set()
            return error
        with self.lock:
            self.outcomes[version.id] = outcome
            if outcome[0] == "skipped":
                self.refusals.setdefault(t.cast(str, outcome[1]), []).append(version.id)
        return None

    def delete_one(self, version: Version) -> tuple[str, t.Optional[str]]:
        try:
            self.client.delete_version(self.owner, self.package_type, self.name, version.id)
        except NotFound as error:
            if self.parents.get(version.id):
                # GitHub deletes an index's untagged entries with it: this run deleted it.
                return "deleted", self.act_reason(version.id) or "removed by GitHub with the index it belongs to"
            if error.retried:
                # 404 on a retried DELETE: the earlier attempt, whose answer was lost, deleted it.
                return "deleted", self.act_reason(version.id)
            return "already_absent", None
        except (InvalidRequest, Conflict) as error:
            return "skipped", error.message
        return "deleted", self.act_reason(version.id)

    def restore_one(self, version: Version) -> tuple[str, t.Optional[str]]:
        """Restore one version (see _restore for a lost answer); an error other than GitHub's per-version answers is raised."""
        done = restore_version(self.client, self.owner, self.package_type, self.name, version.id)
        if done.restored:
            return "restored", RESTORED_ALONG if done.along else None
        if isinstance(done.error, NotFound):
            return "skipped", f"GitHub no longer has it (versions can be restored for 30 days): {done.error.message}"
        if isinstance(done.error, (InvalidRequest, Conflict)):
            return "skipped", done.error.message
        raise t.cast(GitHubAPIError, done.error)

    def active_versions(self) -> t.Optional[list[Version]]:
        """For the diff of a restore: the package's active versions (one more listing, only in diff mode)."""
        if not self.diff_mode:
            return None
        client, owner = self.client, self.owner
        try:
            return [Version.from_api(item, self.package_type) for item in client.list_versions(owner, self.package_type, self.name, "active")]
        except NotFound:
            return []

    def result(self, decisions: list[Decision], active: t.Optional[list[Version]], package_found: bool = True) -> dict[str, t.Any]:
        versions = []
        deleted_ids = []
        counts = dict.fromkeys(OUTCOMES, 0)
        counts["matched"] = len(decisions)
        for decision in decisions:
            if decision.action == KEEP:
                outcome, reason = "kept", decision.reason
            elif decision.action == ACT:
                outcome, reason = self.outcomes.get(decision.version.id, ("skipped", NOT_ATTEMPTED))
            else:
                outcome, reason = "skipped", decision.reason
            counts[outcome] += 1
            if outcome == "deleted":
                deleted_ids.append(decision.version.id)
            if returns_version(self.return_versions, outcome):
                entry = decision.version.as_dict()
                entry.update(outcome=outcome, reason=reason)
                versions.append(entry)
        owner = self.owner
        result: dict[str, t.Any] = {
            "changed": self.package_deleted or any(counts[o] for o in CHANGES),
            "msg": self.summary(counts, package_found),
            "owner": owner.login,
            "owner_type": owner.kind,
            "package_type": self.package_type,
            "name": self.name,
            "state": self.job.state,
            "package_found": package_found,
            "versions": versions,
            "counts": counts,
            "deleted_version_ids": [] if self.package_deleted else deleted_ids,
            "package_deleted": self.package_deleted,
            "manifests_read": self.manifest_reads,
            "bytes_freed": None if self.freed is None else self.freed[0],
            "bytes_unmeasured": None if self.freed is None else self.freed[1],
        }
        if self.diff_mode:
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
            owner = self.owner
            whose = f"the {owner.kind} {owner.login}" if owner.login else "the token's own account"
            return (f"package {self.name} ({self.package_type}) not found for {whose}, so nothing was deleted: it does not exist, or the "
                    "token's user cannot see it (a private package needs read access; a workflow's GITHUB_TOKEN sees only the packages "
                    "that grant its repository access); check the name and package_type")
        verb = "deleted" if self.absent else "restored"
        if self.check_mode:
            verb = "would delete" if self.absent else "would restore"
        done = counts["deleted"] + counts["restored"] + counts["would_delete"] + counts["would_restore"]
        text = f"{verb} {done} of {counts['matched']} matching versions; kept {counts['kept']}; skipped {counts['skipped']}"
        if counts["already_absent"]:
            text += f"; {counts['already_absent']} already absent"
        if self.package_deleted:
            text += "; the whole package " + ("would be deleted" if self.check_mode else "was deleted")
        return text
