# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""ghpkgs.registry.package_info with include_health: broken images and orphans of container packages."""

from __future__ import annotations

import typing as t

import pytest

from ansible_collections.ghpkgs.registry.plugins.modules import package_info
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.module_harness import Exited, run_main
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.test_package_version import (  # pylint: disable=unused-import
    TOKEN,
    FakeGitHub,
    FakePackage,
    gh,
)
from ansible_collections.ghpkgs.registry.tests.unit.plugins.modules.test_package_version_graph import children, multi_arch


def run(gh: FakeGitHub, args: dict[str, t.Any]) -> Exited:
    """package_info over the packages of gh, listed (a glob: the fake answers the listings), with the given options."""
    full = {"token": TOKEN, "owner": "octo-org", "max_retries": 0, "points_per_minute": 0, "max_concurrency": 4, "name": ["*"],
            "package_type": ["container", "npm"], **args}
    return run_main(package_info.main, full, TOKEN, False)


@pytest.fixture
def damaged(gh: FakeGitHub) -> tuple[FakePackage, dict[str, dict[str, int]]]:
    """team/app with v1.0.0 whole, v1.1.0's index deleted (its entries and signature left), v1.2.0's arm64 image deleted."""
    pkg = gh.package("container", "team/app")
    releases = {"v1.0.0": multi_arch(pkg, 100, 60, ["v1.0.0"]), "v1.1.0": multi_arch(pkg, 200, 40, ["v1.1.0"], sign=True),
                "v1.2.0": multi_arch(pkg, 300, 20, ["v1.2.0", "latest"], sign=True, referrer=True)}
    for vid in (releases["v1.1.0"]["index"], releases["v1.2.0"]["arm64"]):
        assert pkg.delete_version(vid)[0] == 204
    gh.package("npm", "web").add(1, "1.0.0", 5)
    return pkg, releases


def test_health_names_the_broken_image_and_every_orphan_and_counts_them(gh: FakeGitHub, damaged: t.Any) -> None:
    pkg, releases = damaged
    out = run(gh, {"include_health": True})
    assert not out.failed, out.result
    app, web = out.result["packages"]
    assert "health" not in web
    health = app["health"]
    assert health["error"] is None and gh.writes() == []
    latest = releases["v1.2.0"]
    assert health["broken"] == [{"id": latest["index"], "name": pkg.versions[latest["index"]]["name"], "tags": ["v1.2.0", "latest"],
                                 "missing": [{"digest": pkg.versions[latest["arm64"]]["name"], "platform": "linux/arm64"}]}]
    gone = releases["v1.1.0"]
    assert {o["id"]: o["kind"] for o in health["orphans"]} == {**dict.fromkeys(children(gone), "image"), gone["sig"]: "signature"}
    assert health["counts"] == {"broken_images": 1, "orphans": 5, "orphan_signatures": 1, "orphan_referrers": 0,
                                "orphan_attestations": 0, "orphan_images": 4}
    # every active manifest is read once: sizes need the layers of the platform images
    assert health["manifests_read"] == len(gh.manifest_reads()) == len(set(gh.manifest_reads())) == len(pkg.active())
    # image() makes one blob of 9 bytes per label (its config and layer share the digest): each image counts its own once
    sizes = {image["id"]: image["bytes"] for image in health["images"]}
    assert sizes[releases["v1.0.0"]["index"]] == 4 * 9 and sizes[latest["index"]] == 3 * 9  # its arm64 image is gone
    assert sizes[gone["sig"]] == 9 and releases["v1.0.0"]["amd64"] not in sizes  # an index entry is part of its image
    assert health["bytes"] == 9 * (len(pkg.active()) - 2)  # the two indexes name no blob


def test_health_reuses_the_active_versions_it_returns(gh: FakeGitHub, damaged: t.Any) -> None:
    run(gh, {"include_health": True, "include_versions": True})
    # Each package's versions are listed once (packages are listed side by side, so in no fixed order).
    listings = sorted(c for c in gh.calls("GET") if c.endswith("/versions"))
    assert listings == ["GET /orgs/octo-org/packages/container/team%2Fapp/versions", "GET /orgs/octo-org/packages/npm/web/versions"]


def test_an_unreadable_manifest_is_reported_and_warned_not_hidden(gh: FakeGitHub, damaged: t.Any, warnings: list[str]) -> None:
    pkg, releases = damaged
    gh.unreadable[pkg.versions[releases["v1.0.0"]["index"]]["name"]] = 500
    out = run(gh, {"include_health": True})
    health = out.result["packages"][0]["health"]
    assert not out.failed and health["counts"] is None and health["broken"] == [] and "500" in health["error"]
    assert any(w.startswith("container team/app: image health not checked") for w in warnings)


@pytest.mark.parametrize("args, message", [
    ({"include_health": True, "package_type": ["npm"]}, "include_health: only container packages"),
    ({"include_health": True, "api_url": "https://example.com/github"}, "registry_url: cannot be derived from api_url"),
    ({"include_health": True, "registry_url": " "}, "registry_url: is blank"),
    ({"include_health": True, "registry_url": "ftp://ghcr.io"}, "registry_url: 'ftp://ghcr.io' is not an http(s) URL"),
])
def test_bad_health_options_fail_before_any_request(gh: FakeGitHub, args: dict[str, t.Any], message: str) -> None:
    out = run(gh, args)
    assert out.failed and out.result["msg"].startswith(message) and len(gh.mock.calls) == 0
