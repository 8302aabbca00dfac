"""Payloads for issue 19's tests: pushes derived from the real examples in tests/fixtures/ (see
tests/fixtures/ONBOARDING.md for where each came from and what was changed)."""
from __future__ import annotations

from tests.support import load_fixture


def github_push(repository: str, files: list[str], branch: str = "master", sha: str = "0d1a26e6" * 5) -> dict:
    """A push of one commit to `branch`: octokit's push example (a deleted tag) with `ref`, `after`, `deleted`
    and one commit in the shape GitHub documents for `commits[]` (id, tree_id, distinct, message, timestamp,
    url, author, committer, added, removed, modified)."""
    payload = load_fixture("github", "push__tag_deleted")
    person = {"name": "Codertocat", "email": "21031067+Codertocat@users.noreply.github.com", "username": "Codertocat"}
    commit = {"id": sha, "tree_id": "f" * 40, "distinct": True, "message": "Configure Incident Desk",
              "timestamp": "2026-12-03T09:00:00Z", "url": f"https://github.com/{repository}/commit/{sha}",
              "author": person, "committer": person, "added": [], "removed": [], "modified": files}
    payload.update(ref=f"refs/heads/{branch}", after=sha, deleted=False, created=False, commits=[commit],
                   head_commit=commit)
    payload["repository"]["full_name"] = repository
    return payload


def gitlab_push(project: str, files: list[str], branch: str = "master") -> dict:
    """go-gitlab's push example (GitLab's documented one) with its two commits touching `files`, and as many
    commits in all as it lists (the example says 4 of which 2 are listed)."""
    payload = load_fixture("gitlab", "push")
    payload["ref"] = f"refs/heads/{branch}"
    payload["project"]["path_with_namespace"] = project
    for commit in payload["commits"]:
        commit["modified"] = list(files)
    payload["total_commits_count"] = len(payload["commits"])
    return payload
