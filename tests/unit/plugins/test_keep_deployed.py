# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""docs/keep_deployed.yml.example: its expression turns a recorded pod list (kubectl get pods -A -o json, which is what
kubernetes.core.k8s_info returns as resources) into the keep_digests that keep every running image; no cluster needed."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import ACT, DEPLOYED, KEEP, Policy, Version, plan

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
APP, PROXY, CANARY, MIGRATE = ("sha256:" + pair * 32 for pair in ("a1", "b2", "c3", "d4"))


def digests_of(pods: list[dict]) -> list[str]:
    play = yaml.safe_load((ROOT / "docs" / "keep_deployed.yml.example").read_text())[0]
    expression = play["vars"]["keep_deployed_digests"]
    templar = Templar(loader=DataLoader(), variables={"keep_deployed_pods": pods})
    return templar.template(trust_as_template(expression))


def test_the_playbook_keeps_what_the_recorded_pods_run() -> None:
    pods = json.loads((ROOT / "tests" / "unit" / "plugins" / "fixtures" / "pods.json").read_text())["items"]
    digests = digests_of(pods)
    # Two replicas run the same image (listed once); init containers count; the pending pod, the empty imageID and the
    # docker://sha256: config id are left out.
    assert digests == [f"docker-pullable://ghcr.io/acme/proxy@{PROXY}", f"ghcr.io/acme/app-migrate@{MIGRATE}",
                       f"ghcr.io/acme/app@{APP}", f"ghcr.io/acme/app@{CANARY}"]
    old = [Version(i, name, tags, NOW - timedelta(days=60 - i), NOW - timedelta(days=60 - i), None, "container")
           for i, (name, tags) in enumerate([(APP, ("v1.4.0",)), ("sha256:" + "0" * 64, ("v1.3.0",)), (CANARY, ("v1.5.0-rc.1",))], 1)]
    decisions = plan(old, Policy(older_than="30d", keep_digests=digests), NOW)
    assert [(d.version.id, d.action, d.reason) for d in decisions] == [(1, KEEP, DEPLOYED), (2, ACT, None), (3, KEEP, DEPLOYED)]


def test_no_pods_keep_nothing() -> None:
    assert digests_of([]) == []
