# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Pure version-selection rules of ghpkgs.registry.package_version.

No I/O, no Ansible, no HTTP: plain data in, plain data out, deterministic.

Typical use by a module::

    versions = [Version.from_api(item, package_type) for item in listing]
    policy = Policy.from_params(module.params)     # raises OptionError naming the bad option
    decisions = plan(versions, policy, now)

Every ValueError raised here starts with the name of the option (or API field) at fault; those about options are OptionError.
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
from dataclasses import dataclass, fields
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Mapping

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import OptionError, UnexpectedAnswer

PACKAGE_TYPES = ("npm", "maven", "rubygems", "docker", "nuget", "container")
TAGGED_PACKAGE_TYPES = ("container", "docker")
AGE_FROM = ("updated_at", "created_at")

ACT = "act"
KEEP = "keep"
SKIP = "skip"
DEPLOYED = "deployed (keep_digests)"

DURATION_FORMS = "a number of days or a number followed by s, m, h, d or w (45s, 90m, 36h, 30d, 2w)"

_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhdw]?)")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}

# semver.org's regular expression, ASCII digits only, with an optional leading "v".
_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_NUMBER = r"(0|[1-9][0-9]*)"
_LABEL_AND_BUILD = r"(?:-(" + _IDENT + r"(?:\." + _IDENT + r")*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
_SEMVER_RE = re.compile(r"v?" + _NUMBER + r"\." + _NUMBER + r"\." + _NUMBER + _LABEL_AND_BUILD)
# NuGet: SemVer, or four numbers (the fourth is the revision) with the same label and build metadata.
_NUGET_RE = re.compile(r"v?" + _NUMBER + r"\." + _NUMBER + r"\." + _NUMBER + r"(?:\." + _NUMBER + r")?" + _LABEL_AND_BUILD)
# Maven: a qualifier is a run of characters between the separators '.' and '-' and the numbers (1.0-RC1: rc, then 1);
# the first one after a number is the one compared with the release (a prefix such as the v of v1.2.0-rc.1 is not).
_MAVEN_QUALIFIER_RE = re.compile(r"[0-9][.-]*([^0-9.-]+)(?=([0-9])?)")
# The qualifiers Maven's version ordering (ComparableVersion) ranks below the release; cr is its alias of rc.
_MAVEN_PRE_QUALIFIERS = frozenset(("alpha", "beta", "milestone", "rc", "cr", "snapshot"))
# a, b and m stand for alpha, beta and milestone only when a number follows at once (a1, M2), as Maven reads them.
_MAVEN_PRE_LETTERS = frozenset("abm")
_LETTER_RE = re.compile(r"[a-zA-Z]")


def _utc(value: datetime) -> datetime:
    """Return an aware UTC datetime; a naive one is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def parse_timestamp(value: str, option: str) -> datetime:
    """Parse an ISO 8601 timestamp ('Z', an offset, or naive meaning UTC) into an aware UTC datetime."""
    if not isinstance(value, str):
        raise OptionError(f"{option}: {value!r} is not an ISO 8601 timestamp")
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        # datetime.fromisoformat() only accepts 'Z' from Python 3.11 on.
        text = text[:-1] + "+00:00"
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        raise OptionError(f"{option}: {value!r} is not an ISO 8601 timestamp (like 2024-05-01T12:00:00Z)") from None


def format_timestamp(value: datetime) -> str:
    """Format a datetime the way GitHub does: UTC with a trailing 'Z' (2024-05-01T12:00:00Z)."""
    return _utc(value).isoformat().replace("+00:00", "Z")


def parse_duration(value: str | int | float, option: str = "older_than") -> timedelta:
    """Parse a user-given duration.

    A plain number (7, 1.5, "7") is a number of days; a number followed by s, m, h, d or w
    ("45s", "90m", "36h", "30d", "2w") is seconds, minutes, hours, days or weeks.
    Anything else (negative, empty, "3x", "d", "1.5.2", booleans) raises ValueError naming option.
    """
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise OptionError(f"{option}: {value!r} is not a duration; use {DURATION_FORMS}")
    if isinstance(value, str):
        match = _DURATION_RE.fullmatch(value.strip())
        if match is None:
            raise OptionError(f"{option}: {value!r} is not a duration; use {DURATION_FORMS}")
        amount, unit = float(match.group(1)), match.group(2) or "d"
    else:
        try:
            amount, unit = float(value), "d"
        except OverflowError:
            raise OptionError(f"{option}: {value!r} is too long a duration") from None
        if not math.isfinite(amount) or amount < 0:
            raise OptionError(f"{option}: {value!r} is not a duration; use a non-negative {DURATION_FORMS}")
    try:
        return timedelta(seconds=amount * _UNIT_SECONDS[unit])
    except OverflowError:
        raise OptionError(f"{option}: {value!r} is too long a duration") from None


def parse_since(value: str | int | float, now: datetime, option: str = "deleted_after") -> datetime:
    """Parse a point in time: an ISO 8601 timestamp, or a duration (see parse_duration) meaning now - duration.

    The result is an aware UTC datetime; a naive timestamp (or a naive now) is taken as UTC.
    """
    try:
        duration = parse_duration(value, option)
    except ValueError:
        duration = None
    if duration is not None:
        try:
            return _utc(now) - duration
        except OverflowError:
            raise OptionError(f"{option}: {value!r} reaches before year 1") from None
    try:
        return parse_timestamp(value, option)  # type: ignore[arg-type]
    except ValueError:
        raise OptionError(
            f"{option}: {value!r} is neither an ISO 8601 timestamp (like 2024-05-01T12:00:00Z) nor a duration ({DURATION_FORMS})"
        ) from None


@dataclass(frozen=True)
class SemVer:
    """A parsed SemVer 2.0 version; prerelease and build are the dot-separated identifiers."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...]
    build: tuple[str, ...]

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)


