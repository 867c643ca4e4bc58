#!/usr/bin/env python3
"""Performance at organization scale (issue 9): runs every scenario against the emulator and prints one table.

    python tests/benchmark/run.py [--quick] [--only NAME ...] [--json FILE]

Run it with the Python of a virtualenv holding ansible-core and requests (e.g. .venv/core-2.19/bin/python): modules
run the way users run them (``ansible localhost -m ...``, ``ansible-playbook``) from the ansible of that virtualenv,
against a tree that links the collection in this checkout. Exit status 1 when a scenario misses its target.
The emulator runs in its own process (127.0.0.1 only), so it does not share a CPU lock with the code under test.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, cast

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "emulator"))

from ghpkgs_emulator import Control  # noqa: E402
from ghpkgs_emulator.seedgen import TOKENS, generate  # noqa: E402

TOKEN = {spec["name"]: value for value, spec in TOKENS.items()}
BIN = Path(sys.executable).parent
PER_PAGE = 100


@dataclass
class Row:
    scenario: str
    requests: int | None = None
    lower_bound: int | None = None
    wall_s: float | None = None
    floor_s: float | None = None
    target: str = ""
    ok: bool = True
    notes: list[str] = field(default_factory=list)

    @property
    def request_ratio(self) -> float | None:
        return self.requests / self.lower_bound if self.requests is not None and self.lower_bound else None

    @property
    def time_ratio(self) -> float | None:
        return self.wall_s / self.floor_s if self.wall_s is not None and self.floor_s else None


def pages(count: int) -> int:
    """Listing requests for ``count`` items: an empty listing still costs one."""
    return max(1, math.ceil(count / PER_PAGE))


# ---- environment: seeds, emulator process, collection tree, ansible runs -------------------------------------------

class Bench:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.collections = workdir / "collections"
        link = self.collections / "ansible_collections" / "ghpkgs" / "registry"
        link.parent.mkdir(parents=True)
        link.symlink_to(REPO)
        self.env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(self.collections), ANSIBLE_HOST_KEY_CHECKING="False",
                        ANSIBLE_LOCALHOST_WARNING="False", ANSIBLE_INVENTORY_UNPARSED_WARNING="False", ANSIBLE_NOCOLOR="1",
                        ANSIBLE_PYTHON_INTERPRETER=sys.executable, ANSIBLE_RETRY_FILES_ENABLED="False",
                        ANSIBLE_DEPRECATION_WARNINGS="False", ANSIBLE_SYSTEM_WARNINGS="False")

    def seed(self, name: str, profile: str, **sizes: int | None) -> Path:
        path = self.workdir / f"seed-{name}.json"
        if not path.exists():
            data = generate(profile, packages=sizes.get("packages"), versions_per_package=sizes.get("versions_per_package"))
            path.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        return path

    def emulator(self, seed: Path) -> Emulator:
        return Emulator(seed, self.workdir)

    def ansible_module(self, module: str, args: dict[str, Any], check: bool = False) -> tuple[dict[str, Any], float]:
        """``ansible localhost -m ghpkgs.registry.MODULE -a JSON``; returns the module's result and the command's wall time."""
        tree = Path(tempfile.mkdtemp(dir=self.workdir, prefix="tree-"))
        command = [str(BIN / "ansible"), "localhost", "-i", "localhost,", "-c", "local", "-m", f"ghpkgs.registry.{module}",
                   "-a", json.dumps(args), "-t", str(tree), "-o"] + (["--check"] if check else [])
        started = time.monotonic()
        completed = subprocess.run(command, env=self.env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - started
        result_file = tree / "localhost"
        if not result_file.exists():
            raise RuntimeError(f"{module} gave no result (rc {completed.returncode}): {completed.stdout[-2000:]} {completed.stderr[-2000:]}")
        result = json.loads(result_file.read_text(encoding="utf-8"))
        shutil.rmtree(tree)
        if completed.returncode != 0:
            raise RuntimeError(f"{module} failed (rc {completed.returncode}): {str(result.get('msg'))[:2000]}")
        return result, wall

    def playbook(self, text: str, extra_vars: dict[str, Any]) -> tuple[subprocess.CompletedProcess[str], float]:
        path = self.workdir / "playbook.yml"
        path.write_text(text, encoding="utf-8")
        vars_file = self.workdir / "vars.json"
        vars_file.write_text(json.dumps(extra_vars), encoding="utf-8")
        started = time.monotonic()
        completed = subprocess.run([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), "-e", f"@{vars_file}"],
                                   env=self.env, capture_output=True, text=True, check=False)
        return completed, time.monotonic() - started


class Emulator:
    """The emulator CLI in its own process (``serve --port 0``), stopped with SIGTERM."""

    def __init__(self, seed: Path, workdir: Path) -> None:
        port_file = workdir / "port"
        port_file.unlink(missing_ok=True)
        env = dict(os.environ, PYTHONPATH=str(REPO / "tests" / "emulator"))
        self.process = subprocess.Popen([sys.executable, "-m", "ghpkgs_emulator", "serve", "--port", "0", "--port-file", str(port_file),
                                         "--seed", str(seed)], env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while not port_file.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the emulator did not start")
            time.sleep(0.05)
        self.url = "http://127.0.0.1:%d" % int(port_file.read_text())
        self.control = Control(self.url)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)

    def api_log(self) -> list[dict[str, Any]]:
        """Requests to the REST API (registry requests, /v2 and /token, left out)."""
        return [entry for entry in self.control.log() if not (entry["path"].startswith("/v2/") or entry["path"] == "/token")]

    def active_versions(self) -> dict[tuple[str, str], int]:
        """(package_type, name) -> active versions, for every active package."""
        return {(p["package_type"], p["name"]): sum(1 for v in p["versions"] if v["deleted_at"] is None)
                for p in self.control.state()["packages"] if p["deleted_at"] is None}


def common(emu: Emulator, **extra: Any) -> dict[str, Any]:
    return dict({"token": TOKEN["full"], "api_url": emu.url, "owner": "acme"}, **extra)


def writes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["method"] in ("POST", "DELETE", "PUT", "PATCH")]


def listing_bound(counts: dict[tuple[str, str], int], types: tuple[str, ...]) -> int:
    """GET /users/acme (owner_type auto) + the package listing of each type + every package's version listing."""
    per_type = {package_type: 0 for package_type in types}
    for package_type, _name in counts:
        per_type[package_type] += 1
    return 1 + sum(pages(n) for n in per_type.values()) + sum(pages(n) for n in counts.values())


