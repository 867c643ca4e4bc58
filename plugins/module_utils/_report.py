# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The cleanup report: what a cleanup deleted, written by the cleanup role and read by package_restore.

The format is documented in docs/cleanup-report.md. No Ansible, no HTTP here.

    report = load_report("/var/lib/cleanup/report.json")      # ValueError naming the field on anything malformed
    report = build_report(api_url=..., owner="acme", owner_type="org", dry_run=False, packages=[...])
    write_report("/var/lib/cleanup/report.json", report)      # atomic, mode 0600

package_cleanup's report_file and summary_file: earlier_report (what report_append adds to), write_report_files (the report
with every package's result, and its Markdown summary).
"""

from __future__ import annotations

import json
import os
import tempfile
import typing as t
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import urlsplit

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES, format_timestamp, parse_timestamp

FORMAT = "ghpkgs.registry.cleanup-report"
FORMAT_VERSION = 1
OWNER_TYPES = ("org", "user", "authenticated")


@dataclass(frozen=True)
class ReportVersion:
    """One deleted version. Timestamps are kept as given (ISO 8601 strings, already validated) or None."""

    id: int
    name: str
    tags: t.Tuple[str, ...] = ()
    created_at: t.Optional[str] = None
    updated_at: t.Optional[str] = None
    deleted_at: t.Optional[str] = None

    def as_dict(self) -> t.Dict[str, t.Any]:
        return {
            "id": self.id,
            "name": self.name,
            "tags": list(self.tags),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "deleted_at": self.deleted_at,
        }


@dataclass(frozen=True)
class ReportPackage:
    """One package the cleanup touched: its deleted versions, and whether the whole package was deleted.

    id is the package's id when known: it tells a restorable package from a new one that took its name.
    """

    package_type: str
    name: str
    package_deleted: bool
    versions: t.Tuple[ReportVersion, ...] = ()
    id: t.Optional[int] = None
    bytes_freed: t.Optional[int] = None  # container packages: the estimate of package_version's bytes_freed
    bytes_unmeasured: t.Optional[int] = None

    def as_dict(self) -> t.Dict[str, t.Any]:
        result: t.Dict[str, t.Any] = {"package_type": self.package_type, "name": self.name}
        if self.id is not None:
            result["id"] = self.id
        result["package_deleted"] = self.package_deleted
        result["versions"] = [version.as_dict() for version in self.versions]
        if self.bytes_freed is not None:
            result.update(bytes_freed=self.bytes_freed, bytes_unmeasured=self.bytes_unmeasured)
        return result


@dataclass(frozen=True)
class Report:
    """A whole cleanup report. owner is None only for owner_type "authenticated" when the login was not recorded."""

    generated_at: str
    api_url: str
    owner: t.Optional[str]
    owner_type: str
    dry_run: bool
    packages: t.Tuple[ReportPackage, ...]

    def as_dict(self) -> t.Dict[str, t.Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "generated_at": self.generated_at,
            "api_url": self.api_url,
            "owner": self.owner,
            "owner_type": self.owner_type,
            "dry_run": self.dry_run,
            "packages": [package.as_dict() for package in self.packages],
        }


def normalize_api_url(api_url: str) -> str:
    """The form in which two API URLs are compared: scheme and host lower-cased, no trailing slash, default port dropped."""
    parts = urlsplit(api_url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = "[%s]" % host
    port = parts.port
    if port is not None and (scheme, port) not in (("https", 443), ("http", 80)):
        host = "%s:%d" % (host, port)
    return "%s://%s%s" % (scheme, host, parts.path.rstrip("/"))


def _fail(where: str, problem: str) -> t.NoReturn:
    raise ValueError("%s: %s" % (where, problem))


def _field(data: t.Mapping[str, t.Any], key: str, where: str, kinds: t.Tuple[type, ...], expected: str, required: bool = True) -> t.Any:
    if key not in data or data[key] is None:
        if required:
            _fail("%s.%s" % (where, key), "is missing; expected %s" % expected)
        return None
    value = data[key]
    # bool is an int in Python; a JSON true is never a valid id or count.
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        _fail("%s.%s" % (where, key), "expected %s, got %s" % (expected, json.dumps(value)))
    return value


def _text(data: t.Mapping[str, t.Any], key: str, where: str, required: bool = True) -> t.Optional[str]:
    value: t.Optional[str] = _field(data, key, where, (str,), "a non-empty string", required)
    if value is not None and not value.strip():
        _fail("%s.%s" % (where, key), "must not be empty")
    return value


def _timestamp(data: t.Mapping[str, t.Any], key: str, where: str, required: bool = False) -> t.Optional[str]:
    value: t.Optional[str] = _field(data, key, where, (str,), "an ISO 8601 timestamp such as 2026-11-22T03:00:00Z", required)
    if value is not None:
        parse_timestamp(value, "%s.%s" % (where, key))
    return value


def _positive_int(data: t.Mapping[str, t.Any], key: str, where: str, required: bool = True) -> t.Optional[int]:
    value: t.Optional[int] = _field(data, key, where, (int,), "a positive integer", required)
    if value is not None and value < 1:
        _fail("%s.%s" % (where, key), "expected a positive integer, got %d" % value)
    return value


def _count(data: t.Mapping[str, t.Any], key: str, where: str) -> t.Optional[int]:
    """An optional non-negative integer."""
    value: t.Optional[int] = _field(data, key, where, (int,), "a non-negative integer", required=False)
    if value is not None and value < 0:
        _fail("%s.%s" % (where, key), "expected a non-negative integer, got %d" % value)
    return value


def _version(data: t.Any, where: str) -> ReportVersion:
    if not isinstance(data, dict):
        _fail(where, "expected an object with id and name")
    tags = data.get("tags")
    if tags is None:
        tags = []
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        _fail(where + ".tags", "expected a list of non-empty strings, got %s" % json.dumps(tags))
    return ReportVersion(
        id=t.cast(int, _positive_int(data, "id", where)),
        name=t.cast(str, _text(data, "name", where)),
        tags=tuple(tags),
        created_at=_timestamp(data, "created_at", where),
        updated_at=_timestamp(data, "updated_at", where),
        deleted_at=_timestamp(data, "deleted_at", where),
    )


def _package(data: t.Any, where: str) -> ReportPackage:
    if not isinstance(data, dict):
        _fail(where, "expected an object with package_type, name, package_deleted and versions")
    package_type = _text(data, "package_type", where)
    if package_type not in PACKAGE_TYPES:
        _fail(where + ".package_type", "%s is not one of %s" % (json.dumps(package_type), ", ".join(PACKAGE_TYPES)))
    name = t.cast(str, _text(data, "name", where))
    package_deleted = _field(data, "package_deleted", where, (bool,), "true or false")
    raw_versions = _field(data, "versions", where, (list,), "a list (empty when no single version was deleted)")
    versions = tuple(_version(item, "%s.versions[%d]" % (where, index)) for index, item in enumerate(raw_versions))
    seen: t.Dict[int, int] = {}
    for index, version in enumerate(versions):
        if version.id in seen:
            _fail("%s.versions[%d]" % (where, index), "version id %d is listed twice (also at versions[%d])" % (version.id, seen[version.id]))
        seen[version.id] = index
    return ReportPackage(
        package_type=package_type,
        name=name,
        package_deleted=package_deleted,
        versions=versions,
        id=_positive_int(data, "id", where, required=False),
        bytes_freed=_count(data, "bytes_freed", where),
        bytes_unmeasured=_count(data, "bytes_unmeasured", where),
    )


def parse_report(data: t.Any, source: str = "report") -> Report:
    """Validate a decoded report; every ValueError names source and the JSON path of the field at fault."""
    if not isinstance(data, dict):
        _fail(source, "expected a JSON object (a ghpkgs.registry cleanup report)")
    if data.get("format") != FORMAT:
        _fail(source + ".format", "expected %s, got %s: this is not a ghpkgs.registry cleanup report" % (json.dumps(FORMAT), json.dumps(data.get("format"))))
    version = data.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        _fail(source + ".format_version", "this collection reads version %d, got %s; use the collection version that wrote it" % (
            FORMAT_VERSION, json.dumps(version)))
    _timestamp(data, "generated_at", source, required=True)
    api_url = t.cast(str, _text(data, "api_url", source))
    if urlsplit(api_url).scheme not in ("http", "https") or not urlsplit(api_url).hostname:
        _fail(source + ".api_url", "%s is not an http(s) URL" % json.dumps(api_url))
    owner_type = _text(data, "owner_type", source)
    if owner_type not in OWNER_TYPES:
        _fail(source + ".owner_type", "expected one of %s, got %s" % (", ".join(OWNER_TYPES), json.dumps(owner_type)))
    owner = _text(data, "owner", source, required=owner_type != "authenticated")
    dry_run = _field(data, "dry_run", source, (bool,), "true or false")
    raw_packages = _field(data, "packages", source, (list,), "a list")
    packages = tuple(_package(item, "%s.packages[%d]" % (source, index)) for index, item in enumerate(raw_packages))
    seen: t.Dict[t.Tuple[str, str], int] = {}
    for index, package in enumerate(packages):
        key = (package.package_type, package.name)
        if key in seen:
            _fail("%s.packages[%d]" % (source, index), "%s package %s is listed twice (also at packages[%d])" % (key[0], json.dumps(key[1]), seen[key]))
        seen[key] = index
    return Report(
        generated_at=data["generated_at"],
        api_url=api_url,
        owner=owner,
        owner_type=owner_type,
        dry_run=dry_run,
        packages=packages,
    )


def load_report(path: str) -> Report:
    """Read and validate the report at path; ValueError (never OSError) names the path and what is wrong."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise ValueError("from_report: cannot read %s: %s" % (path, error.strerror or error)) from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ValueError("from_report: %s is not a cleanup report (not valid JSON: %s); give the OWNER-cleanup-TIME.json file a cleanup "
                         "wrote, not its .md summary" % (path, error)) from None
    return parse_report(data, path)


