"""Interruption: the cleanup playbook (ghpkgs.registry.org_cleanup) killed with SIGKILL at 20 random points, then rerun,
converges each time to exactly the final state of an uninterrupted run; nothing outside the policy is ever deleted, and
no report is ever left half-written."""
from __future__ import annotations

import datetime as dt
import json
import os
import random
import signal
import subprocess
import threading
import time
import typing as t
from pathlib import Path
from typing import Any

import pytest

from conftest import BIN, FIGURES, SECRET, Emulator, base_seed, clean_dir, state_snapshot

KILLS = 20
CHAIN = 4  # kills in a row (each run starting from the state the previous kill left), then a full rerun
PACKAGES = 6
VERSIONS = 50


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def interruption_seed() -> dict[str, Any]:
    """The small seed plus six npm packages of 50 versions, one every 6 hours from 1 day ago."""
    seed = base_seed()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    seed["now"] = iso(now)
    seed["config"] = {"primary_limit": None, "secondary_points": None, "latency_ms": 10}
    for package in range(PACKAGES):
        versions = []
        for number in range(VERSIONS):
            created = now - dt.timedelta(hours=6 * number + 24.5)
            versions.append({"id": 800_000 + package * 1000 + number, "name": f"3.{package}.{number}", "tags": [],
                             "created_at": iso(created), "updated_at": iso(created), "downloads": 0})
        seed["packages"].append({"owner": "acme", "package_type": "npm", "name": f"svc-{package}", "visibility": "private",
                                 "repository": None, "created_at": iso(now - dt.timedelta(days=400)), "versions": versions})
    return seed


def extra_vars(emu: Emulator, reports: Path) -> dict[str, Any]:
    return {"ghpkgs_api_url": emu.url, "ghpkgs_points_per_minute": 0, "ghpkgs_max_concurrency": 4,
            "org_cleanup_owner": "acme", "org_cleanup_owner_type": "org", "org_cleanup_dry_run": False,
            "org_cleanup_package_types": ["npm"], "org_cleanup_include": ["svc-*", "web-ui"], "org_cleanup_batch_size": 4,
            "org_cleanup_report_dir": str(reports),
            "org_cleanup_policy": {"older_than": "5d", "keep_latest": 4, "exclude": ["*.7"]}}


def start(ansible: Any, emu: Emulator, reports: Path, workdir: Path) -> subprocess.Popen[bytes]:
    variables = workdir / "vars.json"
    variables.write_text(json.dumps(extra_vars(emu, reports)))
    command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "ghpkgs.registry.org_cleanup", "-e", f"@{variables}",
               "-e", "ghpkgs_hosts=localhost"]
    log = (workdir / "output.txt").open("ab")
    return subprocess.Popen(command, env=ansible.env({"GITHUB_TOKEN": SECRET}), stdout=log, stderr=subprocess.STDOUT,
                            cwd=str(workdir), start_new_session=True)