def parse_semver(text: str) -> SemVer | None:
    """Parse SemVer 2.0 with an optional leading 'v' ("v1.2.0-rc.1+build.5"); None when text is not SemVer."""
    match = _SEMVER_RE.fullmatch(text)
    if match is None:
        return None
    major, minor, patch, prerelease, build = match.groups()
    return SemVer(
        int(major), int(minor), int(patch),
        tuple(prerelease.split(".")) if prerelease else (),
        tuple(build.split(".")) if build else (),
    )


def is_prerelease(name: str) -> bool:
    """True when name is a SemVer pre-release (1.2.0-rc.1, 1.0.0-SNAPSHOT); False for releases and non-SemVer names."""
    parsed = parse_semver(name)
    return parsed is not None and parsed.is_prerelease


def is_nuget_prerelease(name: str) -> bool:
    """True when name is a NuGet version with a pre-release label: SemVer, or four numbers (1.2.3.4-beta); build metadata is not one."""
    match = _NUGET_RE.fullmatch(name)
    return match is not None and match.group(5) is not None


def is_maven_prerelease(name: str) -> bool:
    """True for a Maven snapshot (ends in SNAPSHOT, 1.0-sp1-SNAPSHOT) or a version whose first qualifier after a number is one
    Maven ranks below the release: alpha, beta, milestone, rc, cr or snapshot, with or without a number (1.0-beta-2, 1.2.0-RC1),
    and a1, b1, m1 (1.0.0-M1). Final, GA, RELEASE, sp and unknown qualifiers (31.1-jre) are releases. Case does not matter, as
    for Maven."""
    text = name.lower()
    if text.endswith("snapshot"):
        return True
    match = _MAVEN_QUALIFIER_RE.search(text)
    if match is None:
        return False
    qualifier = match.group(1)
    return qualifier in _MAVEN_PRE_QUALIFIERS or (qualifier in _MAVEN_PRE_LETTERS and match.group(2) is not None)


def is_rubygems_prerelease(name: str) -> bool:
    """True when name has a letter, as RubyGems' Gem::Version#prerelease? says (1.0.0.pre, 1.1.0.beta1, 2.0.0.rc2)."""
    return _LETTER_RE.search(name) is not None


# The pre-release rule of each package type judged on its version names.
_NAME_PRERELEASE = {"npm": is_prerelease, "nuget": is_nuget_prerelease, "maven": is_maven_prerelease, "rubygems": is_rubygems_prerelease}


REGEX_PREFIX = "re:"


def validate_globs(patterns: Any, option: str) -> None:
    """Check a list of patterns: shell-style globs (fnmatchcase syntax), or regular expressions written re:PATTERN;
    ValueError (OptionError for a regular expression) naming option on anything unusable.

    Rejected: a non-list, a non-string, empty or blank entry, a '[' that no ']' closes (fnmatch would
    silently take it literally; '[[]' is the way to match a literal '['), and a regular expression that does not compile
    (the error names the pattern and Python's reason).
    """
    if isinstance(patterns, (str, bytes)) or not isinstance(patterns, (list, tuple)):
        raise OptionError(f"{option}: expected a list of patterns, got {patterns!r}")
    for pattern in patterns:
        if not isinstance(pattern, str):
            raise OptionError(f"{option}: {pattern!r} is not a string")
        if not pattern:
            raise OptionError(f"{option}: an empty pattern matches nothing; remove it")
        if not pattern.strip():
            raise OptionError(f"{option}: {pattern!r} is blank; remove it, or give a name or a glob")
        if pattern.startswith(REGEX_PREFIX):
            _compile_regex(pattern, option)
        elif _unclosed_bracket(pattern):
            raise OptionError(f"{option}: {pattern!r} has a '[' that no ']' closes; write '[[]' to match a literal '['")


@functools.lru_cache(maxsize=256)
def _compile_regex(pattern: str, option: str) -> re.Pattern[str]:
    """The compiled regular expression of a re:PATTERN entry, matched against the whole text (fullmatch)."""
    body = pattern[len(REGEX_PREFIX):]
    if not body.strip():
        raise OptionError(f"{option}: {pattern!r} has no regular expression after {REGEX_PREFIX!r}; write re:PATTERN, like 're:v[0-9]+'")
    try:
        return re.compile(body)
    except re.error as error:
        raise OptionError(f"{option}: {pattern!r} is not a valid regular expression: {error}; fix it, or write a glob without "
                          f"the {REGEX_PREFIX!r} prefix") from None


