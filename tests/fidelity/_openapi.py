"""GitHub's own OpenAPI descriptions (npm @octokit/openapi), trimmed at test time to the operations we exercise.

Nothing here is hand-written schema: paths are copied verbatim from the installed official file and
`components` is kept whole, so every `$ref` resolves exactly as in GitHub's document.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

HERE = Path(__file__).resolve().parent
GENERATED = HERE / "node_modules" / "@octokit" / "openapi" / "generated"

OWNERS = ("/orgs/{org}", "/users/{username}", "/user")
# Per owner kind: 9 operations on the 7 package paths GitHub documents (21 paths in all).
PACKAGE_OPERATIONS = (
    ("get", "/packages"),
    ("get", "/packages/{package_type}/{package_name}"),
    ("delete", "/packages/{package_type}/{package_name}"),
    ("post", "/packages/{package_type}/{package_name}/restore"),
    ("get", "/packages/{package_type}/{package_name}/versions"),
    ("get", "/packages/{package_type}/{package_name}/versions/{package_version_id}"),
    ("delete", "/packages/{package_type}/{package_name}/versions/{package_version_id}"),
    ("post", "/packages/{package_type}/{package_name}/versions/{package_version_id}/restore"),
    ("get", "/docker/conflicts"),
)
ACCOUNT_OPERATIONS = (("get", "/users/{username}"), ("get", "/user"), ("get", "/rate_limit"))
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def exercised_operations() -> list[tuple[str, str]]:
    """(method, path template) of every operation the contract scenario must cover."""
    ops = [(m, owner + suffix) for owner in OWNERS for m, suffix in PACKAGE_OPERATIONS]
    return ops + list(ACCOUNT_OPERATIONS)


def source_spec(flavor: str) -> Path:
    """The official description: `dotcom` (api.github.com) or `ghes` (the newest GHES release shipped)."""
    if flavor == "dotcom":
        path = GENERATED / "api.github.com.json"
    elif flavor == "ghes":
        found = []
        for candidate in GENERATED.glob("ghes-*.json"):
            match = re.fullmatch(r"ghes-(\d+)\.(\d+)\.json", candidate.name)
            if match:
                found.append(((int(match[1]), int(match[2])), candidate))
        if not found:
            raise FileNotFoundError(f"no generated/ghes-X.Y.json in {GENERATED}; run `npm ci --prefix tests/fidelity`")
        path = max(found)[1]
    else:
        raise ValueError(f"unknown flavor {flavor!r}")
    if not path.is_file():
        raise FileNotFoundError(f"{path} missing; run `npm ci --prefix tests/fidelity`")
    return path


def derive_spec(source: Path, dest: Path) -> dict[str, Any]:
    """Write to `dest` the source description with only our paths (all their methods) and all components."""
    spec = json.loads(source.read_text(encoding="utf-8"))
    wanted = sorted({path for _, path in exercised_operations()})
    missing = [p for p in wanted if p not in spec["paths"]]
    if missing:
        raise AssertionError(f"{source.name} no longer describes {missing}")
    for method, path in exercised_operations():
        if method not in spec["paths"][path]:
            raise AssertionError(f"{source.name} no longer describes {method.upper()} {path}")
    spec["paths"] = {p: spec["paths"][p] for p in wanted}
    spec.pop("x-webhooks", None)
    spec.pop("webhooks", None)
    dest.write_text(json.dumps(spec), encoding="utf-8")
    return spec


def documented_statuses(spec: dict[str, Any], method: str, path: str) -> set[int]:
    return {int(code) for code in spec["paths"][path][method]["responses"] if code.isdigit()}


def operation_id(spec: dict[str, Any], method: str, path: str) -> str:
    return str(spec["paths"][path][method]["operationId"])


class SchemaChecker:
    """Validates a JSON value against a named schema of the description's `components.schemas`."""

    def __init__(self, spec: dict[str, Any]) -> None:
        resource = referencing.Resource.from_contents(spec, default_specification=referencing.jsonschema.DRAFT4)
        self._registry = referencing.Registry().with_resource("urn:github-openapi", resource)

    def errors(self, schema_name: str, value: Any) -> list[str]:
        validator = jsonschema.Draft4Validator(
            {"$ref": f"urn:github-openapi#/components/schemas/{schema_name}"}, registry=self._registry)
        return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(value)]
