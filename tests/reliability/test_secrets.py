"""Secrets: every module and role, run at -vvvv with distinctive tokens, in check mode, for real, and in failure paths.
The tokens appear nowhere: not in the output, results, warnings, errors, the emulator's log of URLs, or files the
roles write (reports are written with mode 0600 in directories of mode 0700)."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

import pytest

from conftest import FIGURES, SECRET, Emulator, base_seed, leaks, write_playbook

# A read-only token (delete and restore fail on a missing scope) and a token GitHub does not know (401).
READ_ONLY = "ghp_RelReadOnlyVw3Xc8Nb5Mq1Ty7Ug4Ko2Ji9"
UNKNOWN = "ghp_RelUnknownPz6Lr2Sx9Fe4Wa8Dq3Hm7Ck1Y"
SECRETS = [SECRET, READ_ONLY, UNKNOWN]


@pytest.fixture(scope="module")
def secrets_emulator() -> Any:
    seed = base_seed()
    seed["tokens"][READ_ONLY] = {"login": "alice", "scopes": ["read:packages"], "sso_authorized": ["sso-corp"]}
    with Emulator(seed=seed) as emu:
        yield emu


def task(name: str, module: str, args: dict[str, Any], **keywords: Any) -> dict[str, Any]:
    return {"name": name, module: args, "register": "r_" + name.replace(" ", "_").replace("-", "_"), "ignore_errors": True, **keywords}


def plays(emu: Emulator, workdir: Path) -> list[dict[str, Any]]:
    control = {"url": f"{emu.url}/_emulator/config", "method": "POST", "body_format": "json", "status_code": 200}
    npm = {"owner": "acme", "package_type": "npm", "name": "web-ui"}
    app = {"owner": "acme", "package_type": "container", "name": "app", "registry_url": emu.url}
    tasks = [
        task("info", "ghpkgs.registry.package_info", {"owner": "acme", "include_versions": True, "include_docker_conflicts": True,
                                                       "version_state": "all"}),
        task("version check", "ghpkgs.registry.package_version", {**app, "tags": ["pr-*", "v1.0.*"]}, check_mode=True, diff=True),
        task("version delete", "ghpkgs.registry.package_version", {**app, "tags": ["pr-*"]}, diff=True),
        task("version prerelease", "ghpkgs.registry.package_version", {**npm, "prerelease": True}),
        task("restore check", "ghpkgs.registry.package_restore",
             {**npm, "version_ids": "{{ r_version_prerelease.deleted_version_ids }}"}, check_mode=True, diff=True),
        task("restore", "ghpkgs.registry.package_restore", {**npm, "version_ids": "{{ r_version_prerelease.deleted_version_ids }}"}),
        task("package absent check", "ghpkgs.registry.package", {"owner": "acme", "package_type": "npm", "name": "single",
                                                                  "state": "absent"}, check_mode=True, diff=True),
        task("package absent", "ghpkgs.registry.package", {"owner": "acme", "package_type": "npm", "name": "single", "state": "absent"}),
        task("package present", "ghpkgs.registry.package", {"owner": "acme", "package_type": "npm", "name": "single", "state": "present"}),
        task("package restore token", "ghpkgs.registry.package", {"owner": "acme", "package_type": "npm", "name": "twice",
                                                                   "state": "present", "restore_token": "not-a-restore-token"}),
        task("cleanup check", "ghpkgs.registry.package_cleanup",
             {"owner": "acme", "packages": [{"package_type": "npm", "name": "web-ui"}, {"package_type": "maven", "name": "com.acme.lib"}],
              "policy": {"older_than": "1d", "keep_latest": 1}}, check_mode=True, diff=True),
        task("cleanup", "ghpkgs.registry.package_cleanup",
             {"owner": "acme", "packages": [{"package_type": "maven", "name": "com.acme.lib"}], "policy": {"older_than": "1d",
                                                                                                            "keep_latest": 1}}),
        # Failure paths: missing scopes, bad credentials, not found, a server that keeps failing, a timeout.
        task("missing scope", "ghpkgs.registry.package_version", {**npm, "versions": ["*"], "token": "{{ reliability_read_only }}"}),
        task("bad credentials", "ghpkgs.registry.package_info", {"owner": "acme", "token": "{{ reliability_unknown }}"}),
        task("not found", "ghpkgs.registry.package_restore", {"owner": "acme", "package_type": "npm", "name": "no-such-package"}),
        task("sso", "ghpkgs.registry.package_info", {"owner": "sso-corp", "token": "{{ reliability_read_only }}", "include_versions": True}),
        {"name": "make every request fail", "ansible.builtin.uri": {**control, "body": {"fail_every_n": 1}}},
        task("server errors", "ghpkgs.registry.package_version", {**npm, "versions": ["*"], "max_retries": 1}),
        {"name": "make every request slow", "ansible.builtin.uri": {**control, "body": {"fail_every_n": None, "latency_ms": 1500}}},
        task("timeout", "ghpkgs.registry.package_info", {"owner": "acme", "timeout": 0.3, "max_retries": 0}),
        {"name": "back to normal", "ansible.builtin.uri": {**control, "body": {"latency_ms": 0}}},
        task("env token", "ghpkgs.registry.package_info", {"owner": "acme", "token": "{{ lookup('ansible.builtin.env', 'RELIABILITY_TOKEN') }}"}),
        {"name": "all results", "ansible.builtin.copy": {"content": "{{ hostvars['localhost'] | dict2items | selectattr('key', 'match', '^r_') "
                                                                    "| items2dict | to_json }}",
                                                         "dest": str(workdir / "results.json"), "mode": "0600"}},
    ]
    defaults = {"group/ghpkgs.registry.github": {"token": "{{ reliability_token }}", "api_url": emu.url, "owner_type": "auto"}}
    roles = [
        {"name": "report", "ansible.builtin.include_role": {"name": "ghpkgs.registry.org_report"},
         "vars": {"org_report_owner": "acme", "org_report_dir": str(workdir / "reports")}},
        {"name": "cleanup dry run", "ansible.builtin.include_role": {"name": "ghpkgs.registry.org_cleanup"},
         "vars": {"org_cleanup_owner": "acme", "org_cleanup_report_dir": str(workdir / "reports"), "org_cleanup_registry_url": emu.url}},
        {"name": "cleanup", "ansible.builtin.include_role": {"name": "ghpkgs.registry.org_cleanup"},
         "vars": {"org_cleanup_owner": "acme", "org_cleanup_report_dir": str(workdir / "reports"), "org_cleanup_dry_run": False,
                  "org_cleanup_include": ["web-ui", "app", "com.acme.*"],
                  "org_cleanup_package_types": ["npm", "container"], "org_cleanup_registry_url": emu.url,
                  "org_cleanup_policy": {"older_than": "1d", "keep_latest": 1, "exclude": ["latest"]}}},
        {"name": "restore dry run", "ansible.builtin.include_role": {"name": "ghpkgs.registry.org_restore"},
         "vars": {"org_restore_report": "{{ org_cleanup_result.report_file }}", "org_restore_dry_run": True}},
        {"name": "restore", "ansible.builtin.include_role": {"name": "ghpkgs.registry.org_restore"},
         "vars": {"org_restore_report": "{{ org_cleanup_result.report_file }}", "org_restore_print_versions": True}},
        {"name": "role results", "ansible.builtin.copy": {"content": "{{ {'cleanup': org_cleanup_result, 'restore': org_restore_result | "
                                                                     "default(none)} | to_json }}",
                                                          "dest": str(workdir / "role-results.json"), "mode": "0600"}},
    ]
    return [{"name": "modules", "hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": tasks},
            {"name": "roles", "hosts": "localhost", "gather_facts": False, "module_defaults": defaults, "tasks": roles}]


def test_tokens_appear_nowhere(ansible: Any, secrets_emulator: Emulator, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    workdir.mkdir()
    variables = tmp_path / "vars.json"  # the only file that holds the token, outside the scanned directory
    variables.write_text(json.dumps({"reliability_token": SECRET, "reliability_read_only": READ_ONLY, "reliability_unknown": UNKNOWN}))
    play = write_playbook(workdir, "secrets.yml", plays(secrets_emulator, workdir))
    run = ansible.playbook(play, "-vvvv", "-e", f"@{variables}", env={"RELIABILITY_TOKEN": SECRET})
    output = run.output
    (tmp_path / "output.txt").write_text(output)
    assert (workdir / "role-results.json").exists(), output[-5000:]
    results = json.loads((workdir / "results.json").read_text())
    # The runs did what they claim (so the absence of the tokens means something).
    assert results["r_version_delete"]["changed"] and results["r_restore"]["changed"], output[-3000:]
    assert results["r_missing_scope"]["failed"] and "delete:packages" in results["r_missing_scope"]["msg"]
    assert results["r_bad_credentials"]["failed"] and results["r_bad_credentials"]["status"] == 401
    assert results["r_server_errors"]["failed"] and results["r_timeout"]["failed"]
    assert not results["r_env_token"].get("failed"), results["r_env_token"]
    role_results = json.loads((workdir / "role-results.json").read_text())
    assert role_results["cleanup"]["report_file"], output[-3000:]
    assert run.rc != 0 or "failed=0" in output  # the failure-path tasks are ignored; a role may still fail the play

    problems = []
    for secret in SECRETS:
        if leaks(output, secret):
            problems.append(f"-vvvv output: {leaks(output, secret)}")
        if leaks(json.dumps(secrets_emulator.control.log()), secret):
            problems.append("emulator log (URLs, queries)")
    written = [p for p in workdir.rglob("*") if p.is_file()] + [p for p in ansible.home.rglob("*") if p.is_file()]
    for path in written:
        text = path.read_bytes().decode("utf-8", "replace")
        for secret in SECRETS:
            if leaks(text, secret):
                problems.append(f"{path}: {leaks(text, secret)}")
    reports = [p for p in (workdir / "reports").rglob("*") if p.is_file()]
    assert len(reports) >= 4, "the roles wrote their reports"
    for path in reports:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode != 0o600:
            problems.append(f"{path.name}: mode {mode:o}, expected 600")
    mode = stat.S_IMODE(os.stat(workdir / "reports").st_mode)
    if mode != 0o700:
        problems.append(f"reports directory: mode {mode:o}, expected 700")
    FIGURES.add("secret scans (files + outputs)", len(written) + 2)
    assert not problems, "\n".join(problems)


def test_diff_mode_output_renders(ansible: Any, secrets_emulator: Emulator) -> None:
    """--diff must show each module's diff; a diff Ansible cannot render is dropped with only a warning."""
    secrets_emulator.control.reset()
    common = {"api_url": secrets_emulator.url, "owner": "acme", "package_type": "npm"}
    broken = []
    for module, args in (("package_version", {"name": "web-ui", "prerelease": True}), ("package", {"name": "single", "state": "absent"}),
                         ("package_restore", {"name": "web-ui", "deleted_after": "30d"}),
                         ("package_cleanup", {"owner": "acme", "packages": [{"package_type": "npm", "name": "web-ui"}],
                                              "policy": {"prerelease": True}})):
        if module == "package_cleanup":
            args = {"api_url": secrets_emulator.url, **args}
        else:
            args = {**common, **args}
        run = ansible.module(module, args, "--check", "--diff", env={"GITHUB_TOKEN": SECRET})
        assert run.rc == 0, run.output[-2000:]
        if "Callback dispatch" in run.output:
            broken.append(f"{module}: " + next(line for line in run.output.splitlines() if "Callback dispatch" in line))
    assert not broken, "\n".join(broken)