def _unclosed_bracket(pattern: str) -> bool:
    """Mirror fnmatch.translate's bracket scanning: '[', optional '!', optional leading ']', then a closing ']'."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if pattern[j:j + 1] == "!":
                j += 1
            if pattern[j:j + 1] == "]":
                j += 1
            close = pattern.find("]", j)
            if close < 0:
                return True
            i = close
        i += 1
    return False


def pattern_matcher(patterns: Iterable[str], option: str = "patterns") -> Callable[[str], Any]:
    """A function whose result is truthy when its argument matches any of patterns: globs with fnmatchcase semantics, re:PATTERN
    entries as regular expressions that must match the whole text. The patterns are validated first (see validate_globs)."""
    patterns = tuple(patterns)
    validate_globs(patterns, option)
    globs = [p for p in patterns if not p.startswith(REGEX_PREFIX)]
    regexes = [_compile_regex(p, option).fullmatch for p in patterns if p.startswith(REGEX_PREFIX)]
    glob = re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in globs)).match if globs else None
    if not regexes:
        return glob if glob is not None else (lambda text: None)  # plan calls it for 100,000 versions: no extra frame
    # Each regular expression on its own: joined, their group numbers (and so their backreferences) would shift.
    return lambda text: (glob is not None and glob(text)) or any(match(text) for match in regexes)


def first_matcher(patterns: Iterable[str], option: str) -> Callable[[Iterable[str]], str | None]:
    """A function giving the first of patterns (in their order) that matches one of its texts, or None."""
    each = [(pattern, pattern_matcher((pattern,), option)) for pattern in patterns]
    return lambda texts: next((pattern for pattern, matches in each if any(map(matches, texts))), None)


@dataclass(frozen=True, slots=True)
class Version:
    """One package version, as the selection rules see it.

    All datetimes are aware UTC. tags is empty for package types that have no tags
    (npm, maven, rubygems, nuget). package_type is one of PACKAGE_TYPES.
    Slots, and one object for equal timestamps: a listing may hold 100,000 versions.
    """

    id: int
    name: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None
    package_type: str

    def __post_init__(self) -> None:
        if self.package_type not in PACKAGE_TYPES:
            raise ValueError(f"package_type: {self.package_type!r} is not one of {', '.join(PACKAGE_TYPES)}")
        object.__setattr__(self, "tags", tuple(self.tags))
        object.__setattr__(self, "created_at", _utc(self.created_at))
        object.__setattr__(self, "updated_at", _utc(self.updated_at))
        if self.deleted_at is not None:
            object.__setattr__(self, "deleted_at", _utc(self.deleted_at))

    @classmethod
    def from_api(cls, data: Mapping[str, Any], package_type: str) -> Version:
        """Build a Version from one item of GitHub's version listing (GET .../packages/{type}/{name}/versions).

        Tags come from metadata.container.tags (container) or metadata.docker.tag (docker).
        """
        if not isinstance(data, Mapping):
            raise UnexpectedAnswer(f"package version: expected a JSON object, got {type(data).__name__}")
        where = f"package version {data.get('id', '(without id)')!r}"
        for key in ("id", "name", "created_at", "updated_at"):
            if data.get(key) is None:
                raise UnexpectedAnswer(f"{where}: the API answer lacks {key!r}")
        if isinstance(data["id"], bool) or not isinstance(data["id"], int):
            raise UnexpectedAnswer(f"{where}: id is not an integer")
        if not isinstance(data["name"], str):
            raise UnexpectedAnswer(f"{where}: name is not a string")
        metadata = data.get("metadata") or {}
        if package_type == "container":
            tags = (metadata.get("container") or {}).get("tags") or []
        elif package_type == "docker":
            tags = (metadata.get("docker") or {}).get("tag") or []
        else:
            tags = []
        if isinstance(tags, str):
            tags = [tags]
        if not all(isinstance(tag, str) for tag in tags):
            raise UnexpectedAnswer(f"{where}: tags are not all strings: {tags!r}")
        deleted_at = data.get("deleted_at")
        created_at = parse_timestamp(data["created_at"], f"{where}: created_at")
        updated_at = parse_timestamp(data["updated_at"], f"{where}: updated_at")
        return cls(
            id=data["id"],
            name=data["name"],
            tags=tuple(tags),
            created_at=created_at,
            updated_at=created_at if updated_at == created_at else updated_at,
            deleted_at=None if deleted_at is None else parse_timestamp(deleted_at, f"{where}: deleted_at"),
            package_type=package_type,
        )

    def as_dict(self) -> dict[str, Any]:
        """id, name, tags (list), created_at, updated_at, deleted_at (None or a timestamp like 2024-05-01T12:00:00Z)."""
        created_at = format_timestamp(self.created_at)
        return {
            "id": self.id,
            "name": self.name,
            "tags": list(self.tags),
            "created_at": created_at,
            "updated_at": created_at if self.updated_at == self.created_at else format_timestamp(self.updated_at),
            "deleted_at": None if self.deleted_at is None else format_timestamp(self.deleted_at),
        }


def is_prerelease_version(version: Version) -> bool:
    """The `prerelease` rule.

    container and docker: judged on the tags; a pre-release has at least one SemVer tag and all its
    SemVer tags are pre-releases (other tags such as latest or pr-12 are ignored).
    Other types: judged on the name, by the type's own rule: npm is_prerelease (SemVer), nuget
    is_nuget_prerelease, maven is_maven_prerelease, rubygems is_rubygems_prerelease.
    """
    if version.package_type in TAGGED_PACKAGE_TYPES:
        kinds = [kind for kind in map(_semver_kind, version.tags) if kind is not None]
        return bool(kinds) and all(kinds)
    return _NAME_PRERELEASE[version.package_type](version.name)


@functools.lru_cache(maxsize=4096)
def _semver_kind(tag: str) -> bool | None:
    """None when tag is not SemVer, else whether it is a pre-release; cached as tags like 'latest' repeat a lot."""
    parsed = parse_semver(tag)
    return None if parsed is None else parsed.is_prerelease


def _dotted_key(text: str) -> tuple[str, ...]:
    """A Maven or RubyGems version compared as those tools do for equality: case ignored, trailing zero numbers dropped
    (1.0 is 1.0.0 is 1)."""
    parts = re.split(r"[.-]", text.lower())
    while len(parts) > 1 and parts[-1].isdigit() and int(parts[-1]) == 0:
        parts.pop()
    return tuple(str(int(p)) if p.isdigit() else p for p in parts)


def release_of(package_type: str, name: str) -> tuple[bool, Any]:
    """(is_prerelease, key): key identifies the final release a pre-release leads to, and a release itself, so that a
    pre-release is superseded when some release has the same key. key is None when name is not a version of the type.

    npm, container and docker: SemVer's major.minor.patch (a leading v and build metadata ignored: v1.2.4-rc.1 leads to 1.2.4).
    nuget: the four numbers, the fourth 0 when absent (1.2.3 is 1.2.3.0). maven: the text before the pre-release qualifier
    (1.2.0-RC1 leads to 1.2.0), or before SNAPSHOT (1.0-sp1-SNAPSHOT leads to 1.0-sp1). rubygems: the segments before the
    first one with a letter (1.1.0.beta1 leads to 1.1.0), as Gem::Version#release.
    """
    if package_type in ("npm",) + TAGGED_PACKAGE_TYPES:
        semver = parse_semver(name)
        return (False, None) if semver is None else (semver.is_prerelease, (semver.major, semver.minor, semver.patch))
    if package_type == "nuget":
        match = _NUGET_RE.fullmatch(name)
        if match is None:
            return False, None
        return match.group(5) is not None, tuple(int(n or 0) for n in match.group(1, 2, 3, 4))
    if package_type == "maven":
        if not is_maven_prerelease(name):
            return False, _dotted_key(name)
        text = name.lower()
        if text.endswith("snapshot"):
            return True, _dotted_key(name[:-len("snapshot")].rstrip(".-"))
        match = _MAVEN_QUALIFIER_RE.search(text)
        return True, _dotted_key(name[:match.start(1)].rstrip(".-")) if match else None
    letter = _LETTER_RE.search(name)
    if letter is None:
        return False, _dotted_key(name)
    return True, _dotted_key(name[:letter.start()].rstrip(".-")) if letter.start() else None


def superseded_versions(versions: Iterable[Version]) -> dict[int, str]:
    """The pre-releases whose final release is among versions: id -> "superseded by <release>" (the release's name, or for
    container and docker its tag). A tagged version qualifies when it is a pre-release (see is_prerelease_version) and the
    final release of every one of its SemVer tags is tagged. Versions are of one package type."""
    versions = list(versions)
    finals: dict[Any, str] = {}
    pending: list[tuple[Version, list[Any]]] = []
    for version in sorted(versions, key=lambda v: (v.created_at, v.id)):  # the oldest release names its key: deterministic
        texts = version.tags if version.package_type in TAGGED_PACKAGE_TYPES else (version.name,)
        kinds = [(text, *release_of(version.package_type, text)) for text in texts]
        kinds = [(text, pre, key) for text, pre, key in kinds if key is not None]
        for text, pre, key in kinds:
            if not pre:
                finals.setdefault(key, text)
        if kinds and all(pre for dummy, pre, dummy_key in kinds):
            pending.append((version, [key for dummy, dummy_pre, key in kinds]))
    found = {}
    for version, keys in pending:
        if all(key in finals for key in keys):
            found[version.id] = "superseded by " + ", ".join(dict.fromkeys(finals[key] for key in keys))
    return found


def _optional_bool(value: Any, option: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise OptionError(f"{option}: expected true, false or null, got {value!r}")
    return value


def _optional_int(value: Any, option: str, minimum: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise OptionError(f"{option}: expected an integer, got {value!r}")
    if value < minimum:
        raise OptionError(f"{option}: must be at least {minimum}, got {value}")
    return value


_DIGEST_RE = re.compile(r"(?:[^@\s]*@)?(sha256:[0-9a-f]{64})")


def parse_digests(values: Any, option: str) -> tuple[str, ...]:
    """The digests of a list of sha256:<64 hex> digests or image references ending in @sha256:<64 hex>
    (ghcr.io/org/app@sha256:..., as a pod's status.containerStatuses[].imageID); OptionError naming option otherwise."""
    if values is None:
        return ()
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise OptionError(f"{option}: expected a list of image digests (sha256:...), got {values!r}")
    digests = []
    for value in values:
        match = _DIGEST_RE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            raise OptionError(f"{option}: {value!r} is not an image digest; give sha256: and 64 lowercase hex digits, or an image "
                              "reference ending in @sha256:... (a pod's imageID)")
        digests.append(match.group(1))
    return tuple(dict.fromkeys(digests))


@dataclass(frozen=True)
class KeepRule:
    """One keep rule of keep_rules: the versions it applies to, and which of them it keeps.

    Filters (None = not given; all given must hold): tags (globs or re: patterns; at least one tag matches one),
    untagged (True: no tag; False: some tag), versions (globs or re: patterns on the name). Limits, at most one:
    keep_latest (the N newest it applies to, by created_at then id) or younger_than (a duration; the age_from timestamp is
    at or after now - younger_than); with neither it keeps all it applies to. name labels the rule in reasons.
    """

    name: str
    tags: tuple[str, ...] | None = None
    untagged: bool | None = None
    versions: tuple[str, ...] | None = None
    keep_latest: int | None = None
    younger_than: str | None = None

    def describe(self) -> str:
        """What the rule keeps, for the reason of a kept version: '10 newest v*', 'untagged younger than 7d'."""
        what = []
        if self.versions is not None:
            what.append(" or ".join(self.versions))
        if self.tags is not None:
            what.append(" or ".join(self.tags))
        if self.untagged is not None:
            what.append("untagged" if self.untagged else "tagged")
        text = " ".join(what) or "versions"
        if self.keep_latest is not None:
            return f"{self.keep_latest} newest {text}"
        if self.younger_than is not None:
            return f"{text} younger than {self.younger_than}"
        return f"every {text}"


_RULE_FIELDS = ("name", "tags", "untagged", "versions", "keep_latest", "younger_than")


def keep_rules(values: Any, option: str) -> tuple[KeepRule, ...]:
    """Validate keep_rules (a list of dicts or KeepRule); OptionError naming the entry (keep_rules[2].tags) and the fix."""
    if values is None:
        return ()
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, (list, tuple)):
        raise OptionError(f"{option}: expected a list of rules (dicts with tags, untagged or versions, and keep_latest or "
                          f"younger_than), got {values!r}")
    rules = []
    names: dict[str, int] = {}
    for index, value in enumerate(values):
        where = f"{option}[{index}]"
        if isinstance(value, KeepRule):
            value = {name: getattr(value, name) for name in _RULE_FIELDS}
        if not isinstance(value, Mapping):
            raise OptionError(f"{where}: expected a dict, got {value!r}")
        unknown = sorted(set(value) - set(_RULE_FIELDS))
        if unknown:
            raise OptionError(f"{where}: unknown key(s) {', '.join(unknown)}; a rule has {', '.join(_RULE_FIELDS)}")
        name = value.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise OptionError(f"{where}.name: expected a non-blank string, got {name!r}")
        name = name or where
        if name in names:
            raise OptionError(f"{where}.name: {name!r} is also the name of {option}[{names[name]}]; give each rule its own name")
        names[name] = index
        try:
            for key in ("tags", "versions"):
                if value.get(key) is not None:
                    validate_globs(value[key], f"{where}.{key}")
            untagged = _optional_bool(value.get("untagged"), f"{where}.untagged")
            latest = _optional_int(value.get("keep_latest"), f"{where}.keep_latest", 1)
            younger = value.get("younger_than")
            if younger is not None:
                younger = str(younger) if isinstance(younger, (int, float)) and not isinstance(younger, bool) else younger
                parse_duration(younger, f"{where}.younger_than")
        except ValueError as error:
            raise OptionError(str(error)) from None
        if latest is not None and younger is not None:
            raise OptionError(f"{where}: give keep_latest or younger_than, not both; write two rules to keep by count and by age")
        if all(value.get(key) is None for key in ("tags", "untagged", "versions", "keep_latest", "younger_than")):
            raise OptionError(f"{where}: keeps every version; give it tags, untagged or versions, and keep_latest or younger_than")
        if value.get("tags") is not None and untagged:
            raise OptionError(f"{where}: tags and untagged: true exclude each other (an untagged version has no tag to match); "
                              "write two rules")
        rules.append(KeepRule(
            name=name,
            tags=None if value.get("tags") is None else tuple(value["tags"]),
            untagged=untagged,
            versions=None if value.get("versions") is None else tuple(value["versions"]),
            keep_latest=latest,
            younger_than=younger,
        ))
    return tuple(rules)