# ---- scenario 1: requests = lower bound --------------------------------------------------------------------------

ALL_TYPES = ("npm", "maven", "rubygems", "docker", "nuget", "container")


def scenario_requests(bench: Bench, quick: bool) -> list[Row]:
    size = {"packages": 60, "versions_per_package": 100} if quick else {}
    with bench.emulator(bench.seed("org-scale-quick" if quick else "org-scale", "org-scale", **size)) as emu:
        emu.control.config(primary_limit=None, secondary_points=None)
        before = emu.active_versions()
        total = sum(before.values())

        result, wall = bench.ansible_module("package_info", common(emu, include_versions=True))
        log = emu.api_log()
        listed = sum(len(p["versions"]) for p in result["packages"])
        inventory = Row(f"1a inventory: {len(before)} packages, {total} versions", len(log), listing_bound(before, ALL_TYPES), wall,
                        target="requests = bound")
        inventory.ok = inventory.requests == inventory.lower_bound and listed == total
        inventory.notes.append(f"package_info include_versions: {listed} versions returned")

        emu.control.clear_log()
        packages = [{"package_type": t, "name": n} for (t, n) in sorted(before)]
        result, wall = bench.ansible_module("package_cleanup", common(emu, packages=packages, policy={"versions": ["*"], "keep_latest": 90},
                                                                      points_per_minute=0))
        log = emu.api_log()
        after = emu.active_versions()
        removed = total - sum(after.values())
        # A change is a version gone. The untagged children of a deleted index may go with it on GitHub's side (the emulator
        # does that) and their own DELETE then answers 404: the module cannot know in advance, so each still costs one request.
        bound = 1 + sum(pages(n) for n in before.values()) + removed
        cleanup = Row(f"1b cleanup: keep_latest 90 of {len(before)} packages", len(log), bound, wall, target="requests = bound")
        cleanup.ok = cleanup.requests == bound and not result.get("failed_packages")
        registry = len(emu.control.log()) - len(log)
        deleted = [entry for entry in writes(log) if 200 <= entry["status"] < 300]
        cleanup.notes.append(f"package_cleanup: {removed} versions gone, {len(deleted)} DELETEs answered 204, "
                             f"{registry} registry requests (ghcr.io, not the REST API budget)")

        report = bench.workdir / "cleanup-report.json"
        report.write_text(json.dumps(result["report"]), encoding="utf-8")
        emu.control.clear_log()
        deleted_state = {k: v for k, v in ((k, before[k] - after.get(k, 0)) for k in before) if v}
        result, wall = bench.ansible_module("package_restore", {"token": TOKEN["full"], "api_url": emu.url, "from_report": str(report),
                                                                "points_per_minute": 0})
        log = emu.api_log()
        changes = [entry for entry in writes(log) if 200 <= entry["status"] < 300]
        # Per package: one listing of its deleted versions (to plan from), then one request per version restored.
        bound = sum(pages(n) for n in deleted_state.values()) + sum(deleted_state.values())
        restore = Row(f"1c restore from the report: {len(deleted_state)} packages", len(log), bound, wall, target="requests = bound")
        restored_ok = emu.active_versions() == before
        restore.ok = restore.requests == bound and restored_ok
        gets = len(log) - len(writes(log))
        restore.notes.append(f"package_restore from_report: {len(changes)} restores, {gets} GETs; state back to the seed: {restored_ok}")
        return [inventory, cleanup, restore]


