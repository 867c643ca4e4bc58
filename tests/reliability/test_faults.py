"""Faults: a cleanup of 1,000 versions under injected 502s, dropped connections, lost answers and latency spikes ends in
exactly the state of a clean run; where retries run out, the failure says what was done and a rerun finishes the job."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from conftest import FIGURES, SECRET, Emulator, base_seed, leaks, module_result, state_snapshot

OWNER, TYPE, NAME = "acme", "npm", "bulk"
VERSIONS = 1_070
# Versions 0..53 are younger than 10 days; of the 1,016 older ones, 10 are named *.7 (excluded) and the 6 newest are kept:
# exactly 1,000 versions to delete.
POLICY = {"older_than": "10d", "exclude": ["*.7"], "keep_latest": 6}
# A spike outlasts the client's timeout twice over, and an ordinary answer has the whole timeout even on a loaded machine.
CLIENT_TIMEOUT = 3
FAULTS = {"fail_every_n": 7, "fail_status": 502, "drop_every_n": 23, "fail_after_every_n": 29, "drop_after_every_n": 31,
          "latency_spike_every_n": 37, "latency_spike_ms": 2 * CLIENT_TIMEOUT * 1000}


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def bulk_seed() -> dict[str, Any]:
    """The small seed plus one npm package of 1,070 versions, one every 4 hours (on half hours: never at a cutoff)."""
    seed = base_seed()
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    seed["now"] = iso(now)
    seed["config"] = {"primary_limit": None, "secondary_points": None}
    versions = []
    for number in range(VERSIONS):
        created = now - dt.timedelta(hours=4 * number + 24 + 0.5)
        versions.append({"id": 500_000 + number, "name": f"1.{number // 100}.{number % 100}", "tags": [],
                         "created_at": iso(created), "updated_at": iso(created), "downloads": 0})
    seed["packages"].append({"owner": OWNER, "package_type": TYPE, "name": NAME, "visibility": "private", "repository": "acme/bulk",
                             "created_at": iso(now - dt.timedelta(days=400)), "versions": versions})
    return seed


@pytest.fixture(scope="module")
def bulk() -> Any:
    with Emulator(seed=bulk_seed()) as emu:
        yield emu


def cleanup(ansible: Any, emu: Emulator, **extra: Any) -> tuple[int, dict[str, Any], str]:
    args = {"api_url": emu.url, "owner": OWNER, "owner_type": "org", "package_type": TYPE, "name": NAME, "state": "absent",
            "points_per_minute": 0, "max_concurrency": 8, **POLICY, **extra}
    run = ansible.module("package_version", args, env={"GITHUB_TOKEN": SECRET})
    assert not leaks(run.output)
    return run.rc, module_result(run), run.output


def expected_deleted(snapshot: dict[Any, Any]) -> set[int]:
    return {vid for key, value in snapshot.items() if key[2] == NAME for vid in value["gone"]}


@pytest.fixture(scope="module")
def clean_run(ansible: Any, bulk: Emulator) -> dict[Any, Any]:
    bulk.control.reset()
    rc, result, output = cleanup(ansible, bulk)
    assert rc == 0, output
    after = state_snapshot(bulk.control.state())
    deleted = expected_deleted(after)
    assert len(deleted) == 1000 and result["counts"]["deleted"] == 1000
    assert {entry["method"] for entry in bulk.control.log()} == {"GET", "DELETE"}
    return after


def test_faults_end_in_the_state_of_a_clean_run(ansible: Any, bulk: Emulator, clean_run: dict[Any, Any]) -> None:
    bulk.control.reset()
    before = state_snapshot(bulk.control.state())
    bulk.control.config(**FAULTS)
    rc, result, output = cleanup(ansible, bulk, timeout=CLIENT_TIMEOUT, max_retries=6, max_concurrency=24)
    log = bulk.control.log()
    injected = FIGURES.faults_from_log(log)
    assert injected >= 200, injected
    after = state_snapshot(bulk.control.state())
    assert rc == 0, output
    assert after == clean_run, "a faulty run must end exactly where a clean run ends"
    assert before != after
    # Lost answers of DELETEs that took effect come back as "already absent", never as a failure.
    outcomes = {v["id"]: v["outcome"] for v in result["versions"] if v.get("outcome")}
    assert {vid for vid, outcome in outcomes.items() if outcome in ("deleted", "already_absent")} == expected_deleted(clean_run)
    deletes_sent = {int(e["path"].rsplit("/", 1)[1]) for e in log if e["method"] == "DELETE"}
    assert deletes_sent == expected_deleted(clean_run), "a DELETE went to a version outside the policy"


def test_retries_running_out_fail_clearly_and_a_rerun_finishes(ansible: Any, bulk: Emulator, clean_run: dict[Any, Any]) -> None:
    bulk.control.reset()
    # Retries are off and the 40th request (a DELETE, after 11 listing pages) fails: the run must stop, say what it did,
    # and leave the rest for a rerun.
    bulk.control.config(fail_every_n=40, fail_status=502)
    rc, result, output = cleanup(ansible, bulk, max_retries=0)
    FIGURES.faults_from_log(bulk.control.log())
    assert rc != 0
    assert "502" in result["msg"] and result.get("counts"), result.get("msg")
    partial = state_snapshot(bulk.control.state())
    done = expected_deleted(partial)
    assert done <= expected_deleted(clean_run), "nothing outside the policy is deleted, even by a failing run"
    reported = {v["id"] for v in result["versions"] if v.get("outcome") in ("deleted", "already_absent")}
    assert reported == done, "the failure reports exactly what was deleted"
    bulk.control.config(fail_every_n=None)
    rc, result, output = cleanup(ansible, bulk, max_retries=0)
    assert rc == 0, output
    assert result["counts"]["deleted"] == len(expected_deleted(clean_run) - done)
    assert state_snapshot(bulk.control.state()) == clean_run


def restore(ansible: Any, emu: Emulator, ids: list[int]) -> tuple[int, dict[str, Any], str]:
    args = {"api_url": emu.url, "owner": OWNER, "owner_type": "org", "package_type": TYPE, "name": NAME, "version_ids": ids,
            "points_per_minute": 0, "max_concurrency": 8, "timeout": CLIENT_TIMEOUT, "max_retries": 6}
    run = ansible.module("package_restore", args, env={"GITHUB_TOKEN": SECRET})
    assert not leaks(run.output)
    return run.rc, module_result(run), run.output


def test_restore_under_faults_says_what_it_did_and_a_rerun_finishes(ansible: Any, bulk: Emulator, clean_run: dict[Any, Any]) -> None:
    bulk.control.reset()
    initial = state_snapshot(bulk.control.state())
    rc, result, output = cleanup(ansible, bulk)
    assert rc == 0, output
    ids = sorted(expected_deleted(clean_run))[:300]
    bulk.control.config(**FAULTS)
    rc, result, output = restore(ansible, bulk, ids)
    FIGURES.faults_from_log(bulk.control.log())
    restored = {item["version_id"] for item in result.get("restores", []) if item.get("outcome") == "restored"}
    active = {vid for key, value in state_snapshot(bulk.control.state()).items() if key[2] == NAME for vid in value["active"]}
    # Whatever the outcome, the result names every version it restored: none restored silently, none claimed wrongly.
    assert restored <= active, "a version reported as restored is not active"
    if rc != 0:
        assert result.get("restores") is not None and result.get("counts"), f"the failure does not say what was done: {result.get('msg')}"
        # A restore whose answer was lost and that GitHub had not applied yet when asked is reported as unconfirmed.
        unconfirmed = {i["version_id"] for i in result["restores"] if i.get("outcome") == "failed" and "did not confirm" in i["reason"]}
        present = {i["version_id"] for i in result["restores"] if i.get("outcome") == "already_present"}
        assert set(ids) & active <= restored | present | unconfirmed, "a restored version is missing from the result"
        bulk.control.config(**{key: None for key in FAULTS if key.endswith("_every_n")})
        rc, result, output = restore(ansible, bulk, ids)
        assert rc == 0, output[-3000:]
    after = state_snapshot(bulk.control.state())
    assert {vid for key, value in after.items() if key[2] == NAME for vid in value["active"]} >= set(ids)
    assert {k: v for k, v in after.items() if k[2] != NAME} == {k: v for k, v in initial.items() if k[2] != NAME}


def test_package_delete_and_restore_whose_answers_are_lost(ansible: Any, emu: Emulator) -> None:
    """The answer of the DELETE, then of the restore POST, is a 502 although GitHub applied it: both tasks report the change."""
    common = {"api_url": emu.url, "owner": "acme", "owner_type": "org", "package_type": "npm", "name": "single", "max_retries": 2}
    emu.control.config(fail_after_every_n=2)  # request 1: GET the package; request 2: the DELETE (applied, answered 502)
    run = ansible.module("package", {**common, "state": "absent"}, env={"GITHUB_TOKEN": SECRET})
    result = module_result(run)
    assert run.rc == 0 and result["changed"] and result["package"] is None, run.output[-2000:]
    emu.control.reset()
    emu.control.clear_log()
    deleted = ansible.module("package", {**common, "state": "absent"}, env={"GITHUB_TOKEN": SECRET})
    assert deleted.rc == 0 and module_result(deleted)["changed"]
    # The emulator's counters restart with a reset only; count from here: GET (404), then the POST (applied, answered 502).
    sent = len(emu.control.log())
    emu.control.config(fail_after_every_n=sent + 2)
    run = ansible.module("package", {**common, "state": "present"}, env={"GITHUB_TOKEN": SECRET})
    result = module_result(run)
    FIGURES.faults_from_log(emu.control.log())
    assert [e["fault"] for e in emu.control.log() if e.get("fault")] == ["fail_after"]
    assert run.rc == 0 and result["changed"] and result["package"]["name"] == "single", run.output[-2000:]
