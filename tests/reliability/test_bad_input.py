"""Bad input: every option of every module and role, given wrong types, empty strings, negative numbers, malformed
durations and globs, unknown package types, logins GitHub would reject, and hostile names.

Each input runs as one task of a generated playbook (real argument handling) with its own token, so that the emulator's
log attributes every request to the input that caused it (by the token's hash). An input either fails with a message
naming the option and sends zero requests, or (for values that are legal) sends requests only to the intended endpoint,
with every name encoded as a single path segment.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml

from conftest import BIN, FIGURES, Emulator, base_seed, leaks, write_playbook
from ghpkgs_emulator.seedgen import FULL

MODULES = ["package_info", "package_version", "package_restore", "package", "package_cleanup"]
ROLES = ["org_cleanup", "org_report", "org_restore"]
# Valid arguments each input starts from (check mode: nothing is ever written).
BASE = {
    "package_info": {"owner": "acme", "package_type": ["npm"], "name": ["web-ui"]},
    "package_version": {"owner": "acme", "package_type": "npm", "name": "web-ui", "state": "absent", "versions": ["0.0.0-none"]},
    "package_restore": {"owner": "acme", "package_type": "npm", "name": "web-ui", "version_ids": [1]},
    "package": {"owner": "acme", "package_type": "npm", "name": "retired", "state": "present"},
    "package_cleanup": {"owner": "acme", "packages": [{"package_type": "npm", "name": "web-ui"}], "policy": {"older_than": "3650d"}},
}
ROLE_BASE = {
    "org_cleanup": {"org_cleanup_owner": "acme", "org_cleanup_package_types": ["npm"], "org_cleanup_include": ["web-ui"],
                    "org_cleanup_dry_run": True},
    "org_report": {"org_report_owner": "acme", "org_report_package_types": ["npm"], "org_report_include": ["web-ui"]},
    "org_restore": {"org_restore_report": "REPORT", "org_restore_dry_run": True},
}
# Options given a bad value only where the value is also unusable (the shared connection options are covered once).
SHARED = {"token", "api_url", "validate_certs", "timeout", "max_retries", "rate_limit_wait", "points_per_minute", "max_concurrency",
          "owner", "owner_type"}

DURATIONS = {"older_than", "deleted_after"}
GLOBS = {"versions", "tags", "exclude", "org_cleanup_include", "org_cleanup_exclude", "org_report_include", "packages"}
BAD_DURATIONS = ["ten days", "-5d", "5y", "1e400d", "99999999999999999999d", "5d5", "d"]
BAD_GLOBS = [["[abc"], [""], ["   "]]
BAD_LOGINS = ["-acme", "acme-", "ac--me", "a" * 40, "acme/evil", "..", "ácme", "acme?x=1", "acme#x", " acme", ""]
HOSTILE_NAMES = ["team/app", "..", ".", "%2e%2e", "%2E", "a?b=c", "a#b", " web-ui", "web ui", "wéb-ui", "名前", "../../users/alice",
                 "a%2Fb", "web-ui/../single", "a\tb"]
# Legal selectors that are wrong for the package type: versions of these types never have tags (issue 17).
TAGLESS_TYPES = ["npm", "maven", "nuget", "rubygems"]
TAG_SELECTORS = [("untagged", True), ("untagged", False), ("tags", ["*"]), ("tags", ["pr-*"])]
BAD_API_URLS = ["", "api.github.com", "ftp://api.github.com", "https://user:pw@api.github.com", "https://api.github.com/?x=1",
                "https://", "http://192.0.2.10/api/v3"]


# ansible-core itself rejects a string given for an option with suboptions (type dict, or list of dicts) with this bare
# message, before any module code runs (ansible/module_utils/common/parameters.py, _list_no_log_values). It cannot
# name the option there; such inputs must still fail with zero requests.
CORE_BARE_MESSAGES = ("dictionary requested, could not parse JSON or key=value",)
# The entry a list-of-dicts option (keep_rules) gets when one of its suboptions is given a bad value: valid for every type.
LIST_ENTRY = {"versions": ["1.*"]}
# Stands in for the result of a task that did not run (modules' own results may have a 'missing' key).
NOT_RUN = "__task_did_not_run"
GLOB_CHARACTERS = set("*?[")


@dataclass
class Input:
    number: int
    target: str          # module or role
    option: str          # option path, e.g. "policy.older_than"
    value: Any
    expect: str          # "invalid": clear error + zero requests; "either": that, or requests to the encoded endpoint
    args: dict[str, Any] = field(default_factory=dict)
    token: str = ""

    @property
    def leaf(self) -> str:
        return self.option.rsplit(".", 1)[-1]


def bad_values(name: str, spec: dict[str, Any]) -> list[tuple[Any, str]]:
    kind, elements, choices = spec.get("type", "str"), spec.get("elements"), spec.get("choices")
    if name in ("owner", "org_cleanup_owner", "org_report_owner"):
        return [(v, "invalid") for v in BAD_LOGINS]
    if name == "api_url":
        return [(v, "invalid") for v in BAD_API_URLS]
    if name == "token":
        return [("", "invalid"), ("   ", "invalid"), ("ghp_with space", "invalid"), ("ghp_line\nbreak", "invalid")]
    if name == "name" and kind == "str":
        return [("", "invalid"), ("   ", "invalid")] + [(v, "either") for v in HOSTILE_NAMES]
    if name == "name" and kind == "list":  # package_info: names or globs
        return [([""], "invalid"), (["   "], "invalid"), ({"a": 1}, "invalid")] + [([v], "either") for v in HOSTILE_NAMES]
    if name == "restore_token":
        return [("", "invalid"), ("a&b=c#d/..", "either")]
    values: list[tuple[Any, str]] = []
    if name in DURATIONS:
        values += [(v, "invalid") for v in BAD_DURATIONS]
    if name in GLOBS and kind == "list" and elements == "str":
        values += [(v, "invalid") for v in BAD_GLOBS]
    if choices:
        values.append((["rpm"] if kind == "list" else "rpm", "invalid"))
        values.append((["NPM"] if kind == "list" else choices[0].upper() + "x", "invalid"))
    if kind in ("str", "path") and not choices and name not in DURATIONS:
        values += [("", "invalid"), ("   ", "invalid")]
    elif kind == "int":
        values += [("five", "invalid"), (-1, "invalid"), ([3], "invalid")]
    elif kind == "float":
        values += [("fast", "invalid"), (-1, "invalid")]
    elif kind == "bool":
        values += [("maybe", "invalid"), ([True], "invalid")]
    elif kind == "list":
        values.append(({"a": 1}, "invalid"))
        if elements == "int":
            values += [(["x"], "invalid"), ([-1], "invalid"), ([0], "invalid"), ([1.5], "invalid")]
        elif elements == "dict":
            values.append((["not-a-dict"], "invalid"))
    elif kind == "dict":
        values.append(("not-a-dict", "invalid"))
    return values


def set_path(args: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    args = json.loads(json.dumps(args))
    parts = path.split(".")
    target = args
    for part in parts[:-1]:
        target = target.setdefault(part, {})
        if isinstance(target, list):
            target = target[0]
    target[parts[-1]] = value
    return args


def module_docs(ansible: Any) -> dict[str, dict[str, Any]]:
    names = [f"ghpkgs.registry.{m}" for m in MODULES]
    done = subprocess.run([str(BIN / "ansible-doc"), "--json", *names], env=ansible.env(), capture_output=True, text=True, check=True)
    docs = json.loads(done.stdout)
    return {m: docs[f"ghpkgs.registry.{m}"]["doc"]["options"] for m in MODULES}


def role_specs(collections: Path) -> dict[str, dict[str, Any]]:
    root = collections / "ansible_collections" / "ghpkgs" / "registry" / "roles"
    return {role: yaml.safe_load((root / role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
            for role in ROLES if (root / role / "meta" / "argument_specs.yml").exists()}


def build_inputs(ansible: Any) -> list[Input]:
    inputs: list[Input] = []

    def add(target: str, option: str, spec: dict[str, Any], base: dict[str, Any]) -> None:
        # A keep rule's name is a label, not a package name: only its string checks apply.
        values = bad_values("rule_name" if option == "keep_rules.name" else option.rsplit(".", 1)[-1], spec)
        if target != "package_version":
            # package_version gets every value; elsewhere the same validators run, so a few of each kind suffice.
            values = [v for v in values if v[0] not in BAD_LOGINS[3:] and v[0] not in HOSTILE_NAMES[6:]]
        for value, expect in values:
            inputs.append(Input(len(inputs), target, option, value, expect, set_path(base, option, value)))

    for module, options in module_docs(ansible).items():
        for name, spec in sorted(options.items()):
            if name in SHARED and module != "package_version":
                continue
            add(module, name, spec, BASE[module])
            # A list of dicts absent from the base gets one valid entry for the bad value to go into.
            base = BASE[module] if name in BASE[module] or spec.get("elements") != "dict" else {**BASE[module], name: [dict(LIST_ENTRY)]}
            for sub, subspec in sorted((spec.get("suboptions") or {}).items()):
                add(module, f"{name}.{sub}", subspec, base)
    for package_type in TAGLESS_TYPES:
        for option, value in TAG_SELECTORS:
            args = {**BASE["package_version"], "package_type": package_type, option: value}
            inputs.append(Input(len(inputs), "package_version", option, value, "invalid", args))
    for role, options in role_specs(ansible.collections).items():
        for name, spec in sorted(options.items()):
            add(role, name, spec, ROLE_BASE[role])
    return inputs


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def seg(value: str) -> str:
    return value.replace(".", "%2E") if value in (".", "..") else quote(value, safe="")


@pytest.fixture(scope="module")
def inputs(ansible: Any) -> list[Input]:
    found = build_inputs(ansible)
    for item in found:
        item.token = f"ghp_input{item.number:05d}" + "x" * 26
        if item.option == "token":
            item.token = item.value
    return found


@pytest.fixture(scope="module")
def input_emulator(inputs: list[Input]) -> Any:
    seed = base_seed()
    for item in inputs:
        if item.option != "token":
            seed["tokens"][item.token] = {"login": "alice", "scopes": list(FULL), "sso_authorized": ["sso-corp"]}
    with Emulator(seed=seed) as emu:
        yield emu


def task_for(item: Input, api_url: str, report: str) -> dict[str, Any]:
    connection = {"api_url": api_url, "token": item.token}
    name = f"input {item.number}: {item.target} {item.option}"
    if item.target in MODULES:
        args = {**connection, **item.args}
        return {"name": name, f"ghpkgs.registry.{item.target}": args, "check_mode": True, "ignore_errors": True,
                "register": f"r{item.number}"}
    role_vars = {k: (report if v == "REPORT" else v) for k, v in item.args.items()}
    return {"name": name, "module_defaults": {"group/ghpkgs.registry.github": connection},
            "block": [{"ansible.builtin.include_role": {"name": f"ghpkgs.registry.{item.target}"}, "vars": role_vars},
                      {"ansible.builtin.set_fact": {f"r{item.number}": {"failed": False, "msg": "the role accepted it"}}}],
            "rescue": [{"ansible.builtin.set_fact": {f"r{item.number}": "{{ ansible_failed_result | combine({'failed': true}) }}"}}]}


def stub_report(directory: Path, api_url: str) -> Path:
    """A real cleanup report (one deleted npm version of web-ui) for the restore role's inputs."""
    path = directory / "acme-cleanup-20260101T000000Z.json"
    path.write_text(json.dumps({
        "format": "ghpkgs.registry.cleanup-report", "format_version": 1, "generated_at": "2026-01-14T00:00:00Z", "api_url": api_url,
        "owner": "acme", "owner_type": "org", "dry_run": False,
        "packages": [{"package_type": "npm", "name": "web-ui", "package_deleted": False,
                      "versions": [{"id": 1, "name": "0.0.1", "tags": [], "created_at": None, "updated_at": None, "deleted_at": None}]}],
    }))
    return path


