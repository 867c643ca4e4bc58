#!/usr/bin/python
# Copyright (c) 2026 ghpkgs.registry contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: package
short_description: Delete a whole GitHub Package, or make sure it exists by restoring it
version_added: 0.1.0
description:
  - With O(state=absent), deletes a package with all its versions. A package that does not exist is already absent.
  - With O(state=present), makes sure the package exists, restoring it when it was deleted within the last 30 days.
    This module cannot publish a package, so when there is nothing to restore, the task fails, saying so.
  - To delete or restore single versions, use M(ghpkgs.registry.package_version) and M(ghpkgs.registry.package_restore).
author:
  - ghpkgs.registry contributors (@ghpkgs)
extends_documentation_fragment:
  - ghpkgs.registry.github
  - ghpkgs.registry.github.attributes
attributes:
  check_mode:
    support: full
    details:
      - GitHub cannot list deleted packages, and does not tell download counts. So in check mode, O(state=present) for a missing
        package predicts a restore (the real run fails when nothing of that name was deleted within 30 days), and O(state=absent)
        predicts a deletion even when GitHub would refuse it for a public package with more than 5,000 downloads.
  diff_mode:
    support: full
  idempotent:
    support: full
options:
  package_type:
    description:
      - The type of the package.
    type: str
    required: true
    choices: [npm, maven, rubygems, docker, nuget, container]
  name:
    description:
      - The name of the package, for example V(team/app) for a container image.
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the package and all its versions; they can be restored for 30 days.
      - V(present) restores the package if it is deleted.
    type: str
    choices: [present, absent]
    default: present
  restore_token:
    description:
      - GitHub's restore token choosing which one to restore when several deleted packages share O(name).
      - Only with O(state=present).
    type: str
notes:
  - Deleting needs the token scopes C(read:packages) and C(delete:packages), restoring C(read:packages) and C(write:packages)
    (plus C(repo) for repository-scoped registries); a missing scope is named in the error.
  - GitHub refuses to delete a public package any version of which was downloaded more than 5,000 times; only GitHub Support can.
  - A restore whose answer was lost (a connection error or 5xx after the retries, or a repeated request that GitHub answers 404
    or 409 because its first attempt was applied) is checked by reading the package back, and reported restored only if it is
    active.
seealso:
  - module: ghpkgs.registry.package_restore
  - module: ghpkgs.registry.package_version
  - name: Deleting and restoring a package
    description: GitHub's documentation.
    link: https://docs.github.com/en/packages/learn-github-packages/deleting-and-restoring-a-package
"""

EXAMPLES = r"""
- name: Delete a container image with all its versions
  ghpkgs.registry.package:
    owner: octo-org
    package_type: container
    name: team/old-app
    state: absent

- name: Bring it back (within 30 days)
  ghpkgs.registry.package:
    owner: octo-org
    package_type: container
    name: team/old-app
    state: present
  register: restored

- name: Show how many versions came back
  ansible.builtin.debug:
    msg: "{{ restored.package.version_count }} versions"
"""

RETURN = r"""
package:
  description:
    - The package as GitHub describes it, after the task; V(null) when it is absent.
    - In check mode, the package as it is before the task, since nothing is changed.
  returned: always
  type: dict
  sample:
    id: 197
    name: team/app
    package_type: container
    visibility: private
    version_count: 12
    html_url: https://github.com/orgs/octo-org/packages/container/package/team%2Fapp
    created_at: "2026-01-02T10:00:00Z"
    updated_at: "2026-11-20T08:30:00Z"
diff:
  description:
    - The package before and after the task (predicted in check mode), each with C(package_type), C(name) and C(state)
      (V(present) or V(absent)); a present package also with its C(id), C(visibility) and C(version_count). The same
      before and after when nothing changes.
  returned: in diff mode
  type: dict
  contains:
    before:
      description: The package before the task.
      type: dict
    after:
      description: The package after the task.
      type: dict
  sample:
    before: {package_type: container, name: team/app, state: present, id: 197, visibility: private, version_count: 12}
    after: {package_type: container, name: team/app, state: absent}
