# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The guide's troubleshooting section quotes messages the code really prints.

Every ``literal`` on a term line of the section is a message, with ``...`` and upper-case placeholders (N, URL, ...) for
the parts that vary. Between those, each piece of text must be text the collection's code has: a string of a plugin, or
the text of a role or playbook (messages there are Jinja strings and templates). "; " joins an error's message and its
hint, so it separates pieces too. What GitHub, requests or ansible-core print is named in OTHERS_SAY.
"""

from __future__ import annotations

import ast
import re
import typing as t
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
GUIDE = ROOT / "docs" / "docsite" / "rst" / "guide.rst"
PLACEHOLDER = re.compile(r"\.\.\.|; |\b(?:N|M|ORG|OWNER|URL|HOST|PATH|FIELD|NAME|REPORT|SCOPES|TIME|TYPE|OPTION|VALUE)\b")
# What others print, quoted in the guide next to what the collection adds: GitHub's messages, the exception names of
# requests, and ansible-core's message for a missing library.
OTHERS_SAY = ("Publicly visible package versions with more than 5000 downloads cannot be deleted", "Bad credentials",
              "Resource not accessible by integration",
              "API rate limit exceeded", "ConnectionError", "Failed to import the required Python library (requests)")
PUNCTUATION = " ;:,.()/'\"`"


def squash(text: str) -> str:
    return " ".join(text.split())


def troubleshooting_messages() -> t.List[str]:
    text = GUIDE.read_text(encoding="utf-8")
    section = text.split("\nTroubleshooting\n===============\n", 1)[1]
    section = re.split(r"\n[^\n]+\n=+\n", section, maxsplit=1)[0]
    terms = [line for line in section.splitlines() if line.startswith("``")]
    return [message for line in terms for message in re.findall(r"``(.+?)``", line)]


def code_strings() -> t.List[str]:
    """Every string of the plugins (implicit concatenations joined, f-strings cut at their fields) and the text of every
    role and playbook file, whitespace squashed."""
    found = []
    for path in sorted((ROOT / "plugins").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(squash(node.value))
    for folder in ("roles", "playbooks"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".yml", ".j2") and "argument_specs" not in path.name:
                found.append(squash(path.read_text(encoding="utf-8")))
    return found


def pieces(message: str) -> t.List[str]:
    for said in OTHERS_SAY:
        message = message.replace(said, "...")
    parts = (part.strip(PUNCTUATION) for part in PLACEHOLDER.split(squash(message)))
    return [part for part in parts if sum(char.isalpha() for char in part) >= 3]


MESSAGES = troubleshooting_messages()


def test_the_section_quotes_messages() -> None:
    assert len(MESSAGES) >= 40


@pytest.mark.parametrize("message", MESSAGES)
def test_the_code_can_produce_every_quoted_message(message: str) -> None:
    corpus = code_strings()
    missing = [piece for piece in pieces(message) if not any(piece in text for text in corpus)]
    assert not missing, f"the guide quotes {message!r}, but no code has {missing}"