def run_inputs(ansible: Any, inputs: list[Input], emu: Emulator, workdir: Path, shards: int = 2) -> dict[str, Any]:
    """Runs the inputs as `shards` playbooks at once (one per core); returns every input's registered result."""
    report = stub_report(workdir, emu.url)
    runs = []
    for shard in range(shards):
        part = inputs[shard::shards]
        results = workdir / f"results-{shard}.json"
        keys = ", ".join(f"'r{i.number}': r{i.number} | default({{'{NOT_RUN}': true}})" for i in part)
        tasks = [task_for(item, emu.url, str(report)) for item in part]
        tasks.append({"name": "collect", "ansible.builtin.copy": {"content": "{{ {" + keys + "} | to_json }}", "dest": str(results),
                                                                   "mode": "0600"}, "check_mode": False})
        play = write_playbook(workdir, f"inputs-{shard}.yml", [{
            "hosts": "localhost", "gather_facts": False,
            "vars": {"org_cleanup_report_dir": str(workdir / "reports"), "org_report_dir": str(workdir / "reports")},
            "tasks": tasks}])
        runs.append((results, ansible.start_playbook(play)))
    found: dict[str, Any] = {}
    for results, process in runs:
        output, _ = process.communicate(timeout=900)
        assert results.exists(), output[-4000:]
        found.update(json.loads(results.read_text()))
    return found