# ---- scenario 2: paced cleanup under scaled-down limits -------------------------------------------------------------

# GitHub's limits with time scaled down: a secondary "minute" of 2 s (900 points, a DELETE costing 5) and a primary
# budget of 2,000 requests per 30 s, which runs out twice during the cleanup.
SECONDARY_POINTS, SECONDARY_WINDOW = 900, 2.0
PRIMARY_LIMIT, PRIMARY_WINDOW = 2000, 30.0
# Read by the module layer (plugins/module_utils/_module.py) to scale the window of points_per_minute.
WINDOW_ENV = "GHPKGS_PACING_WINDOW_SECONDS"


def paced_floor(gets: int, deletes: int, points: int, window: float, primary: int, primary_window: float) -> float:
    """The earliest moment the last request can start, for a client that knows the limits exactly and has no latency.

    Secondary: no ``window`` seconds (sliding) hold more than ``points`` points of DELETEs (5 each); the GETs are
    another endpoint with their own budget. Primary: ``primary`` requests per window, a window starting with the first
    request after the previous one ended (as GitHub's reset does). Greedy is optimal: every request as early as allowed.
    """
    now, window_start, used, recent = 0.0, 0.0, 0, []  # recent: start times of DELETEs in the last window
    for number in range(gets + deletes):
        if used == primary:
            now, used = max(now, window_start + primary_window), 0
            window_start = now
        if used == 0:
            window_start = now
        if number >= gets:
            recent = [moment for moment in recent if moment > now - window]
            allowed = points // 5
            if len(recent) >= allowed:
                now = recent[len(recent) - allowed] + window
                recent = [moment for moment in recent if moment > now - window]
            recent.append(now)
        used += 1
    return now