def build_report(
    api_url: str,
    owner: t.Optional[str],
    owner_type: str,
    dry_run: bool,
    packages: t.Iterable[t.Mapping[str, t.Any]],
    generated_at: t.Optional[datetime] = None,
) -> Report:
    """Build a validated Report; packages are dicts shaped like the report's packages entries.

    generated_at defaults to now (UTC).
    """
    moment = generated_at or datetime.now(timezone.utc)
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "generated_at": format_timestamp(moment.replace(microsecond=0)),
        "api_url": api_url,
        "owner": owner,
        "owner_type": owner_type,
        "dry_run": dry_run,
        "packages": [dict(package) for package in packages],
    }
    return parse_report(data)


def write_report(path: str, report: t.Union[Report, t.Mapping[str, t.Any]]) -> None:
    """Write report as JSON to path atomically, mode 0600 (see write_private_file).

    A dict is validated first, so a malformed report is never written.
    """
    if not isinstance(report, Report):
        report = parse_report(dict(report))
    write_private_file(path, json.dumps(report.as_dict(), indent=2, sort_keys=False) + "\n")


def write_private_file(path: str, text: str) -> None:
    """Write text to path atomically (a temporary file in the same directory, fsync, rename), mode 0600.

    A missing directory is created with mode 0700: reports name private packages.
    """
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


