"""Concurrent change: versions published, and versions deleted by someone else, while a cleanup runs are never wrongly
deleted and never fail the run."""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from conftest import FIGURES, SECRET, Emulator, base_seed, module_result

OWNER, TYPE, NAME = "acme", "npm", "busy"
VERSIONS = 400
POLICY = {"older_than": "10d", "keep_latest": 3}


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def seed_with_busy_package() -> tuple[dict[str, Any], set[int], set[int]]:
    """400 versions, one every 12 hours from 1 day ago: returns the seed, the ids the policy selects, and the others."""
    seed = base_seed()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    seed["now"] = iso(now)
    seed["config"] = {"primary_limit": None, "secondary_points": None}
    versions, old = [], []
    for number in range(VERSIONS):
        created = now - dt.timedelta(hours=12 * number + 24.5)
        vid = 700_000 + number
        versions.append({"id": vid, "name": f"2.{number // 100}.{number % 100}", "tags": [], "created_at": iso(created),
                         "updated_at": iso(created), "downloads": 0})
        if created < now - dt.timedelta(days=10):
            old.append((created, vid))
    seed["packages"].append({"owner": OWNER, "package_type": TYPE, "name": NAME, "visibility": "private", "repository": None,
                             "created_at": iso(now - dt.timedelta(days=400)), "versions": versions})
    selected = {vid for _, vid in sorted(old)[:-POLICY["keep_latest"]]}
    return seed, selected, {v["id"] for v in versions} - selected


class Meddler:
    """Someone else, at fixed points of the cleanup's own requests (not at times that depend on the machine): before every
    12th of them is served from the 2nd on (its second listing page, then across its deletions), publishes a new version
    and deletes one of 25 selected and 5 kept versions, straight in the emulator's store."""

    STEPS = 30
    EVERY = 12  # the cleanup sends at least 4 listing pages and 354 deletions (379 selected, 25 of them deleted by others)

    def __init__(self, emu: Emulator, selected: set[int], others: set[int]) -> None:
        rng = random.Random(10)
        self.victims = rng.sample(sorted(selected), 25) + rng.sample(sorted(others), 5)
        rng.shuffle(self.victims)
        self.emu = emu
        self.done: dict[str, set[int]] = {"published": set(), "deleted": set()}
        self.count = emu.state.next_request
        emu.state.next_request = self.next_request  # type: ignore[method-assign]  # called once per API request, before it is served

    def next_request(self) -> tuple[int, int]:
        number, generation = self.count()
        step, offset = divmod(number - 2, self.EVERY)
        if offset == 0 and 0 <= step < self.STEPS:
            store = self.emu.state.store
            with store.lock:
                dummy, version = store.publish(OWNER, TYPE, NAME, {"name": f"9.9.{step}"})
                self.done["published"].add(version.id)
                package = store.package(OWNER, TYPE, NAME)
                victim = package.by_id[self.victims[step]]
                if victim.deleted_at is None:
                    store.delete_version(package, victim)
                    self.done["deleted"].add(victim.id)
        return number, generation

    def stop(self) -> None:
        self.emu.state.next_request = self.count  # type: ignore[method-assign]


def test_publishing_and_deleting_during_a_cleanup(ansible: Any, figures: Any) -> None:
    seed, selected, others = seed_with_busy_package()
    with Emulator(seed=seed) as emu:
        meddler = Meddler(emu, selected, others)
        args = {"api_url": emu.url, "owner": OWNER, "owner_type": "org", "package_type": TYPE, "name": NAME, "state": "absent",
                "points_per_minute": 0, "max_concurrency": 4, **POLICY}
        run = ansible.module("package_version", args, env={"GITHUB_TOKEN": SECRET})
        meddler.stop()
        done = meddler.done
        result = module_result(run)
        log = emu.control.log()
        state = emu.control.state()
        rerun = ansible.module("package_version", args, env={"GITHUB_TOKEN": SECRET})
        final = emu.control.state()

    mine = hashlib.sha256(SECRET.encode()).hexdigest()[:12]
    my_deletes = {int(e["path"].rsplit("/", 1)[1]) for e in log if e["method"] == "DELETE" and e["token_sha256"] == mine}
    assert run.rc == 0, run.output[-3000:]
    assert len(done["published"]) == Meddler.STEPS and done["deleted"] & selected, "the meddling happened during the run"
    assert my_deletes <= selected, f"deleted outside the policy: {sorted(my_deletes - selected)}"
    assert not my_deletes & done["published"]
    package = next(p for p in state["packages"] if p["name"] == NAME and not p["deleted_at"])
    active = {v["id"] for v in package["versions"] if not v["deleted_at"]}
    assert done["published"] <= active, "a version published during the cleanup was deleted"
    assert others - done["deleted"] <= active, "a version outside the policy was deleted"
    missed = selected & active
    # Versions the cleanup never saw (the listing shifted under it) stay for the next run; none is lost wrongly.
    outcomes = {v["id"]: v["outcome"] for v in result["versions"]}
    assert all(outcomes.get(vid) in (None, "deleted", "already_absent") for vid in selected), result["msg"]
    assert rerun.rc == 0, rerun.output[-3000:]
    package = next(p for p in final["packages"] if p["name"] == NAME and not p["deleted_at"])
    assert not selected & {v["id"] for v in package["versions"] if not v["deleted_at"]}, "a rerun finishes the job"
    FIGURES.add("concurrent changes survived", len(done["published"]) + len(done["deleted"]))
    FIGURES.add("versions left for the next run by a shifting listing", len(missed))