def scenario_paced(bench: Bench, quick: bool) -> list[Row]:
    count, keep = (20, 20) if quick else (50, 20)
    # org-scale cycles through the six types: 300 packages hold 50 npm ones (no manifest graph, no registry requests).
    seed = json.loads(bench.seed("paced", "org-scale", packages=300, versions_per_package=120).read_text())
    seed["packages"] = [p for p in seed["packages"] if p["package_type"] == "npm"][:count]
    path = bench.workdir / "seed-paced-npm.json"
    path.write_text(json.dumps(seed), encoding="utf-8")
    with bench.emulator(path) as emu:
        emu.control.config(secondary_points=SECONDARY_POINTS, secondary_window_seconds=SECONDARY_WINDOW,
                           primary_limit=PRIMARY_LIMIT, primary_window_seconds=PRIMARY_WINDOW)
        before = emu.active_versions()
        deletions = sum(n - keep for n in before.values())
        gets = 1 + sum(pages(n) for n in before.values())
        started = time.monotonic()
        bench.env[WINDOW_ENV] = str(SECONDARY_WINDOW)
        try:
            bench.ansible_module("package_cleanup", common(emu, packages=[{"package_type": t, "name": n} for t, n in sorted(before)],
                                                           policy={"versions": ["*"], "keep_latest": keep}, max_concurrency=8))
        finally:
            del bench.env[WINDOW_ENV]
        total = time.monotonic() - started
        log = emu.api_log()
    limited = [entry for entry in log if entry["status"] in (403, 429)]
    span = log[-1]["time"] - log[0]["time"]
    floor = paced_floor(gets, deletions, SECONDARY_POINTS, SECONDARY_WINDOW, PRIMARY_LIMIT, PRIMARY_WINDOW)
    row = Row(f"2 paced cleanup: {deletions} deletions, {len(before)} packages", len(log), gets + deletions, span, floor,
              target="0 limit errors, time <= 1.15 x floor")
    resets = sum(1 for a, b in zip(log, log[1:]) if b["time"] - a["time"] > SECONDARY_WINDOW)
    row.ok = not limited and row.requests == row.lower_bound and row.time_ratio is not None and row.time_ratio <= 1.15
    row.notes.append(f"package_cleanup via ansible; {len(limited)} limit errors (403/429), {resets} waits for a primary reset, "
                     f"first to last request {span:.1f} s, whole run {total:.1f} s; limits: {SECONDARY_POINTS} points per "
                     f"{SECONDARY_WINDOW:g} s per endpoint, {PRIMARY_LIMIT} requests per {PRIMARY_WINDOW:g} s")
    return [row, paced_progress(bench, path, keep)]