# The outcomes of versions gone after a run: a later run over the same package no longer lists them (a dry run lists all again).
DONE_OUTCOMES = ("deleted", "already_absent")


def merge_package(earlier: t.Mapping[str, t.Any], later: t.Mapping[str, t.Any]) -> t.Dict[str, t.Any]:
    """One package's entry after two runs over it (the batches of a package too big for one): a report packages entry, a
    report results entry, or a package_cleanup result. Versions are joined by id, the later run's outcome winning (a version
    skipped "beyond max_versions" by one run is deleted by the next). Counts are the later run's (what is left of the package
    then) plus what the earlier run did: they hold even when return_versions left the versions out of the results."""
    merged: t.Dict[str, t.Any] = {**earlier, **later}
    if "versions" in earlier or "versions" in later:
        by_id = {version["id"]: version for version in earlier.get("versions") or []}
        by_id.update((version["id"], version) for version in later.get("versions") or [])
        merged["versions"] = list(by_id.values())
    merged["package_deleted"] = bool(earlier.get("package_deleted")) or bool(later.get("package_deleted"))
    for key in ("bytes_freed", "bytes_unmeasured"):
        if earlier.get(key) is not None and later.get(key) is not None:
            merged[key] = earlier[key] + later[key]
    for key in ("changed", "failed"):
        if key in later:
            merged[key] = bool(earlier.get(key)) or bool(later[key])
    for key in ("deleted_version_ids", "refused_version_ids"):
        if key in later:
            merged[key] = sorted(set(earlier.get(key) or []) | set(later[key]))
    if "counts" in later:
        counts = dict(later["counts"])
        done = {key: (earlier.get("counts") or {}).get(key, 0) for key in DONE_OUTCOMES if key in counts}
        for key, count in done.items():
            counts[key] += count
        counts["matched"] += sum(done.values())
        merged["counts"] = counts
        merged["msg"] = later["msg"] if later.get("failed") or not earlier.get("failed") else earlier["msg"]
        if not merged.get("failed"):
            dry = counts.get("would_delete", 0) > 0 or str(later.get("msg", "")).startswith("would")
            merged["msg"] = (f"{'would delete' if dry else 'deleted'} {counts['would_delete' if dry else 'deleted']} of {counts['matched']} "
                             f"matching versions in several runs; kept {counts['kept']}; skipped {counts['skipped']}"
                             + (f"; {counts['already_absent']} already absent" if counts.get("already_absent") else "")
                             + (f"; the whole package {'would be' if dry else 'was'} deleted" if merged["package_deleted"] else ""))
    return merged


