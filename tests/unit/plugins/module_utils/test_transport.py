# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The transport both clients share: its checks name the option, and the collection has one version."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ansible_collections.ghpkgs.registry.plugins.module_utils._api import GitHubPackagesClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import InsecureTransport, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._registry import RegistryClient
from ansible_collections.ghpkgs.registry.plugins.module_utils._transport import (
    COLLECTION_VERSION,
    USER_AGENT,
    check_token,
    check_url,
    retry_after_seconds,
)

ROOT = Path(__file__).resolve().parents[4]
TOKEN = "ghp_TransportUnitSecret0123456789abcdef"


def declared_version() -> str:
    """galaxy.yml's version; in a built collection tree, the MANIFEST.json that ansible-galaxy wrote from it."""
    if (ROOT / "galaxy.yml").is_file():
        return str(yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))["version"])
    return str(json.loads((ROOT / "MANIFEST.json").read_text(encoding="utf-8"))["collection_info"]["version"])


def test_the_code_has_the_collection_version_of_galaxy_yml() -> None:
    assert COLLECTION_VERSION == declared_version()
    assert USER_AGENT == "ghpkgs.registry/" + declared_version()


def test_both_clients_send_the_collection_user_agent() -> None:
    for client in (GitHubPackagesClient(TOKEN), RegistryClient(TOKEN)):
        assert client._session.headers["User-Agent"] == USER_AGENT
        client.close()


@pytest.mark.parametrize(("token", "words"), [("", "is empty"), ("  ", "is empty"), (None, "is empty"),
                                              ("ghp_a\nb", "whitespace or control"), ("ghp_a\x7fb", "whitespace or control")])
def test_a_bad_token_is_an_option_error_that_never_echoes_it(token: object, words: str) -> None:
    with pytest.raises(OptionError) as info:
        check_token(token)
    assert str(info.value).startswith("token: ") and words in str(info.value)
    assert not str(token or "").strip() or str(token).strip() not in str(info.value)


@pytest.mark.parametrize(("url", "words"), [
    ("ftp://example.com", "is not an http(s) URL; use EXAMPLE"),
    ("https://user:pw@example.com", "must not carry credentials"),
    ("https://example.com/?x=1", "must not have a query or fragment; use EXAMPLE"),
    ("https://example.com/#top", "must not have a query or fragment"),
])
def test_a_bad_url_is_an_option_error_naming_the_option_and_the_fix(url: str, words: str) -> None:
    for option in ("api_url", "registry_url"):
        with pytest.raises(OptionError) as info:
            check_url(url, option, "use EXAMPLE")
        assert str(info.value).startswith(option + ": ") and words in str(info.value)


def test_plain_http_is_refused_except_to_loopback() -> None:
    with pytest.raises(InsecureTransport, match="registry_url: refusing to send the token over plain http:// to ghcr.io"):
        check_url("http://ghcr.io", "registry_url", "use https://ghcr.io")
    assert check_url(" http://127.0.0.1:8080/ ", "api_url", "use EXAMPLE").netloc == "127.0.0.1:8080"


@pytest.mark.parametrize(("value", "seconds"), [
    (None, None), ("", None), ("soon", None), ("0", 1.0), ("42", 42.0), ("99999", 3600.0),
    ("Thu, 01 Jan 2026 00:00:30 GMT", 30.0), ("Thu, 01 Jan 2026 00:00:00 GMT", 1.0),
])
def test_retry_after_is_seconds_or_an_http_date_clamped_to_one_hour(value: str, seconds: float) -> None:
    now = 1767225600.0  # 2026-01-01T00:00:00Z, injected: the date form is relative to the wall clock
    assert retry_after_seconds(value, lambda: now) == seconds