def paced_progress(bench: Bench, seed: Path, keep: int) -> Row:
    """The same cleanup through the org_cleanup role: the time between its progress lines, and whether they show the waits
    for the primary limit. The limits are scaled (a minute of 2 s), Ansible's own time per batch is not."""
    with bench.emulator(seed) as emu:
        emu.control.config(secondary_points=SECONDARY_POINTS, secondary_window_seconds=SECONDARY_WINDOW,
                           primary_limit=PRIMARY_LIMIT, primary_window_seconds=PRIMARY_WINDOW)
        play = bench.workdir / "cleanup.yml"
        cleanup_play = ROLE_PLAY.replace("org_cleanup dry run", "org_cleanup").replace("org_cleanup_dry_run: true", "org_cleanup_dry_run: false")
        play.write_text(cleanup_play.replace("org_cleanup_owner: acme", "org_cleanup_owner: acme\n        org_cleanup_policy: "
                                             + json.dumps({"versions": ["*"], "keep_latest": keep})), encoding="utf-8")
        extra = bench.workdir / "cleanup-vars.json"
        extra.write_text(json.dumps({"bench_token": TOKEN["full"], "bench_api_url": emu.url,
                                     "bench_report_dir": str(bench.workdir / "reports")}), encoding="utf-8")
        env = dict(bench.env, **{WINDOW_ENV: str(SECONDARY_WINDOW)})
        started = time.monotonic()
        process = subprocess.Popen([str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(play), "-e", f"@{extra}"],
                                   env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = [(time.monotonic() - started, line.strip()) for line in cast(IO[str], process.stdout)]
        returncode = process.wait()
    progress = [(moment, line) for moment, line in lines if line.startswith('"msg": "acme: batch')]
    moments = [0.0] + [moment for moment, _ in progress] + [lines[-1][0] if lines else 0.0]
    gaps = [b - a for a, b in zip(moments, moments[1:])]
    waits = sum(1 for _, line in progress if "rate limit, resumed at" in line)
    row = Row(f"2b progress: the same cleanup through org_cleanup, {len(progress)} progress lines", None, None, max(gaps), None,
              target="a line at least every 60 s, limit waits shown")
    row.ok = returncode == 0 and bool(progress) and max(gaps) <= 60 and waits > 0
    row.notes.append(f"ansible-playbook rc {returncode}, {lines[-1][0]:.1f} s; longest time without a progress line {max(gaps):.1f} s "
                     f"({max(gaps) / SECONDARY_WINDOW:.1f} scaled minutes: Ansible's own seconds per batch do not scale); "
                     f"{waits} lines show a wait for the primary limit; last: {progress[-1][1] if progress else '-'}")
    if returncode != 0:
        row.notes.append("\n".join(line for _, line in lines[-30:]))
    return row


# ---- scenario 3: unpaced throughput -------------------------------------------------------------------------------

def scenario_throughput(bench: Bench, quick: bool) -> list[Row]:
    latency, concurrency, keep = 0.05, 8, 10
    count = 8 if quick else 20
    with bench.emulator(bench.seed("throughput", "org-scale", packages=6 * count, versions_per_package=100)) as emu:
        emu.control.config(primary_limit=None, secondary_points=None, latency_ms=int(latency * 1000))
        before = {k: n for k, n in emu.active_versions().items() if k[0] == "npm"}
        packages = [{"package_type": t, "name": n} for t, n in sorted(before)]
        _result, wall = bench.ansible_module("package_cleanup", common(emu, api_url=emu.url + "/api/v3", points_per_minute=0,
                                                                       max_concurrency=concurrency, packages=packages,
                                                                       policy={"versions": ["*"], "keep_latest": keep}))
        log = emu.api_log()
    deletes = [entry for entry in log if entry["method"] == "DELETE" and entry["status"] == 204]
    span = deletes[-1]["time"] - deletes[0]["time"] + latency
    rate, target = len(deletes) / span, 0.8 * concurrency / latency
    row = Row(f"3 unpaced throughput: {len(deletes)} deletions, GHES, latency {latency * 1000:.0f} ms", len(log),
              1 + sum(pages(n) for n in before.values()) + len(deletes), span, len(deletes) * latency / concurrency,
              target=f">= {target:.0f} deletions/s")
    row.ok = rate >= target
    row.notes.append(f"{rate:.1f} deletions/s with max_concurrency {concurrency} (ideal {concurrency / latency:.0f}/s); "
                     f"floor = deletions x latency / max_concurrency; the ansible command took {wall:.1f} s in all")
    return [row]


# ---- scenario 4: Ansible overhead ---------------------------------------------------------------------------------

ROLE_PLAY = """- name: org_cleanup dry run
  hosts: localhost
  gather_facts: false
  module_defaults:
    group/ghpkgs.registry.github:
      token: "{{ bench_token }}"
      api_url: "{{ bench_api_url }}"
  roles:
    - role: ghpkgs.registry.org_cleanup
      vars:
        org_cleanup_owner: acme
        org_cleanup_dry_run: true
        org_cleanup_report_dir: "{{ bench_report_dir }}"
"""


def scenario_overhead(bench: Bench, quick: bool) -> list[Row]:
    if not (REPO / "roles" / "org_cleanup" / "tasks" / "main.yml").exists():
        return [Row("4 Ansible overhead", ok=False, notes=["roles/org_cleanup is missing"])]
    latency, count = 0.1, (60 if quick else 200)
    with bench.emulator(bench.seed(f"overhead-{count}", "org-scale", packages=count, versions_per_package=30)) as emu:
        emu.control.config(primary_limit=None, secondary_points=None, latency_ms=int(latency * 1000))
        completed, wall = bench.playbook(ROLE_PLAY, {"bench_token": TOKEN["full"], "bench_api_url": emu.url,
                                                     "bench_report_dir": str(bench.workdir / "reports")})
        full = emu.control.log()
        api = emu.api_log()
    row = Row(f"4 Ansible overhead: org_cleanup dry run, {count} packages, latency {latency * 1000:.0f} ms", len(api), None, wall,
              len(api) * latency, target="wall <= 2 x API requests one after another")
    row.ok = completed.returncode == 0 and not writes(full) and row.time_ratio is not None and row.time_ratio <= 2
    busy, end = 0.0, 0.0  # time with at least one request in flight
    for start in sorted(entry["time"] for entry in full):
        busy += max(0.0, start + latency - max(start, end))
        end = max(end, start + latency)
    row.notes.append(f"ansible-playbook rc {completed.returncode}; {len(api)} API requests (floor {len(api) * latency:.1f} s) and "
                     f"{len(full) - len(api)} registry requests (manifest graph; {len(full) * latency:.1f} s one after another, "
                     f"ratio {wall / (len(full) * latency or 1):.2f}); requests in flight {busy:.1f} s of the {wall:.1f} s")
    if completed.returncode != 0:
        row.notes.append((completed.stdout + completed.stderr)[-1500:])
    return [row]

# ---- scenario 6: output at scale ----------------------------------------------------------------------------------

def scenario_output(bench: Bench, quick: bool) -> list[Row]:
    """The role's default output of a dry run over 300 packages: lines printed, and its time against the same run with
    every ok result hidden (ANSIBLE_DISPLAY_OK_HOSTS=false: no summary, no batch lines). Each run twice, the faster counts."""
    count = 60 if quick else 300
    with bench.emulator(bench.seed(f"output-{count}", "org-scale", packages=count, versions_per_package=100)) as emu:
        emu.control.config(primary_limit=None, secondary_points=None)
        extra = {"bench_token": TOKEN["full"], "bench_api_url": emu.url, "bench_report_dir": str(bench.workdir / "reports")}
        timings: dict[str, list[float]] = {"shown": [], "hidden": []}
        lines, failures = 0, []
        for _ in range(2):
            for mode in ("shown", "hidden"):
                if mode == "hidden":
                    bench.env["ANSIBLE_DISPLAY_OK_HOSTS"] = "false"
                try:
                    completed, wall = bench.playbook(ROLE_PLAY, extra)
                finally:
                    bench.env.pop("ANSIBLE_DISPLAY_OK_HOSTS", None)
                timings[mode].append(wall)
                if completed.returncode != 0:
                    failures.append((completed.stdout + completed.stderr)[-1500:])
                if mode == "shown":
                    lines = completed.stdout.count("\n")
    shown, hidden = min(timings["shown"]), min(timings["hidden"])
    row = Row(f"6 output: org_cleanup dry run, {count} packages, default output", None, None, shown, hidden,
              target="<= 400 lines, wall <= 1.10 x wall with ok results hidden")
    row.ok = not failures and lines <= 400 and shown <= 1.10 * hidden
    row.notes.append(f"{lines} lines printed; walls {', '.join(f'{w:.1f}' for w in timings['shown'])} s shown, "
                     f"{', '.join(f'{w:.1f}' for w in timings['hidden'])} s hidden (floor = the faster hidden run)")
    row.notes.extend(failures)
    return [row]


# ---- scenario 5: memory -------------------------------------------------------------------------------------------

def run_module_directly(bench: Bench, module: str, args: dict[str, Any]) -> tuple[dict[str, Any], float, float]:
    """Runs plugins/modules/MODULE.py as its own process with an args file (as AnsiballZ does); returns result, wall s, peak RSS MB."""
    args_file = bench.workdir / f"args-{module}.json"
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}), encoding="utf-8")
    script = bench.collections / "ansible_collections" / "ghpkgs" / "registry" / "plugins" / "modules" / f"{module}.py"
    # VmHWM, the peak RSS of this process image: ru_maxrss would carry over the peak of the process that forked it.
    code = ("import re, runpy, sys; sys.argv = [sys.argv[1], sys.argv[2]]\n"
            "try:\n    runpy.run_path(sys.argv[0], run_name='__main__')\n"
            "finally:\n    status = open('/proc/self/status').read()\n"
            "    sys.stderr.write('PEAK_RSS_KB=%s\\n' % re.search(r'VmHWM:\\s*(\\d+) kB', status).group(1))\n")
    started = time.monotonic()
    completed = subprocess.run([sys.executable, "-c", code, str(script), str(args_file)], capture_output=True, text=True, check=False,
                               env=dict(bench.env, PYTHONPATH=str(bench.collections)))
    wall = time.monotonic() - started
    peak = [line for line in completed.stderr.splitlines() if line.startswith("PEAK_RSS_KB=")]
    result = json.loads(completed.stdout)
    if result.get("failed") or not peak:
        raise RuntimeError(f"{module} failed: {str(result.get('msg'))[:2000]} {completed.stderr[-1000:]}")
    return result, wall, int(peak[0].split("=")[1]) / 1024


