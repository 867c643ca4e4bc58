"""JSON objects shaped exactly like GitHub's OpenAPI schemas (package, package-version, users, repository)."""
from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import quote

from .store import Account, Package, Version, format_time

_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}", "assignees_url": "/assignees{/user}", "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}", "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}", "commits_url": "/commits{/sha}", "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}", "contributors_url": "/contributors", "deployments_url": "/deployments",
    "downloads_url": "/downloads", "events_url": "/events", "forks_url": "/forks", "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}", "git_tags_url": "/git/tags{/sha}", "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}", "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}", "keys_url": "/keys{/key_id}", "labels_url": "/labels{/name}",
    "languages_url": "/languages", "merges_url": "/merges", "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}", "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}", "stargazers_url": "/stargazers", "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers", "subscription_url": "/subscription", "tags_url": "/tags", "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


class Renderer:
    """Builds objects for one request; URLs follow the request's own base (host and /api/v3 prefix)."""

    def __init__(self, api_base: str, web_base: str) -> None:
        self.api = api_base
        self.web = web_base

    def simple_user(self, account: Account) -> dict[str, Any]:
        login = account.login
        api = f"{self.api}/users/{login}"
        kind = "Organization" if account.type == "Organization" else "User"
        return {
            "login": login, "id": account.id,
            "node_id": base64.b64encode(f"04:{kind}{account.id}".encode()).decode(),
            "avatar_url": f"{self.web}/avatars/u/{account.id}?v=4", "gravatar_id": "",
            "url": api, "html_url": f"{self.web}/{login}",
            "followers_url": f"{api}/followers", "following_url": f"{api}/following{{/other_user}}",
            "gists_url": f"{api}/gists{{/gist_id}}", "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{api}/subscriptions", "organizations_url": f"{api}/orgs",
            "repos_url": f"{api}/repos", "events_url": f"{api}/events{{/privacy}}",
            "received_events_url": f"{api}/received_events", "type": kind, "user_view_type": "public",
            "site_admin": False,
        }

    def public_user(self, account: Account) -> dict[str, Any]:
        user = self.simple_user(account)
        user.update({"name": account.name, "company": None, "blog": "", "location": None, "email": None,
                     "hireable": None, "bio": None, "twitter_username": None, "public_repos": 0, "public_gists": 0,
                     "followers": 0, "following": 0, "created_at": account.created_at, "updated_at": account.created_at})
        return user

    def private_user(self, account: Account) -> dict[str, Any]:
        user = self.public_user(account)
        user.update({"user_view_type": "private", "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
                     "disk_usage": 0, "collaborators": 0, "two_factor_authentication": True,
                     "plan": {"name": "free", "space": 976562499, "collaborators": 0, "private_repos": 10000}})
        return user

    def repository(self, full_name: str, owner: Account, private: bool) -> dict[str, Any]:
        name = full_name.split("/", 1)[-1]
        api = f"{self.api}/repos/{full_name}"
        repo_id = int(hashlib.sha256(full_name.lower().encode()).hexdigest()[:8], 16)
        repo: dict[str, Any] = {
            "id": repo_id, "node_id": base64.b64encode(f"010:Repository{repo_id}".encode()).decode(),
            "name": name, "full_name": full_name, "owner": self.simple_user(owner), "private": private,
            "html_url": f"{self.web}/{full_name}", "description": None, "fork": False, "url": api,
        }
        repo.update({key: api + suffix for key, suffix in _REPO_URL_TEMPLATES.items()})
        return repo

    def package_paths(self, package: Package, owner: Account) -> tuple[str, str]:
        """(API url, html_url) of a package."""
        kind = "orgs" if owner.type == "Organization" else "users"
        encoded = quote(package.name, safe="")
        api = f"{self.api}/{kind}/{owner.login}/packages/{package.package_type}/{encoded}"
        html = f"{self.web}/{kind}/{owner.login}/packages/{package.package_type}/package/{encoded}"
        return api, html

    def package(self, package: Package, owner: Account, repo_owner: Account | None) -> dict[str, Any]:
        api, html = self.package_paths(package, owner)
        body: dict[str, Any] = {
            "id": package.id, "name": package.name, "package_type": package.package_type,
            "owner": self.simple_user(owner), "version_count": len(package.active),
            "visibility": package.visibility, "url": api, "html_url": html,
            "created_at": format_time(package.created_at), "updated_at": format_time(package.updated_at),
        }
        if package.repository:
            body["repository"] = self.repository(package.repository, repo_owner or owner, package.visibility != "public")
        return body

    def version(self, package: Package, owner: Account, version: Version) -> dict[str, Any]:
        api, html = self.package_paths(package, owner)
        kind = "orgs" if owner.type == "Organization" else "users"
        body: dict[str, Any] = {
            "id": version.id, "name": version.name, "url": f"{api}/versions/{version.id}",
            "package_html_url": html,
            "created_at": format_time(version.created_at), "updated_at": format_time(version.updated_at),
            "html_url": f"{self.web}/{kind}/{owner.login}/packages/{package.package_type}/{quote(package.name, safe='')}/{version.id}",
        }
        if version.license is not None:
            body["license"] = version.license
        if version.description is not None:
            body["description"] = version.description
        if version.deleted_at is not None:
            body["deleted_at"] = format_time(version.deleted_at)
        metadata: dict[str, Any] = {"package_type": package.package_type}
        if package.package_type == "container":
            metadata["container"] = {"tags": list(version.tags)}
        elif package.package_type == "docker":
            # GitHub's schema names the property "tag" but lists "tags" as required: send both.
            metadata["docker"] = {"tag": list(version.tags), "tags": list(version.tags)}
        body["metadata"] = metadata
        return body
