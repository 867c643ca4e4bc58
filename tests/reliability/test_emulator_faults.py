"""The emulator's fault injection itself: faults before a request acts change nothing, faults after it lose the answer only."""
from __future__ import annotations

from typing import Any

import pytest
import requests

from conftest import TOKEN, Emulator

HEADERS = {"Authorization": f"Bearer {TOKEN['full']}", "Accept": "application/vnd.github+json"}


def version_ids(emu: Emulator, name: str) -> list[int]:
    package = next(p for p in emu.control.state()["packages"] if p["name"] == name and not p["deleted_at"])
    return [v["id"] for v in package["versions"] if not v["deleted_at"]]


def delete(emu: Emulator, name: str, vid: int) -> requests.Response:
    return requests.delete(f"{emu.url}/orgs/acme/packages/npm/{name}/versions/{vid}", headers=HEADERS, timeout=10)


def test_fail_before_acting_changes_nothing(emu: Emulator) -> None:
    vid = version_ids(emu, "web-ui")[0]
    emu.control.config(fail_every_n=1)
    assert delete(emu, "web-ui", vid).status_code == 502
    assert vid in version_ids(emu, "web-ui")
    assert emu.control.log()[-1]["fault"] == "fail"


@pytest.mark.parametrize("fault", ["fail_after_every_n", "drop_after_every_n"])
def test_faults_after_acting_lose_only_the_answer(emu: Emulator, fault: str) -> None:
    vid = version_ids(emu, "web-ui")[0]
    emu.control.config(**{fault: 1})
    if fault == "fail_after_every_n":
        assert delete(emu, "web-ui", vid).status_code == 502
    else:
        with pytest.raises(requests.ConnectionError):
            delete(emu, "web-ui", vid)
    assert vid not in version_ids(emu, "web-ui"), "the DELETE took effect although its answer was lost"
    entry: dict[str, Any] = emu.control.log()[-1]
    assert entry["fault"] == fault.replace("_every_n", "") and entry["effect_status"] == 204
    emu.control.config(**{fault: None})
    assert delete(emu, "web-ui", vid).status_code == 404