def merge_packages(earlier: t.Iterable[t.Mapping[str, t.Any]], later: t.Iterable[t.Mapping[str, t.Any]]) -> t.List[t.Dict[str, t.Any]]:
    """earlier's entries followed by later's, an entry of a package in both merged into its place in earlier (merge_package)."""
    merged: t.Dict[t.Tuple[str, str], t.Dict[str, t.Any]] = {(p["package_type"], p["name"]): dict(p) for p in earlier}
    for package in later:
        key = (package["package_type"], package["name"])
        merged[key] = merge_package(merged[key], package) if key in merged else dict(package)
    return list(merged.values())


REPORT_VERSION_KEYS = ("id", "name", "tags", "created_at", "updated_at", "deleted_at")
SUMMARY_VERSION_KEYS = ("outcome", "id", "name", "tags", "created_at", "reason")
SUMMARY_PACKAGE_KEYS = ("package_type", "name", "failed", "msg", "package_deleted", "counts", "bytes_freed", "bytes_unmeasured")


def earlier_report(params: dict[str, t.Any], dry_run: bool) -> t.Optional[dict[str, t.Any]]:
    """The report that report_append adds to (None: start a new one), checked before any request; OptionError on a mismatch."""
    path = params["report_file"]
    if params["report_append"] and not path:
        raise OptionError("report_append: needs report_file")
    if not params["report_append"] or not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            data: dict[str, t.Any] = json.load(handle)
    except (OSError, ValueError) as error:
        raise OptionError(f"report_file: cannot read the report to append to, {path}: {error}") from None
    try:
        earlier = parse_report(data, path)
    except ValueError as error:
        raise OptionError(str(error)) from None
    if ((earlier.owner or "").lower(), normalize_api_url(earlier.api_url), earlier.dry_run) != (
            (params["owner"] or earlier.owner or "").lower(), normalize_api_url(params["api_url"]), dry_run):
        raise OptionError(f"report_file: {path} is the report of another cleanup (owner {earlier.owner}, {earlier.api_url}, "
                          f"dry_run {earlier.dry_run}); give a new file, or report_append=false to replace it")
    return data


def summary_entry(result: dict[str, t.Any]) -> dict[str, t.Any]:
    entry = {key: result[key] for key in SUMMARY_PACKAGE_KEYS}
    entry["versions"] = [{key: v.get(key) for key in SUMMARY_VERSION_KEYS} for v in result["versions"]]
    return entry


def merged_report(result: dict[str, t.Any], earlier: t.Optional[dict[str, t.Any]]) -> dict[str, t.Any]:
    """This run's report with every package's result under "results", merged into what earlier holds (a package in both: merge_packages)."""
    report = dict(result["report"], results=[summary_entry(r) for r in result["packages"]])
    if earlier is not None:
        for key in ("packages", "results"):
            report[key] = merge_packages(earlier.get(key) or [], report[key])
    parse_report(report)
    return report


