# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The demo's checks against the emulator's control endpoints (127.0.0.1 only).

    check.py snapshot CONTROL_URL FILE            save the active versions (owner, type, package, id)
    check.py config CONTROL_URL JSON              set emulator configuration keys
    check.py clear-log CONTROL_URL
    check.py no-writes CONTROL_URL                fail if the log holds any write request
    check.py deleted BEFORE AFTER REPORT...       the versions gone between BEFORE and AFTER are exactly those the reports list
    check.py same BEFORE AFTER                    the active versions are the same (the restore brought back everything)
"""

from __future__ import annotations

import json
import sys
import urllib.request
from urllib.parse import urlsplit


def control(url: str, path: str, method: str = "GET", body: bytes = b"") -> object:
    if urlsplit(url).hostname != "127.0.0.1":
        raise SystemExit(f"check.py: refusing {url}: the emulator listens on 127.0.0.1 only")
    request = urllib.request.Request(url.rstrip("/") + path, method=method, data=body if method == "POST" else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        body = response.read()
    return json.loads(body) if body else None


def active(state: dict) -> set[tuple[str, str, str, int]]:
    return {(p["owner"], p["package_type"], p["name"], v["id"])
            for p in state["packages"] if not p.get("deleted_at")
            for v in p["versions"] if not v.get("deleted_at")}


def load(path: str) -> set[tuple[str, str, str, int]]:
    with open(path, encoding="utf-8") as handle:
        return {tuple(item) for item in json.load(handle)}


def main(argv: list[str]) -> int:
    command, args = argv[0], argv[1:]
    if command == "snapshot":
        with open(args[1], "w", encoding="utf-8") as handle:
            json.dump(sorted(active(control(args[0], "/state"))), handle)
        return 0
    if command == "config":
        control(args[0], "/config", "POST", args[1].encode())
        return 0
    if command == "clear-log":
        control(args[0], "/log/clear", "POST")
        return 0
    if command == "no-writes":
        log = control(args[0], "/log")
        writes = [f"{e['method']} {e['path']}" for e in log if e["method"] not in ("GET", "HEAD")]
        print(f"  {len(log)} requests, {len(writes)} write requests")
        if writes:
            print("  unexpected writes: " + ", ".join(writes[:10]))
            return 1
        return 0
    if command == "deleted":
        gone = load(args[0]) - load(args[1])
        listed = set()
        for path in args[2:]:
            with open(path, encoding="utf-8") as handle:
                report = json.load(handle)
            listed |= {(report["owner"], p["package_type"], p["name"], v["id"]) for p in report["packages"] for v in p["versions"]}
        print(f"  {len(gone)} versions deleted, {len(listed)} in the reports")
        if gone != listed:
            print(f"  not in a report: {sorted(gone - listed)[:10]}; listed but not deleted: {sorted(listed - gone)[:10]}")
            return 1
        return 0
    if command == "same":
        before, after = load(args[0]), load(args[1])
        print(f"  {len(before)} active versions before the cleanup, {len(after)} after the restore")
        if before != after:
            print(f"  missing: {sorted(before - after)[:10]}; extra: {sorted(after - before)[:10]}")
            return 1
        return 0
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
