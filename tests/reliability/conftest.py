"""Shared plumbing of the reliability and security suite: a collection tree, emulators, ansible runs, figures.

Modules run the way users run them (``ansible`` / ``ansible-playbook`` subprocesses with ANSIBLE_COLLECTIONS_PATH
pointing at an installed build of the collection), against in-process emulators bound to 127.0.0.1.
"""
from __future__ import annotations

import base64
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "emulator"))

from ghpkgs_emulator import Emulator  # noqa: E402
from ghpkgs_emulator.seedgen import FULL, TOKENS, generate  # noqa: E402

BIN = Path(sys.executable).parent
# A distinctive token: any of these forms in any output is a leak.
SECRET = "ghp_RelSecretQx7Zr9Kw4Tn2Vb8Lm5Pd3Hs6Jf1"
TOKEN = {spec["name"]: value for value, spec in TOKENS.items()}
TOKEN["secret"] = SECRET


def secret_forms(secret: str = SECRET) -> list[str]:
    """The token, a distinctive inner part of it, URL-encoded, and base64 at every alignment (Basic auth headers)."""
    forms = {secret, secret[8:24], quote(secret, safe="")}
    for shift in range(3):
        encoded = base64.b64encode(("x" * shift + secret).encode()).decode()
        # Characters from the 4th of the aligned group on depend only on the token.
        forms.add(encoded[4 * ((shift + 2) // 3) + 4:][:24])
    return sorted(forms)


def leaks(text: str, secret: str = SECRET) -> list[str]:
    return [form for form in secret_forms(secret) if form in text]


class Figures:
    """What the suite did, printed at the end: faults injected, kill points survived, inputs tried."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def add(self, name: str, amount: int = 1) -> None:
        self.counts[name] += amount

    def faults_from_log(self, log: list[dict[str, Any]]) -> int:
        faults = Counter(entry["fault"] for entry in log if entry.get("fault"))
        for kind, amount in faults.items():
            self.add(f"faults injected: {kind}", amount)
        return sum(faults.values())


FIGURES = Figures()


def pytest_configure(config: Any) -> None:
    # With pytest-xdist, each worker leaves its figures in this directory and the controller adds them up.
    if not hasattr(config, "workerinput") and "RELIABILITY_FIGURES_DIR" not in os.environ:
        os.environ["RELIABILITY_FIGURES_DIR"] = tempfile.mkdtemp(prefix="ghpkgs-reliability-figures-")


def pytest_sessionfinish(session: Any) -> None:
    config = session.config
    if hasattr(config, "workerinput") and os.environ.get("RELIABILITY_FIGURES_DIR"):
        path = Path(os.environ["RELIABILITY_FIGURES_DIR"]) / f"{config.workerinput['workerid']}.json"
        path.write_text(json.dumps(FIGURES.counts), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if hasattr(terminalreporter.config, "workerinput"):
        return  # workers hand their figures over in pytest_sessionfinish
    directory = Path(os.environ.get("RELIABILITY_FIGURES_DIR", "/nonexistent"))
    for path in sorted(directory.glob("*.json")):
        FIGURES.counts.update(json.loads(path.read_text(encoding="utf-8")))
    shutil.rmtree(directory, ignore_errors=True)
    if not FIGURES.counts:
        return
    terminalreporter.section("reliability figures")
    for name, amount in sorted(FIGURES.counts.items()):
        terminalreporter.write_line(f"{name}: {amount}")
    faults = sum(v for k, v in FIGURES.counts.items() if k.startswith("faults injected"))
    inputs = sum(v for k, v in FIGURES.counts.items() if k.startswith("inputs tried"))
    terminalreporter.write_line(f"TOTAL faults injected: {faults}; kill points survived: {FIGURES.counts['kill points survived']}; "
                                f"inputs tried: {inputs}")


@pytest.fixture(scope="session")
def figures() -> Figures:
    return FIGURES


def base_seed() -> dict[str, Any]:
    """The small profile plus the distinctive token (alice, every scope, SSO-authorized)."""
    seed = generate("small")
    seed["tokens"][SECRET] = {"name": "secret", "login": "alice", "scopes": list(FULL), "sso_authorized": ["sso-corp"]}
    return seed


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """GHPKGS_COLLECTIONS_PATH (a tree from `make tree`), else a fresh build of the checkout installed in a temp dir."""
    given = os.environ.get("GHPKGS_COLLECTIONS_PATH")
    if given:
        return Path(given)
    work = tmp_path_factory.mktemp("collection")
    galaxy = str(BIN / "ansible-galaxy")
    subprocess.run([galaxy, "collection", "build", "--output-path", str(work), str(ROOT)], check=True, capture_output=True)
    artifact = next(work.glob("ghpkgs-registry-*.tar.gz"))
    subprocess.run([galaxy, "collection", "install", "-p", str(work / "tree"), str(artifact)], check=True, capture_output=True)
    return work / "tree"


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Ansible:
    """Runs ansible / ansible-playbook with the collection tree, a private ANSIBLE_HOME, and no ambient GitHub variables."""

    def __init__(self, collections: Path, home: Path) -> None:
        self.collections = collections
        self.home = home

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GH_", "ANSIBLE_"))}
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": str(self.collections),
            "ANSIBLE_HOME": str(self.home),
            "ANSIBLE_LOCAL_TEMP": str(self.home / "tmp"),
            "ANSIBLE_PYTHON_INTERPRETER": sys.executable,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_RETRY_FILES_ENABLED": "false",
            "ANSIBLE_DEPRECATION_WARNINGS": "false",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update(extra or {})
        return env

    def module(self, name: str, args: dict[str, Any], *flags: str, env: dict[str, str] | None = None,
               timeout: float = 300) -> Run:
        """`ansible localhost -m ghpkgs.registry.NAME -a JSON`; the result dict is parsed from the minimal callback."""
        command = [str(BIN / "ansible"), "localhost", "-m", f"ghpkgs.registry.{name}", "-a", json.dumps(args), *flags]
        done = subprocess.run(command, env=self.env(env), capture_output=True, text=True, timeout=timeout)
        return Run(done.returncode, done.stdout, done.stderr)

    def start_playbook(self, path: Path, *flags: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """ansible-playbook in the background (output: stdout and stderr together)."""
        command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), *flags]
        return subprocess.Popen(command, env=self.env(env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                cwd=str(path.parent))

    def playbook(self, path: Path, *flags: str, env: dict[str, str] | None = None, timeout: float = 600) -> Run:
        command = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(path), *flags]
        done = subprocess.run(command, env=self.env(env), capture_output=True, text=True, timeout=timeout,
                              cwd=str(path.parent))
        return Run(done.returncode, done.stdout, done.stderr)


def module_result(run: Run) -> dict[str, Any]:
    """The JSON result of an ad-hoc run: `localhost | SUCCESS => {...}` (the minimal callback)."""
    text = run.stdout
    start = text.index("=> {") + 3
    return json.loads(text[start:text.rindex("}") + 1])


@pytest.fixture(scope="session")
def ansible(collections_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    home = tmp_path_factory.mktemp("ansible-home")
    (home / "tmp").mkdir()
    return Ansible(collections_path, home)


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    """One emulator with the small seed (+ the distinctive token) for tests that reset it first."""
    with Emulator(seed=base_seed()) as emu:
        yield emu


@pytest.fixture()
def emu(shared_emulator: Emulator) -> Emulator:
    shared_emulator.control.reset()
    return shared_emulator


def writes(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in log if entry["method"] in ("POST", "PUT", "PATCH", "DELETE")]


def state_snapshot(state: dict[str, Any]) -> dict[tuple[str, str, str, int], dict[str, Any]]:
    """Every package (deleted ones too, by id) -> {active version ids, deleted version ids}: what a run may change."""
    snap = {}
    for package in state["packages"]:
        key = (package["owner"], package["package_type"], package["name"], package["id"])
        versions = package["versions"]
        snap[key] = {"deleted": bool(package.get("deleted_at")),
                     "active": sorted(v["id"] for v in versions if not v.get("deleted_at")),
                     "gone": sorted(v["id"] for v in versions if v.get("deleted_at"))}
    return snap


def deep(seed: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(seed)


def write_playbook(directory: Path, name: str, plays: list[dict[str, Any]]) -> Path:
    path = directory / name
    path.write_text(json.dumps(plays, indent=1), encoding="utf-8")  # JSON is YAML
    return path


def clean_dir(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)


__all__ = ["Ansible", "Emulator", "FIGURES", "SECRET", "TOKEN", "base_seed", "clean_dir", "deep", "leaks", "module_result",
           "secret_forms", "state_snapshot", "tempfile", "write_playbook", "writes"]
