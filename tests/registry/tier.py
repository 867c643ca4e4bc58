"""The real-registry tier: the collection's cleanups against the CNCF distribution registry, proven with skopeo.

    tests/registry/run        (installs docker-registry and skopeo if missing, then runs this with the test venv)

The emulator stands in for GitHub's Packages API (ids, timestamps, downloads, deleted state, permissions, the ghcr
bearer challenge) with the real registry behind its /v2 side (``serve --registry``): images built by images.py are pushed
through it with skopeo, so every manifest is a real registry's manifest and every deletion a real registry's deletion.
After each step (ansible-playbook with the installed collection), skopeo, talking to the registry directly, proves that
every kept tag pulls on every platform, every kept signature, attestation and referrer resolves, and the registry holds
exactly the manifests no step deleted.

Env: GHPKGS_COLLECTIONS_PATH (an installed tree, from `make tree`), REGISTRY_KEEP_WORKDIR=1 keeps the work directory.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT / "tests" / "emulator"))
sys.path.insert(0, str(HERE))

from ghpkgs_emulator.seedgen import TOKENS, generate
from ghpkgs_emulator.upstream import MANIFEST_TYPES
from images import build

TOKEN = next(value for value, spec in TOKENS.items() if spec["name"] == "full")  # alice, admin of acme: a test string
APP, BUILDER = "acme/app", "acme/tools/builder"


def app(tag: str) -> str:
    return f"{APP}:{tag}"


class TierFailure(Exception):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise TierFailure(message)


class Tier:
    def __init__(self, work: Path) -> None:
        self.work = work
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Any] = []  # the processes' log files, closed by stop()
        self.plan = json.loads((work / "images.json").read_text())
        self.layout = work / "layout"
        self.images: dict[str, Any] = self.plan["images"]
        self.manifests: dict[str, str] = self.plan["manifests"]  # digest -> repository
        self.gone: set[str] = set()  # manifests the steps deleted (or the breakage removed), so far
        self.broken: set[str] = set()  # manifests deleted behind the collection's back
        self.proven_gone: set[str] = set()  # gone manifests skopeo already found missing
        self.shown = 0  # lines of proofs.log printed

    # ---- processes ----------------------------------------------------------------------------
    def start(self) -> None:
        config = self.work / "registry.yml"
        # Never the package's default config (it listens on every interface); no garbage collection ever runs here.
        config.write_text(f"""version: 0.1
log: {{level: info, accesslog: {{disabled: true}}}}
storage:
  filesystem: {{rootdirectory: {self.work / 'registry-data'}}}
  delete: {{enabled: true}}
  maintenance: {{uploadpurging: {{enabled: false}}}}
