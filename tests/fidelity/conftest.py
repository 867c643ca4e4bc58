"""Fixtures for the fidelity tests: the seed, the emulator, and Prism proxies built from GitHub's descriptions."""
from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import _openapi
import _prism
from _seed import Seed

REPO = Path(__file__).resolve().parents[2]
EMULATOR_PATH = REPO / "tests" / "emulator"
sys.path.insert(0, str(EMULATOR_PATH))


@pytest.fixture(scope="session")
def seed_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The emulator's own deterministic seed, produced by its CLI exactly as documented."""
    out = tmp_path_factory.mktemp("seed") / "seed.json"
    env = dict(os.environ, PYTHONPATH=str(EMULATOR_PATH))
    done = subprocess.run([sys.executable, "-m", "ghpkgs_emulator", "seed", "--profile", "small", "--out", str(out)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0 or not out.is_file():
        pytest.fail(f"`python -m ghpkgs_emulator seed --profile small` failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return out


@pytest.fixture(scope="session")
def seed(seed_file: Path) -> Seed:
    return Seed(json.loads(seed_file.read_text(encoding="utf-8")))


@contextlib.contextmanager
def running_emulator(seed_file: Path) -> Iterator[Any]:
    from ghpkgs_emulator import Emulator  # pylint: disable=import-outside-toplevel

    with Emulator(seed=str(seed_file)) as emu:
        yield emu


@pytest.fixture()
def emulator(seed_file: Path) -> Iterator[Any]:
    """A fresh emulator per test, so each scenario starts from the seed."""
    with running_emulator(seed_file) as emu:
        yield emu


class Target:
    """One contract run: an emulator, the spec it is checked against, and the Prism proxy in between."""

    def __init__(self, flavor: str, emu: Any, spec: dict[str, Any], prism: _prism.Prism, prefix: str) -> None:
        self.flavor = flavor
        self.emu = emu
        self.spec = spec
        self.prism = prism
        self.prefix = prefix  # path prefix on the emulator (/api/v3 for GHES)

    @property
    def upstream(self) -> str:
        return self.emu.url.rstrip("/") + self.prefix


@pytest.fixture(scope="session")
def contract_targets(seed_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Target]]:
    """Both flavours at once: the Prism processes start in parallel, which halves the wait."""
    try:
        _prism.require_node()
    except RuntimeError as exc:
        pytest.fail(str(exc))
    work = tmp_path_factory.mktemp("prism")
    with contextlib.ExitStack() as stack:
        pending = []
        for flavor, prefix in (("dotcom", ""), ("ghes", "/api/v3")):
            spec_path = work / f"{flavor}.json"
            spec = _openapi.derive_spec(_openapi.source_spec(flavor), spec_path)
            emu = stack.enter_context(running_emulator(seed_file))
            prism = _prism.Prism(spec_path, emu.url.rstrip("/") + prefix, work / f"{flavor}.log")
            stack.callback(prism.stop)
            prism.start()
            pending.append(Target(flavor, emu, spec, prism, prefix))
        for target in pending:
            target.prism.wait_ready()
        yield {t.flavor: t for t in pending}