def endpoint_problems(item: Input, entries: list[dict[str, Any]]) -> list[str]:
    """Requests of a legal hostile value must name the package as exactly one encoded segment."""
    if item.leaf == "restore_token":
        return [f"{e['method']} {e['path']}?{e['query']}" for e in entries if "token=" in e["query"] and
                e["query"].split("token=", 1)[1].split("&")[0] != quote(str(item.value), safe="")]
    value = item.value[0] if isinstance(item.value, list) else item.value
    expected = seg(str(value))
    # package_info takes globs: one of those is matched against the owner's listing, not asked for by name.
    listing_allowed = item.target == "package_info" and bool(GLOB_CHARACTERS & set(str(value)))
    problems = []
    for entry in entries:
        parts = entry["path"].split("/")
        if listing_allowed and entry["path"] == "/orgs/acme/packages":
            continue
        if "packages" in parts and len(parts) > parts.index("packages") + 2:
            at = parts.index("packages") + 2
            if parts[at] != expected:
                problems.append(f"{entry['method']} {entry['path']} (expected segment {expected!r})")
        elif entry["path"] not in ("/users/acme", "/user"):
            problems.append(f"{entry['method']} {entry['path']} (not a package endpoint)")
    return problems


def test_bad_input_is_refused_before_any_request(ansible: Any, inputs: list[Input], input_emulator: Emulator,
                                                tmp_path: Path) -> None:
    results = run_inputs(ansible, inputs, input_emulator, tmp_path)
    log = input_emulator.control.log()
    by_hash: dict[str | None, list[dict[str, Any]]] = {}
    for entry in log:
        by_hash.setdefault(entry["token_sha256"], []).append(entry)
    known = {token_hash(i.token) for i in inputs if i.token}
    problems = []
    for item in inputs:
        result = results[f"r{item.number}"]
        sent = by_hash.get(token_hash(item.token), []) if item.token else []
        label = f"{item.target} {item.option}={item.value!r}"
        text = json.dumps(result)
        if leaks(text, item.token) and item.option != "token" or (item.option == "token" and item.token.strip() and item.token in text):
            problems.append(f"{label}: the token appears in the result")
        if result.get(NOT_RUN):
            problems.append(f"{label}: the task did not run")
            continue
        msg = str(result.get("msg", ""))
        if "Traceback" in text or "MODULE FAILURE" in msg:
            problems.append(f"{label}: crashed: {msg[:300]}")
        elif item.expect == "invalid" and not result.get("failed"):
            problems.append(f"{label}: accepted; expected an error naming {item.leaf} ({len(sent)} requests; msg {msg[:200]!r})")
        elif item.expect == "invalid" or (result.get("failed") and not sent):
            if item.leaf not in msg and msg not in CORE_BARE_MESSAGES:
                problems.append(f"{label}: the error does not name the option: {msg[:300]}")
            if sent:
                problems.append(f"{label}: {len(sent)} request(s) sent before refusing: "
                                + ", ".join(f"{e['method']} {e['path']}" for e in sent[:3]))
        else:
            problems += [f"{label}: {p}" for p in endpoint_problems(item, sent)]
    strangers = [e for h, entries in by_hash.items() if h not in known for e in entries]
    problems += [f"request with an unknown token: {e['method']} {e['path']}" for e in strangers]
    FIGURES.add("inputs tried", len(inputs))
    assert not problems, f"{len(problems)} of {len(inputs)} inputs misbehaved:\n" + "\n".join(problems)