def scenario_memory(bench: Bench, quick: bool) -> list[Row]:
    versions = 20_000 if quick else 100_000
    rows = []
    with bench.emulator(bench.seed("huge-quick" if quick else "huge", "huge", versions_per_package=versions)) as emu:
        emu.control.config(primary_limit=None, secondary_points=None)
        base = common(emu, owner_type="org", points_per_minute=0)
        runs = [
            ("package_info", "inventory with versions", dict(base, package_type=["container"], name=["service-000"], include_versions=True)),
            ("package_version", "dry run, keep 10", dict(base, package_type="container", name="service-000", state="absent", versions=["*"],
                                                         keep_latest=10, manifest_graph=False, _ansible_check_mode=True)),
        ]
        if not quick:  # reads every manifest from the registry: about two minutes
            runs.append(("package_version", "dry run, keep 10, manifest graph", dict(runs[1][2], manifest_graph=True)))
        # With return_versions: none, the bound for results at this scale, the target holds; the default (all) is measured
        # for comparison: its result lists every version.
        for module, what, args in runs:
            for return_versions in ("none", "all"):
                emu.control.clear_log()
                result, wall, peak = run_module_directly(bench, module, dict(args, return_versions=return_versions))
                bounded = return_versions != "all"
                row = Row(f"5 memory: {module} {what}, {versions} versions, return_versions {return_versions}", len(emu.api_log()), None,
                          wall, target="peak RSS < 150 MB" if bounded else "(measured)")
                row.ok = peak < 150 or not bounded
                row.notes.append(f"peak RSS {peak:.1f} MB (the module process, VmHWM), result {len(json.dumps(result)) / 1e6:.1f} MB of JSON")
                rows.append(row)
    return rows