http: {{addr: "127.0.0.1:0", relativeurls: true}}
""")
        log = self.work / "registry.log"
        self.logs.append(log.open("wb"))
        self.processes.append(subprocess.Popen(["docker-registry", "serve", str(config)], stdout=self.logs[-1], stderr=subprocess.STDOUT))
        self.registry = "127.0.0.1:" + self._wait_for(lambda: _listening(log), "the registry", log)
        seed = generate("small")
        # The container packages come from the registry: the seed's own would have no manifests there.
        seed["packages"] = [p for p in seed["packages"] if p["package_type"] != "container"]
        (self.work / "seed.json").write_text(json.dumps(seed))
        port_file, err = self.work / "emulator.port", self.work / "emulator.err"
        self.logs.append(err.open("wb"))
        self.processes.append(subprocess.Popen(
            [sys.executable, "-m", "ghpkgs_emulator", "serve", "--port", "0", "--port-file", str(port_file),
             "--seed", str(self.work / "seed.json"), "--registry", f"http://{self.registry}",
             "--log-file", str(self.work / "emulator.jsonl")],
            env={**os.environ, "PYTHONPATH": str(ROOT / "tests" / "emulator")}, stderr=self.logs[-1]))
        port = self._wait_for(lambda: port_file.read_text().strip() if port_file.exists() else None, "the emulator", err)
        self.emulator = f"127.0.0.1:{port}"

    def _wait_for(self, probe: Any, what: str, log: Path) -> str:
        for _ in range(1200):
            found = probe()
            if found:
                return found
            if any(p.poll() is not None for p in self.processes):
                raise TierFailure(f"{what} exited at start:\n{log.read_text()}")
            time.sleep(0.05)
        raise TierFailure(f"{what} did not start within 60 s:\n{log.read_text()}")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()

    # ---- helpers ------------------------------------------------------------------------------
    def control(self, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"http://{self.emulator}/_emulator/{path}", data=data, method="POST" if data else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            payload = response.read()
        return json.loads(payload) if payload else None

    def skopeo(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120)

    def push(self) -> None:
        """Every image through the emulator's /v2 (the ghcr bearer flow with alice's token), an hour apart on the emulated
        clock; then the SBOM and the referrers tag index as exact bytes over HTTP, blobs first, as oras and cosign push them."""
        for item in self.plan["pushes"]:
            self.control("clock", {"advance_seconds": 3600})
            result = self.skopeo("copy", "--all", "--preserve-digests", "-q", "--dest-tls-verify=false",
                                 "--dest-creds", f"alice:{TOKEN}", f"oci:{self.layout}:{item['ref']}",
                                 f"docker://{self.emulator}/{item['repository']}:{item['tag']}")
            check(result.returncode == 0, f"skopeo could not push {item['repository']}:{item['tag']}: {result.stderr}")
        for item in self.plan["raw"]:
            repository, bearer = item["repository"], self._bearer(item["repository"], "pull,push")
            body = self._blob(item["blob"])
            manifest = json.loads(body)
            for blob in [manifest["config"], *manifest["layers"]] if "layers" in manifest else []:
                status, headers = self._send("POST", f"/v2/{repository}/blobs/uploads/", bearer)
                check(status == 202, f"the registry refused a blob upload to {repository} ({status})")
                location = headers["Location"] + ("&" if "?" in headers["Location"] else "?") + "digest=" + blob["digest"]
                status, _ = self._send("PUT", location, bearer, self._blob(blob["digest"]), "application/octet-stream")
                check(status == 201, f"the registry refused the blob {blob['digest']} ({status})")
            status, headers = self._send("PUT", f"/v2/{repository}/manifests/{item['reference']}", bearer, body, item["media_type"])
            check(status == 201 and headers.get("Docker-Content-Digest") == item["blob"],
                  f"the registry did not store {item['reference']} as pushed ({status})")

    def _blob(self, digest: str) -> bytes:
        return (self.layout / "blobs" / "sha256" / digest[7:]).read_bytes()

    def _send(self, method: str, path: str, bearer: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, Any]:
        """One request to the emulator's /v2 with a registry bearer token: (status, headers)."""
        headers = {"Authorization": f"Bearer {bearer}", **({"Content-Type": content_type} if content_type else {})}
        request = urllib.request.Request(f"http://{self.emulator}{path}", data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                return response.status, response.headers
        except urllib.error.HTTPError as exc:
            raise TierFailure(f"{method} {path}: {exc.code} {exc.read()[:300]!r}") from None

    def _bearer(self, repository: str, actions: str) -> str:
        request = urllib.request.Request(f"http://{self.emulator}/token?service=ghcr.io&scope=repository:{repository}:{actions}")
        request.add_header("Authorization", "Basic " + base64.b64encode(f"alice:{TOKEN}".encode()).decode())
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return json.loads(response.read())["token"]

    # ---- the collection -----------------------------------------------------------------------
    def cleanups(self, collections: str) -> None:
        """cleanups.yml in one ansible-playbook run (its proof tasks call `tier.py prove`), with the installed collection."""
        ids = {v["name"]: v["id"] for p in self.control("state")["packages"] for v in p["versions"]}
        extra = self.work / "cleanups.vars.json"
        extra.write_text(json.dumps({"ghpkgs_api_url": f"http://{self.emulator}", "tier_work": str(self.work),
                                     "tier_script": str(HERE / "tier.py"), "tier_v100_index": self.images[app("v1.0.0")]["index"],
                                     "tier_v120_attestation_id": ids[self.images[app("v1.2.0")]["attestations"][0]]}))
        env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": collections, "GITHUB_TOKEN": TOKEN, "ANSIBLE_NOCOLOR": "1",
               "ANSIBLE_LOCALHOST_WARNING": "0", "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0", "ANSIBLE_RETRY_FILES_ENABLED": "0",
               "PYTHONUNBUFFERED": "1"}
        command = [str(Path(sys.executable).parent / "ansible-playbook"), str(HERE / "cleanups.yml"), "-e", f"@{extra}"]
        output: list[str] = []
        with subprocess.Popen(command, env=env, cwd=self.work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as play:
            for line in play.stdout:
                output.append(line)
                self.show_proofs()
        self.show_proofs()
        (self.work / "cleanups.out").write_text("".join(output))
        text = "".join(output)
        check(TOKEN not in text, "the token appeared in ansible-playbook's output")
        check(play.returncode == 0, "ansible-playbook cleanups.yml failed:\n" + "".join(output[-60:]))

    # ---- proofs -------------------------------------------------------------------------------
    def show_proofs(self) -> None:
        """Print the proofs' lines (proofs.log) not printed yet."""
        log = self.work / "proofs.log"
        lines = log.read_text().splitlines() if log.exists() else []
        for line in lines[self.shown:]:
            print(line, flush=True)
        self.shown = len(lines)

    def verify(self, step: str, restored: tuple[str, ...] = ()) -> None:
        """The registry holds exactly the manifests not gone (a HEAD of each, and skopeo for those gone since the last
        proof); skopeo pulls every kept tag on every platform and resolves every kept signature (by its tag), attestation and
        referrer (by digest, and through the referrers tag); the emulator's active versions are the registry's manifests."""
        started = time.monotonic()
        held = {digest: self._holds(repository, digest) for digest, repository in self.manifests.items()}
        wrong = sorted(d for d, present in held.items() if present == (d in self.gone))
        check(not wrong, f"{step}: the registry {'lacks' if wrong and not held[wrong[0]] else 'still holds'} "
                         f"{len(wrong)} manifest(s), first {wrong[:1]}, against what the collection planned")
        kept = {tag: image for tag, image in sorted(self.images.items()) if image["index"] not in self.gone}
        pulls = [(tag, image, platform) for tag, image in kept.items() for platform in sorted(image["platforms"])]
        lookups = [(self.manifests[d], d, None) for d in sorted(self.gone - self.proven_gone)]
        for tag, image in kept.items():
            repository = tag.split(":")[0]
            lookups += [(repository, d, d) for d in (*image["attestations"], *image["referrers"])]
            lookups += [(repository, signature_tag, digest) for signature_tag, digest in sorted(image["signatures"].items())]
            if image["fallback"]:
                lookups.append((repository, f"sha256-{image['index'][7:]}", image["fallback"]))
        with ThreadPoolExecutor(4) as pool:
            failures = [msg for msg in [*pool.map(self._pull, pulls), *pool.map(self._lookup, lookups)] if msg]
        check(not failures, f"{step}:\n" + "\n".join(failures))
        self.proven_gone = set(self.gone)
        state = self.control("state")
        active = {v["name"] for p in state["packages"] if p["package_type"] == "container" and not p["deleted_at"]
                  for v in p["versions"] if not v["deleted_at"]}
        check(active == {d for d in self.manifests if d not in self.gone},
              f"{step}: the emulator's active versions are not the registry's manifests")
        note = f", {len(restored)} restored" if restored else ""
        line = (f"  ok  {step}: {len(self.manifests) - len(self.gone)} manifests held, {len(self.gone)} gone{note}; "
                f"{len(pulls)} platform pulls of {len(kept)} kept tags, {len(lookups)} lookups (proof {time.monotonic() - started:.1f} s)")
        with (self.work / "proofs.log").open("a") as log:
            log.write(line + "\n")

    def _holds(self, repository: str, digest: str) -> bool:
        request = urllib.request.Request(f"http://{self.registry}/v2/{repository}/manifests/{digest}", method="HEAD",
                                         headers={"Accept": ", ".join(MANIFEST_TYPES)})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                return response.status == 200
        except urllib.error.HTTPError as exc:
            check(exc.code == 404, f"HEAD {repository}@{digest}: {exc.code}")
            return False

    def _lookup(self, item: tuple[str, str, str | None]) -> str | None:
        """skopeo resolves the reference to the digest, or (digest None) the registry says manifest unknown."""
        repository, reference, digest = item
        separator = "@" if reference.startswith("sha256:") else ":"
        result = self.skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{self.registry}/{repository}{separator}{reference}")
        found = "sha256:" + hashlib.sha256(result.stdout.encode()).hexdigest() if result.returncode == 0 else None
        if digest is None:
            return None if found is None and "manifest unknown" in result.stderr else f"{repository}@{reference} is not gone"
        return None if found == digest else f"{repository}{separator}{reference} does not resolve to {digest}: {result.stderr.strip()}"

    def _pull(self, item: tuple[str, dict[str, Any], str]) -> str | None:
        """skopeo pulls the tag for the platform; a platform removed behind the collection's back must fail as 'manifest unknown'."""
        tag, image, platform = item
        os_name, arch = platform.split("/")
        target = Path(tempfile.mkdtemp(dir=self.work))
        try:
            result = self.skopeo("copy", "-q", "--src-tls-verify=false", "--override-os", os_name, "--override-arch", arch,
                                 f"docker://{self.registry}/{tag}", f"dir:{target}")
            if result.returncode == 0:
                body = (target / "manifest.json").read_bytes()
                blobs = [json.loads(body)["config"], *json.loads(body)["layers"]]
                pulled = "sha256:" + hashlib.sha256(body).hexdigest() if all((target / b["digest"][7:]).exists() for b in blobs) else "no blobs"
            else:
                pulled = None
        finally:
            shutil.rmtree(target)
        wanted = image["platforms"][platform]
        if wanted in self.broken:  # removed behind the collection's back: must fail the same way, not worse, not better
            return None if pulled is None and "manifest unknown" in result.stderr else f"{tag} {platform}: broken, yet {pulled or result.stderr}"
        if pulled != wanted:
            return f"{tag} {platform}: {result.stderr.strip() or 'pulled ' + str(pulled) + ', not ' + wanted}"
        return None

    # ---- the steps ----------------------------------------------------------------------------
    def family(self, tag: str) -> set[str]:
        image = self.images[app(tag)]
        return {image["index"], *image["platforms"].values(), *image["attestations"]}

    def prove(self, step: str) -> None:
        """Check one step of cleanups.yml from its result (on stdin), then prove the registry's state."""
        result = json.loads(sys.stdin.read())
        (self.work / f"{step}.result.json").write_text(json.dumps(result))
        v120 = self.images[app("v1.2.0")]
        if step == "org-restore":
            restored = self.report_deleted(json.loads((self.work / "org-cleanup.result.json").read_text()))
            self.gone -= restored
            self.verify("org_restore role from that report", restored=tuple(restored))
            return
        if step == "breakage":
            arm64 = v120["platforms"]["linux/arm64"]
            request = urllib.request.Request(f"http://{self.registry}/v2/{APP}/manifests/{arm64}", method="DELETE")
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
                check(response.status == 202, f"the registry did not delete {arm64}")
            self.gone.add(arm64)
            self.broken.add(arm64)
            self.verify("breakage: linux/arm64 of v1.2.0 deleted in the registry behind the collection's back")
            return
        title, wanted = {
            "untagged": ("package_version untagged=true", set(self.plan["leftovers"][APP])),
            "pr": ("package_version tags=pr-*", self.family("pr-12") | self.family("pr-13")),
            "signatures": ("package_version tags=sha256-* (cosign and referrers tags of kept images), registry answering 429", set()),
            "version-ids": ("package_version version_ids=<an attestation of v1.2.0>", set()),
            "versions": ("package_version versions=<the v1.0.0 index digest>", self.family("v1.0.0")),
            "prerelease": ("package_version prerelease=true", self.family("v1.3.0-rc.1")),
            "package-cleanup": ("package_cleanup (app: dev older than 1h; tools/builder: untagged)",
                                self.family("dev") | set(self.plan["leftovers"][BUILDER])),
            "org-cleanup": ("org_cleanup role (tags v1.1.*)", self.family("v1.1.0") | set(self.images[app("v1.1.0")]["signatures"].values())),
            "broken-module": ("package_version untagged=true over the broken image", set()),
            "broken": ("org_cleanup role untagged=true over the broken image", set()),
        }[step]
        packages = result.get("packages") if isinstance(result.get("packages"), list) else [result]
        if step.startswith("org-") or step == "broken":
            deleted = self.report_deleted(result)
        else:
            check(not any(p.get("failed") for p in [result, *packages]), f"{title}: failed: {result.get('msg')}")
            deleted = {v["name"] for p in packages for v in p["versions"] if v["outcome"] == "deleted"}
        check(deleted == wanted, f"{title}: deleted {len(deleted)} manifests, expected {len(wanted)}: "
                                 f"unexpected {sorted(deleted - wanted)[:3]}, missing {sorted(wanted - deleted)[:3]}")
        reasons = {v["name"]: v.get("reason") or "" for p in packages for v in p.get("versions", [])}
        if step == "untagged":
            check(reasons[v120["referrers"][0]].startswith("referenced by kept"), f"{title}: the SBOM: {reasons[v120['referrers'][0]]}")
        if step == "untagged":  # a manifest read through the emulator's /v2 is a download, as on ghcr.io
            downloads = {v["name"]: v["downloads"] for p in self.control("state")["packages"] for v in p["versions"]}
            check(downloads[v120["index"]] > 0, f"{title}: reading the v1.2.0 index counted no download")
        if step == "signatures":
            throttled = [e for e in self.control("log") if e["status"] == 429 and "/manifests/" in e["path"]]
            check(throttled, f"{title}: the emulator injected no 429 into the collection's manifest reads")
            check(not result["changed"] and result["counts"]["kept"] == 4, f"{title}: {result['counts']}")
            check(reasons[v120["fallback"]].startswith("referenced by kept latest, v1.2.0"), f"{title}: {reasons[v120['fallback']]}")
        if step == "version-ids":
            check(reasons[v120["attestations"][0]].startswith("referenced by kept index latest, v1.2.0"), f"{title}: {reasons}")
        if step == "broken-module":
            # The image is named: its remaining platform image and attestations are kept for it, nothing else is touched.
            remaining = [d for d in (*v120["platforms"].values(), *v120["attestations"]) if d not in self.broken]
            check(all(reasons.get(d, "").startswith("referenced by kept index latest, v1.2.0") for d in remaining),
                  f"{title}: the entries of the broken image are not kept for it: {[reasons.get(d) for d in remaining]}")
        self.gone |= deleted
        self.verify(title)

    def report_deleted(self, role_result: dict[str, Any]) -> set[str]:
        """The manifests an org_cleanup run's report says it deleted (none without a report)."""
        if not role_result.get("report_file"):
            return set()
        report = json.loads(Path(role_result["report_file"]).read_text())
        return {v["name"] for p in report["packages"] for v in p["versions"]}

    def save(self) -> None:
        state = {"registry": self.registry, "emulator": self.emulator, "gone": sorted(self.gone), "broken": sorted(self.broken),
                 "proven_gone": sorted(self.proven_gone)}
        (self.work / "state.json").write_text(json.dumps(state))

    def load(self) -> None:
        state = json.loads((self.work / "state.json").read_text())
        self.registry, self.emulator = state["registry"], state["emulator"]
        self.gone, self.broken, self.proven_gone = set(state["gone"]), set(state["broken"]), set(state["proven_gone"])


def _listening(log: Path) -> str | None:
    for line in log.read_text(errors="replace").splitlines():
        if 'msg="listening on 127.0.0.1:' in line:
            return line.split('msg="listening on 127.0.0.1:')[1].split('"')[0]
    return None


def main(argv: list[str]) -> int:
    if argv[1:2] == ["prove"]:  # a proof task of cleanups.yml: tier.py prove WORK STEP
        tier = Tier(Path(argv[2]))
        tier.load()
        try:
            tier.prove(argv[3])
        except TierFailure as exc:
            print(f"FAILED {exc}", file=sys.stderr)
            return 1
        tier.save()
        return 0
    collections = os.environ.get("GHPKGS_COLLECTIONS_PATH")
    if not collections:
        print("tier.py: set GHPKGS_COLLECTIONS_PATH to an installed collection tree (make tree)", file=sys.stderr)
        return 2
    for tool in ("docker-registry", "skopeo"):
        if shutil.which(tool) is None:
            print(f"tier.py: {tool} is not installed (tests/registry/run installs it)", file=sys.stderr)
            return 2
    work = Path(tempfile.mkdtemp(prefix="ghpkgs-registry-tier-"))
    (work / "images.json").write_text(json.dumps(build(work)))
    started = time.monotonic()
    tier = Tier(work)
    status = 1
    try:
        tier.start()
        print(f"real registry {tier.registry} (docker-registry), emulator {tier.emulator} in front of it; work dir {work}", flush=True)
        tier.push()
        tier.verify("pushed")
        tier.show_proofs()
        tier.save()
        tier.cleanups(collections)
        status = 0
    except TierFailure as exc:
        print(f"FAILED {exc}", file=sys.stderr)
    finally:
        tier.stop()
        print(f"real-registry tier: {'passed' if status == 0 else 'FAILED'} in {time.monotonic() - started:.1f} s", flush=True)
        if status == 0 and not os.environ.get("REGISTRY_KEEP_WORKDIR"):
            shutil.rmtree(work, ignore_errors=True)
        elif status != 0:
            print(f"kept for inspection: {work}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv))