"""

import typing as t

from ansible_collections.ghpkgs.registry.plugins.module_utils._errors import Conflict, GitHubAPIError, InvalidRequest, NotFound, OptionError
from ansible_collections.ghpkgs.registry.plugins.module_utils._module import GitHubPackagesModule
from ansible_collections.ghpkgs.registry.plugins.module_utils._restore import restore_package
from ansible_collections.ghpkgs.registry.plugins.module_utils._selection import PACKAGE_TYPES

DOWNLOAD_RULE = (
    "GitHub does not delete public packages with a version downloaded more than 5,000 times, and a public package cannot be made "
    "private again; only GitHub Support can delete it (https://support.github.com/contact)"
)
CANNOT_RESTORE = (
    "%s %s does not exist and cannot be restored: GitHub has no deleted package of this name%s from the last 30 days "
    "(it keeps deleted packages for 30 days), or the token's user cannot administer it; this module cannot publish packages"
)
NAME_TAKEN = (
    "%s %s cannot be restored: its name is in use by an active package again (GitHub answered 409); "
    "delete or rename that package, then run this again"
)


def _state(package: t.Optional[t.Mapping[str, t.Any]], package_type: str, name: str) -> t.Dict[str, t.Any]:
    """What diff mode shows of a package."""
    if package is None:
        return {"package_type": package_type, "name": name, "state": "absent"}
    return {
        "package_type": package_type,
        "name": name,
        "state": "present",
        "id": package.get("id"),
        "visibility": package.get("visibility"),
        "version_count": package.get("version_count"),
    }


def main() -> None:
    module = GitHubPackagesModule(
        argument_spec={
            "package_type": {"type": "str", "required": True, "choices": list(PACKAGE_TYPES)},
            "name": {"type": "str", "required": True},
            "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
            "restore_token": {"type": "str", "no_log": True},
        },
    )
    params = module.params
    package_type, name = params["package_type"], params["name"]

    def fail_with(error: GitHubAPIError, msg: str, **result: t.Any) -> t.NoReturn:
        details = error.to_dict()
        details.update(result)
        details["msg"] = msg
        module.fail(**details)

    def _restore_failed(error: GitHubAPIError) -> t.NoReturn:
        if isinstance(error, Conflict):
            fail_with(error, NAME_TAKEN % (package_type, name), changed=False)
        token = " matching restore_token" if params["restore_token"] else ""
        fail_with(error, CANNOT_RESTORE % (package_type, name, token), changed=False)

    def work() -> t.Dict[str, t.Any]:
        if not name.strip():
            raise OptionError("name: must not be empty")
        if params["restore_token"] is not None and params["state"] != "present":
            raise OptionError("restore_token: only used with state=present, to restore the package; remove it")
        if params["restore_token"] == "":
            raise OptionError("restore_token: must not be empty; omit it unless several deleted packages share the name")
        owner = module.owner
        try:
            before = module.client.get_package(owner, package_type, name)
        except NotFound:
            before = None
        wanted = params["state"]
        result: t.Dict[str, t.Any] = {"changed": (before is None) == (wanted == "present")}
        if module.diff_mode:
            after_state = _state(before, package_type, name)
            if result["changed"]:
                after_state = {"package_type": package_type, "name": name, "state": wanted}
            result["diff"] = {"before": _state(before, package_type, name), "after": after_state}

        if not result["changed"]:
            result.update(package=before, msg="%s %s is already %s" % (package_type, name, wanted))
            return result
        if module.check_mode:
            what = "would delete" if wanted == "absent" else "would restore"
            result.update(package=before, msg="%s %s %s" % (what, package_type, name))
            if wanted == "present":
                module.warn(
                    "%s %s does not exist; GitHub cannot list deleted packages, so only the real run tells whether it was deleted "
                    "within the last 30 days and can be restored" % (package_type, name)
                )
            return result

        if wanted == "absent":
            try:
                module.client.delete_package(owner, package_type, name)
            except NotFound as error:
                if error.retried:
                    # The answer to an earlier attempt was lost and that attempt deleted it: this task made the change.
                    result.update(package=None, msg="deleted %s %s" % (package_type, name))
                    return result
                # Deleted by someone else since we looked: absent all the same.
                result.update(changed=False, package=None, msg="%s %s is already absent" % (package_type, name))
                result.pop("diff", None)
                return result
            except InvalidRequest as error:
                if "download" in error.message.lower():
                    fail_with(error, "%s %s cannot be deleted: GitHub says: %s %s" % (package_type, name, error.message, DOWNLOAD_RULE), changed=False)
                raise
            result.update(package=None, msg="deleted %s %s" % (package_type, name))
            return result

        done = restore_package(module.client, owner, package_type, name, params["restore_token"])
        if not done.restored:
            if isinstance(done.error, (NotFound, Conflict)):
                _restore_failed(done.error)
            raise t.cast(GitHubAPIError, done.error)
        after = module.client.get_package(owner, package_type, name)
        result.update(package=after, msg="restored %s %s" % (package_type, name))
        if module.diff_mode:
            result["diff"]["after"] = _state(after, package_type, name)
        return result

    module.run(work)


if __name__ == "__main__":
    main()