def cell(text: t.Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def summary_markdown(report: dict[str, t.Any], report_file: str) -> str:
    """The human summary of a report written with its results: totals, one row per package, each package's versions."""
    dry = report["dry_run"]
    key, verb = ("would_delete", "would delete") if dry else ("deleted", "deleted")
    results = report["results"]

    def total(field: str) -> int:
        return sum(r["counts"][field] for r in results)

    lines = [
        f"# {'Dry run of the cleanup' if dry else 'Cleanup'} of {report['owner']}", "",
        f"- Generated: {report['generated_at']}", f"- API: {report['api_url']}",
        f"- Report: `{report_file}`" + (" (a dry run: nothing was deleted, and it cannot be restored)" if dry
                                        else " (restore with the ghpkgs.registry.org_restore role)"),
        "", "## Totals", "",
        f"| packages | failed | matched | {verb} | kept | skipped | already absent | whole packages |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {len(results)} | {sum(1 for r in results if r['failed'])} | {total('matched')} | {total(key)} | {total('kept')} | "
        f"{total('skipped')} | {total('already_absent')} | {sum(1 for r in results if r['package_deleted'])} |",
        "", "## Packages", "",
        f"| type | package | matched | {verb} | kept | skipped | result |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        c = r["counts"]
        lines.append(f"| {r['package_type']} | {r['name']} | {c['matched']} | {c[key]} | {c['kept']} | {c['skipped']} | "
                     f"{'**FAILED**: ' if r['failed'] else ''}{cell(r['msg'])} |")
    for r in results:
        if r["versions"]:
            lines += ["", f"### {r['package_type']} {r['name']}{' (FAILED)' if r['failed'] else ''}", "",
                      "| outcome | version | id | tags | created | reason |", "| --- | --- | ---: | --- | --- | --- |"]
            lines += [f"| {v['outcome'].replace('_', ' ')} | `{v['name']}` | {v['id']} | {', '.join(v['tags'] or [])} | "
                      f"{v['created_at']} | {cell(v['reason'])} |" for v in r["versions"]]
    return "\n".join(lines + bytes_lines(results)) + "\n"


def human_bytes(count: int) -> str:
    """1234567 -> '1.2 MB' (powers of 1000, as registries show sizes)."""
    if count < 1000:
        return f"{count} bytes"
    value = count / 1000
    for unit in ("kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


def bytes_lines(results: list[dict[str, t.Any]]) -> list[str]:
    """The summary's section on the bytes freed, for the packages that have an estimate (container packages with the graph)."""
    measured = [r for r in results if r.get("bytes_freed") is not None]
    if not measured:
        return []
    lines = ["", "## Bytes freed (approximate)", "",
             f"About {human_bytes(sum(r['bytes_freed'] for r in measured))} in {len(measured)} container packages: the config and layer "
             "sizes named in the manifests of the deleted versions that the image graph read, each blob once, less those that another "
             "manifest it read uses. Versions whose manifest the plan did not need are not read, so not counted (versions not measured), "
             "and a layer shared with a kept image that was not read counts as freed.", "",
             "| type | package | bytes freed | versions not measured |", "| --- | --- | ---: | ---: |"]
    lines += [f"| {r['package_type']} | {r['name']} | {human_bytes(r['bytes_freed'])} | {r['bytes_unmeasured']} |" for r in measured]
    return lines


def write_report_files(params: dict[str, t.Any], result: dict[str, t.Any], earlier: t.Optional[dict[str, t.Any]]) -> None:
    """Write the report (and summary) files; the result then names them instead of holding the report (it can be large)."""
    report = merged_report(result, earlier)
    try:
        write_private_file(params["report_file"], json.dumps(report, indent=2) + "\n")
        if params["summary_file"]:
            write_private_file(params["summary_file"], summary_markdown(report, params["report_file"]))
    except OSError as error:
        raise OptionError(f"report_file: cannot write the report or its summary: {error}") from None
    del result["report"]
    result.update(report_file=params["report_file"], summary_file=params["summary_file"])
