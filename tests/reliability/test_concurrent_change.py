"""Concurrent change: versions published, and versions deleted by someone else, while a cleanup runs are never wrongly
deleted and never fail the run."""
from __future__ import annotations

import datetime as dt
import hashlib
import random
import threading
import time
from typing import Any

import requests

from conftest import FIGURES, SECRET, TOKEN, Emulator, base_seed, module_result

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


def meddle(emu: Emulator, selected: set[int], others: set[int], started: threading.Event, done: dict[str, Any]) -> None:
    """Someone else: once the cleanup has begun listing, publishes new versions and deletes some selected and some kept ones."""
    rng = random.Random(10)
    victims = rng.sample(sorted(selected), 25) + rng.sample(sorted(others), 5)
    rng.shuffle(victims)
    session = requests.Session()
    session.headers.update({"Authorization": f"Bearer {TOKEN['full']}", "Accept": "application/vnd.github+json"})
    started.wait(60)
    for step in range(30):
        created = emu.control.publish(OWNER, TYPE, NAME, {"name": f"9.9.{step}"})
        done["published"].add(created["id"])
        response = session.delete(f"{emu.url}/orgs/{OWNER}/packages/{TYPE}/{NAME}/versions/{victims[step]}", timeout=10)
        if response.status_code == 204:
            done["deleted"].add(victims[step])
        time.sleep(0.02)


def test_publishing_and_deleting_during_a_cleanup(ansible: Any, figures: Any) -> None:
    seed, selected, others = seed_with_busy_package()
    with Emulator(seed=seed) as emu:
        emu.control.config(latency_ms=15)
        started = threading.Event()
        done: dict[str, Any] = {"published": set(), "deleted": set()}
        meddler = threading.Thread(target=meddle, args=(emu, selected, others, started, done), daemon=True)
        meddler.start()
        watcher_stop = threading.Event()

        def watch() -> None:
            while not watcher_stop.is_set() and not started.is_set():
                if any(NAME in entry["path"] for entry in emu.control.log()):
                    started.set()
                time.sleep(0.005)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        args = {"api_url": emu.url, "owner": OWNER, "owner_type": "org", "package_type": TYPE, "name": NAME, "state": "absent",
                "points_per_minute": 0, "max_concurrency": 4, **POLICY}
        run = ansible.module("package_version", args, env={"GITHUB_TOKEN": SECRET})
        watcher_stop.set()
        meddler.join(60)
        result = module_result(run)
        log = emu.control.log()
        state = emu.control.state()
        emu.control.config(latency_ms=0)
        rerun = ansible.module("package_version", args, env={"GITHUB_TOKEN": SECRET})
        final = emu.control.state()

    mine = hashlib.sha256(SECRET.encode()).hexdigest()[:12]
    my_deletes = {int(e["path"].rsplit("/", 1)[1]) for e in log if e["method"] == "DELETE" and e["token_sha256"] == mine}
    assert run.rc == 0, run.output[-3000:]
    assert done["published"] and done["deleted"] & selected, "the meddling happened during the run"
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