def descendants(pid: int) -> list[int]:
    """Every process below pid (Ansible's workers start their own sessions, so killing the process group misses them)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_all(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the playbook and everything it started, at once: like a machine that dies."""
    below = descendants(process.pid)
    os.killpg(process.pid, signal.SIGKILL)
    for pid in below:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class DeleteKiller:
    """Kills the run from inside the emulator as soon as it has answered the run's threshold-th DELETE: exactly there,
    however busy the machine (a watcher polling the log saw it late, or only after the run had ended)."""

    def __init__(self, emu: Emulator, threshold: int) -> None:
        self.emu = emu
        self.threshold = threshold
        self.deletes = 0
        self.killed = False
        self.process: subprocess.Popen[bytes] | None = None
        self.started = threading.Event()
        self.lock = threading.Lock()  # requests are answered on threads of their own
        self.record = emu.state.record
        emu.state.record = self.recorded  # type: ignore[method-assign]  # called once a request has been answered

    def recorded(self, entry: dict[str, Any]) -> None:
        self.record(entry)
        if entry["method"] != "DELETE":
            return
        with self.lock:
            self.deletes += 1
            if self.deletes == self.threshold:
                self.started.wait(60)
                kill_all(t.cast(subprocess.Popen, self.process))
                self.killed = True

    def run(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.started.set()
        process.wait(timeout=300)

    def stop(self) -> None:
        self.emu.state.record = self.record  # type: ignore[method-assign]


def complete(ansible: Any, emu: Emulator, reports: Path, workdir: Path) -> float:
    started = time.monotonic()
    process = start(ansible, emu, reports, workdir)
    assert process.wait(timeout=300) == 0, (workdir / "output.txt").read_text()[-4000:]
    return time.monotonic() - started


def reports_are_whole(reports: Path) -> None:
    for path in reports.glob("*.json"):
        data = json.loads(path.read_text())  # a killed run never leaves a truncated report
        assert data["format"] == "ghpkgs.registry.cleanup-report"


def deleted_ids(snapshot: dict[Any, Any]) -> set[int]:
    return {vid for value in snapshot.values() for vid in value["gone"]}


@pytest.fixture(scope="module")
def interrupted() -> Any:
    with Emulator(seed=interruption_seed()) as emu:
        yield emu


def test_killed_cleanups_converge(ansible: Any, interrupted: Emulator, tmp_path: Path) -> None:
    emu = interrupted
    emu.control.reset()
    initial = state_snapshot(emu.control.state())
    reports = tmp_path / "reports"
    clean_dir(reports)
    duration = complete(ansible, emu, reports, tmp_path)
    reference = state_snapshot(emu.control.state())
    allowed = deleted_ids(reference) - deleted_ids(initial)
    assert len(allowed) > 150, "the policy deletes enough for kills to land mid-work"
    rng = random.Random(20)
    survived = runs = mid_work = 0
    while survived < KILLS:
        emu.control.reset()
        clean_dir(reports)
        for dummy in range(CHAIN):
            if survived == KILLS:
                break
            runs += 1
            before = deleted_ids(state_snapshot(emu.control.state()))
            assert runs <= 3 * KILLS, "runs keep finishing before their kill point"
            # Every other kill lands after a random number of this run's DELETEs (mid-work for sure); the others after a
            # random time, which also reaches the startup, listing and report-writing phases.
            left = len(allowed - before)
            if left < 2 and dummy > 0:
                break  # nothing left to interrupt: the full rerun below checks convergence
            by_deletes = dummy > 0 or survived % 2 == 1
            threshold = rng.randint(1, max(1, left * 9 // 10)) if by_deletes else 0
            delay = rng.uniform(0.2, 0.9 * duration)
            killed = False
            if by_deletes:
                killer = DeleteKiller(emu, threshold)
                try:
                    killer.run(start(ansible, emu, reports, tmp_path))
                finally:
                    killer.stop()
                process, killed = t.cast(subprocess.Popen, killer.process), killer.killed
            else:
                process = start(ansible, emu, reports, tmp_path)
                deadline = time.monotonic() + delay
                while process.poll() is None:
                    if time.monotonic() >= deadline:
                        kill_all(process)
                        killed = True
                        break
                    time.sleep(0.005)
            if not process.wait(timeout=30) == 0 and not killed:
                pytest.fail("an uninterrupted run failed:\n" + (tmp_path / "output.txt").read_text()[-4000:])
            if not killed:
                continue  # finished before its kill point: not counted
            point = f"after {threshold} DELETEs" if by_deletes else "at a random time"
            now = state_snapshot(emu.control.state())
            outside = deleted_ids(now) - deleted_ids(initial) - allowed
            assert not outside, f"kill {survived + 1} ({point}): deleted outside the policy: {sorted(outside)}"
            reports_are_whole(reports)
            survived += 1
            after = deleted_ids(now)
            mid_work += before != after and not allowed <= after
        complete(ansible, emu, reports, tmp_path)
        assert state_snapshot(emu.control.state()) == reference, f"after kill {survived}: the rerun did not converge"
        reports_are_whole(reports)
    FIGURES.add("kill points survived", survived)
    FIGURES.add("kill points survived: in the middle of deleting", mid_work)
    assert mid_work >= KILLS // 4, "too few kills landed while versions were being deleted"