# ---- table and main -----------------------------------------------------------------------------------------------

def fmt(value: float | int | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def print_table(rows: list[Row]) -> None:
    header = ("scenario", "requests", "lower bound", "req ratio", "wall s", "floor s", "time ratio", "target", "result")
    lines = [(r.scenario, fmt(r.requests, "d"), fmt(r.lower_bound, "d"), fmt(r.request_ratio, ".3f"), fmt(r.wall_s, ".2f"),
              fmt(r.floor_s, ".2f"), fmt(r.time_ratio, ".3f"), r.target, "ok" if r.ok else "MISSED") for r in rows]
    widths = [max(len(str(x)) for x in column) for column in zip(header, *lines)]
    for line in [header] + lines:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip())
    for row in rows:
        for note in row.notes:
            print(f"  {row.scenario.split(':')[0]}: {note}")


SCENARIOS: dict[str, Callable[[Bench, bool], list[Row]]] = {
    "requests": scenario_requests,
    "paced": scenario_paced,
    "throughput": scenario_throughput,
    "overhead": scenario_overhead,
    "memory": scenario_memory,
    "output": scenario_output,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a smoke run of a minute or two); same targets")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="ghpkgs-bench-") as tmp:
        bench = Bench(Path(tmp))
        for name in args.only or list(SCENARIOS):
            started = time.monotonic()
            try:
                rows.extend(SCENARIOS[name](bench, args.quick))
            except Exception as error:  # a scenario that breaks is a missed target, and the others still run
                rows.append(Row(name, ok=False, notes=[f"error: {error}"]))
            print(f"[{name}: {time.monotonic() - started:.0f} s]", file=sys.stderr, flush=True)
    print_table(rows)
    if args.json:
        Path(args.json).write_text(json.dumps([dict(asdict(r), request_ratio=r.request_ratio, time_ratio=r.time_ratio) for r in rows], indent=2))
    return 0 if all(row.ok for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