@dataclass(frozen=True)
class Policy:
    """The selectors and protections of package_version (see plan for how they combine).

    Selectors (None = not given; all given selectors must hold):
      version_ids  list of ints; the version's id is in the list.
      versions     list of fnmatchcase globs; the name (a container's is its digest sha256:...) matches one.
      tags         list of globs; every one of the version's tags matches one (tag space: a version that also carries a
                   tag the globs do not match is not selected, see plan); an untagged version never matches.
      untagged     True: only versions without tags; False: only versions with at least one tag.
      older_than   timedelta, or a duration for parse_duration; the age_from timestamp strictly before now - older_than.
      prerelease   True: only pre-releases; False: only non-pre-releases (see is_prerelease_version).
      superseded   True: only pre-releases whose final release is in the same listing; False: only the others
                   (see superseded_versions).
    A given but empty list (version_ids, versions, tags) is a selector that matches nothing, so a
    templated list that turns out empty never widens what is selected.

    age_from is the timestamp older_than measures: "updated_at" (the default; ghcr.io moves it when a tag is added or
    moved) or "created_at" (when the version was pushed); None means the default.

    Protections:
      exclude       list of globs matched against the name and every tag; a match is kept.
      keep_latest   int >= 0 (None = 0).
      max_versions  int >= 1, or None for no limit.
      keep_digests  image digests (sha256:...), or image references ending in @sha256:... (a pod's imageID): the
                    version with that name is kept as deployed. Only container and docker versions are named by digest.
      keep_rules    KeepRule entries (or dicts of their fields): a version that any of them keeps is kept.

    Constructing a Policy validates and normalizes every field (lists become tuples, a duration
    string becomes a timedelta); a bad value raises ValueError naming the option.
    """

    version_ids: tuple[int, ...] | None = None
    versions: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    untagged: bool | None = None
    older_than: timedelta | None = None
    prerelease: bool | None = None
    exclude: tuple[str, ...] = ()
    keep_latest: int = 0
    max_versions: int | None = None
    age_from: str | None = "updated_at"
    superseded: bool | None = None
    keep_digests: tuple[str, ...] = ()
    keep_rules: tuple[KeepRule, ...] = ()

    def __post_init__(self) -> None:
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        given_ids: object = self.version_ids  # what the caller passed, not yet the declared type
        if given_ids is not None:
            if isinstance(given_ids, (str, bytes)) or not isinstance(given_ids, (list, tuple)):
                raise OptionError(f"version_ids: expected a list of integers, got {given_ids!r}")
            for version_id in given_ids:
                if isinstance(version_id, bool) or not isinstance(version_id, int):
                    raise OptionError(f"version_ids: {version_id!r} is not an integer")
                if version_id <= 0:
                    raise OptionError(f"version_ids: {version_id} is not a version id (a positive integer)")
            put("version_ids", tuple(given_ids))
        for name in ("versions", "tags", "exclude"):
            value = getattr(self, name)
            if name == "exclude" and value is None:
                value = ()
            if value is not None:
                validate_globs(value, name)
                put(name, tuple(value))
        put("untagged", _optional_bool(self.untagged, "untagged"))
        put("prerelease", _optional_bool(self.prerelease, "prerelease"))
        given_age: timedelta | str | int | float | None = self.older_than  # a caller may pass a duration string
        if given_age is not None and not isinstance(given_age, timedelta):
            put("older_than", parse_duration(given_age, "older_than"))
        if self.older_than is not None and self.older_than < timedelta(0):
            raise OptionError(f"older_than: must not be negative, got {self.older_than}")
        if self.age_from is None:
            put("age_from", "updated_at")
        if self.age_from not in AGE_FROM:
            raise OptionError(f"age_from: {self.age_from!r} is not one of {', '.join(AGE_FROM)}")
        put("keep_latest", _optional_int(self.keep_latest, "keep_latest", 0) or 0)
        put("max_versions", _optional_int(self.max_versions, "max_versions", 1))
        put("superseded", _optional_bool(self.superseded, "superseded"))
        put("keep_digests", parse_digests(self.keep_digests, "keep_digests"))
        put("keep_rules", keep_rules(self.keep_rules, "keep_rules"))

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Policy:
        """Build a Policy from module parameters; keys that are not Policy fields are ignored."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in params.items() if key in names})


# The policy options that select versions; exclude, keep_latest, keep_rules, keep_digests and max_versions only protect.
SELECTORS = ("version_ids", "versions", "tags", "untagged", "older_than", "prerelease", "superseded")


def has_selector(policy: Policy) -> bool:
    """True when any selector was given (versions: ['*'] counts)."""
    return any(getattr(policy, name) is not None for name in SELECTORS)


def tag_selectors(policy: Policy) -> list[str]:
    """The selectors given that read tags (tags, untagged): package types without tags cannot honour them."""
    used = [name for name in ("tags", "untagged") if getattr(policy, name) is not None]
    return used + [f"keep_rules[{index}].{name}" for index, rule in enumerate(policy.keep_rules)
                   for name in ("tags", "untagged") if getattr(rule, name) is not None]


def selector(policy: Policy, now: datetime, any_tag: bool = False, superseded: Mapping[int, str] | None = None) -> Callable[[Version], bool]:
    """A predicate telling whether a version satisfies every selector of policy at time now.

    superseded (superseded_versions of the whole listing) is needed when policy.superseded is given.

    tags needs every tag of the version to match (any_tag=False), or at least one (any_tag=True: what plan uses to find
    the versions that another tag keeps, and what a restore by tag means).
    """
    ids = None if policy.version_ids is None else frozenset(policy.version_ids)
    name_matches = None if policy.versions is None else pattern_matcher(policy.versions, "versions")
    tag_matches = None if policy.tags is None else pattern_matcher(policy.tags, "tags")
    untagged = policy.untagged
    prerelease = policy.prerelease
    wanted_superseded = policy.superseded
    if wanted_superseded is not None and superseded is None:
        raise TypeError("selector: policy.superseded needs the superseded versions of the listing")
    created = policy.age_from == "created_at"
    cutoff = None
    if policy.older_than is not None:
        try:
            cutoff = _utc(now) - policy.older_than
        except OverflowError:
            cutoff = datetime.min.replace(tzinfo=timezone.utc)  # nothing is older than year 1

    # Straight-line tests rather than a list of small predicates: plan must handle 100,000 versions fast.
    def selects(version: Version) -> bool:
        if ids is not None and version.id not in ids:
            return False
        if name_matches is not None and not name_matches(version.name):
            return False
        if tag_matches is not None and not (any if any_tag else _all_tags)(map(tag_matches, version.tags)):
            return False
        if untagged is not None and untagged == bool(version.tags):
            return False
        if cutoff is not None and not (version.created_at if created else version.updated_at) < cutoff:
            return False
        if wanted_superseded is not None and (version.id in superseded) != wanted_superseded:  # type: ignore[operator]
            return False
        return prerelease is None or is_prerelease_version(version) == prerelease

    return selects


def _all_tags(matches: Iterable[Any]) -> bool:
    """all(), except that a version without tags has no tag that tags selects."""
    found = False
    for match in matches:
        if not match:
            return False
        found = True
    return found


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one selected version: action is ACT ("act"), KEEP ("keep") or SKIP ("skip").

    reason is a sentence for KEEP and SKIP; for ACT it says why a selector chose the version when the selector has
    something to say ("superseded by 1.2.4"), else None.
    """

    version: Version
    action: str
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Version.as_dict() plus action and reason."""
        result = self.version.as_dict()
        result["action"] = self.action
        result["reason"] = self.reason
        return result


def plan(
    versions: Iterable[Version],
    policy: Policy,
    now: datetime,
    protected: Mapping[int, str] | None = None,
) -> list[Decision]:
    """Decide, for every version that satisfies all selectors of policy, whether to act on it.

    The result holds one Decision per selected version, sorted oldest first by (created_at, id);
    versions that do not satisfy the selectors are left out. Rules, first match wins:

    1. keep, "deployed (keep_digests)": the name (a digest) is one of policy.keep_digests.
    2. keep, "excluded by pattern '<glob>'": the name or a tag matches a pattern of policy.exclude
       (the first such pattern in list order is named).
    3. keep, "among the N newest matching versions (keep_latest)": one of the keep_latest newest
       selected versions (created_at, then id, descending). Excluded and protected versions count
       in this ranking too: they satisfy the selectors, so keep_latest=3 with an excluded newest
       version keeps that one plus two more.
    4. keep, "rule NAME (WHAT)": the first rule of policy.keep_rules that keeps the version (see keep_rule_reasons).
    5. keep, protected[id]: the caller's own reason, e.g. "referenced by kept index sha256:...".
    6. skip, "beyond max_versions=N; run again to continue": the remaining versions past the
       oldest max_versions.
    7. act, with the reason of the superseded selector ("superseded by 1.2.4") when it is given, else None.

    With policy.tags, a version that satisfies every other selector and has some tags that tags matches and some that
    it does not is not selected, but it is listed too: keep, "tag '<tag>' is not selected by tags (...)", naming its
    first such tag, so that a release that was also a PR build says why it stays. It does not count for keep_latest.

    protected is how callers add keep decisions (multi-arch graphs, GitHub's last-version rule).
    Pass them here rather than editing the result, so max_versions counts only versions really
    acted on: plan once, work out what must be protected, then plan again with protected.
    ids in protected that are not selected are ignored.

    Duplicate ids (a listing that shifted while being paged) are collapsed when identical;
    different versions sharing an id raise ValueError (the listing changed: read it again).
    """
    protected = dict(protected or {})
    for version_id, why in protected.items():
        if not isinstance(why, str) or not why:
            raise ValueError(f"protected: the reason for version {version_id!r} must be a non-empty string")
    by_id: dict[int, Version] = {}
    for version in versions:
        seen = by_id.setdefault(version.id, version)
        if seen is not version and seen != version:
            raise UnexpectedAnswer(f"package version {version.id}: the listing holds two different versions with this id; it changed while "
                                   "being read, run again")
    superseded = None if policy.superseded is None else superseded_versions(by_id.values())
    selects = selector(policy, now, superseded=superseded)
    selected = sorted((v for v in by_id.values() if selects(v)), key=lambda v: (v.created_at, v.id))
    kept_by_tag = _kept_by_tag(by_id.values(), policy, now, selects, superseded)
    by_rule = keep_rule_reasons(by_id.values(), policy, now)
    del by_id  # a listing may hold 100,000 versions: free the index before the decisions are made

    newest = frozenset(v.id for v in selected[max(0, len(selected) - policy.keep_latest):]) if policy.keep_latest else frozenset()
    keep_latest_reason = f"among the {policy.keep_latest} newest matching versions (keep_latest)"
    skip_reason = f"beyond max_versions={policy.max_versions}; run again to continue"
    deployed = frozenset(policy.keep_digests)
    excluded = pattern_matcher(policy.exclude, "exclude")
    exclusion = first_matcher(policy.exclude, "exclude")
    act_reasons = superseded if policy.superseded else {}

    decisions = []
    acted = 0
    for version in selected:
        reason = None
        if version.name in deployed:
            reason = DEPLOYED
        elif policy.exclude and (excluded(version.name) or any(map(excluded, version.tags))):
            reason = f"excluded by pattern '{exclusion((version.name,) + version.tags)}'"
        if reason is None and version.id in newest:
            reason = keep_latest_reason
        if reason is None:
            reason = by_rule.get(version.id) or protected.get(version.id)
        if reason is not None:
            decisions.append(Decision(version, KEEP, reason))
        elif policy.max_versions is not None and acted >= policy.max_versions:
            decisions.append(Decision(version, SKIP, skip_reason))
        else:
            decisions.append(Decision(version, ACT, act_reasons.get(version.id)))  # type: ignore[union-attr]
            acted += 1
    if kept_by_tag:
        decisions = sorted(decisions + kept_by_tag, key=lambda d: (d.version.created_at, d.version.id))
    return decisions


def keep_rule_reasons(versions: Iterable[Version], policy: Policy, now: datetime) -> dict[int, str]:
    """The versions that policy.keep_rules keep: id -> "rule NAME (WHAT)", naming the first rule (in list order) that keeps it.

    As in Harbor's tag retention, a rule applies to every version of the listing that its filters match, selected or not:
    keep_latest: 10 with tags: [v*] keeps the 10 newest v* versions of the package, even when the selectors picked only
    some of them. Rules are independent: a version is kept when any rule keeps it.
    """
    if not policy.keep_rules:
        return {}
    versions = sorted(versions, key=lambda v: (v.created_at, v.id), reverse=True)  # newest first
    created = policy.age_from == "created_at"
    found: dict[int, str] = {}
    for rule in policy.keep_rules:
        tag_matches = None if rule.tags is None else pattern_matcher(rule.tags, "keep_rules.tags")
        name_matches = None if rule.versions is None else pattern_matcher(rule.versions, "keep_rules.versions")
        applies = [v for v in versions
                   if (tag_matches is None or any(map(tag_matches, v.tags)))
                   and (rule.untagged is None or rule.untagged != bool(v.tags))
                   and (name_matches is None or name_matches(v.name))]
        if rule.keep_latest is not None:
            applies = applies[:rule.keep_latest]
        elif rule.younger_than is not None:
            try:
                cutoff = _utc(now) - parse_duration(rule.younger_than, "keep_rules.younger_than")
            except OverflowError:
                cutoff = datetime.min.replace(tzinfo=timezone.utc)
            applies = [v for v in applies if (v.created_at if created else v.updated_at) >= cutoff]
        reason = f"rule {rule.name} ({rule.describe()})"
        for version in applies:
            found.setdefault(version.id, reason)
    return found


def _kept_by_tag(versions: Iterable[Version], policy: Policy, now: datetime, selects: Callable[[Version], bool],
                 superseded: Mapping[int, str] | None) -> list[Decision]:
    """The keep decisions of the versions that policy.tags does not select only because of another of their tags.

    The reason names the first tag that tags does not match, unless exclude also protects the version: the user's own
    exclusion is the clearer reason then.
    """
    if policy.tags is None:
        return []
    some_tag = selector(policy, now, any_tag=True, superseded=superseded)
    matches = pattern_matcher(policy.tags, "tags")
    wanted = ", ".join(policy.tags)
    exclusion = first_matcher(policy.exclude, "exclude")
    decisions = []
    for version in versions:
        if some_tag(version) and not selects(version):
            pattern = exclusion((version.name,) + version.tags)
            reason = (f"excluded by pattern '{pattern}'" if pattern is not None else
                      f"tag '{next(tag for tag in version.tags if not matches(tag))}' is not selected by tags ({wanted}); "
                      "a version is only selected when every one of its tags is")
            decisions.append(Decision(version, KEEP, reason))
    return decisions
