"""A forge held in dicts, for unit tests of handler rules: no HTTP, no client library, no fixtures."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from forges.base import PERMISSIONS, Comment, Forge, Issue, MergeRequest
from forges.errors import ForgeError
from forges.github import GitHubForge

BOT = "incident-desk-bot"


class MemoryForge(Forge):
    """GitHub's conventions over in-memory issues, comments, files and merge requests.

    Everything written stays inspectable: `issues`, `comments`, `files`, `statuses`, `checks`.
    A missing issue, merge request or branch answers ForgeError(status=404), as the adapters do.
    """

    web_host = "github.com"  # GitHub's other conventions are copied from its adapter below the class

    def __init__(self, permissions: dict[tuple[str, str], str] | None = None,
                 teams: dict[str, set[str]] | None = None):
        super().__init__()
        self.issues: dict[tuple[str, int], Issue] = {}
        self.comments: dict[tuple[str, int, bool], list[Comment]] = {}
        self.files: dict[tuple[str, str, str], str] = {}  # (repository, branch, path) -> text
        self.merge_requests: dict[tuple[str, int], MergeRequest] = {}
        self.commit_messages: dict[tuple[str, int], list[str]] = {}
        self.branches: dict[str, set[str]] = {}
        self.permissions = permissions or {}  # (repository, login) -> one of PERMISSIONS
        self.teams = teams or {}
        self.statuses: list[dict] = []
        self.checks: list[dict] = []
        self.next_id = 1000

    # -- setting the scene
    def add_issue(self, repository: str, number: int, title: str = "Something", body: str = "",
                  state: str = "open", labels: Iterable[str] = (), author: str = "octocat") -> Issue:
        """An issue as a person opened it."""
        issue = Issue(repository, number, title, body, state, tuple(labels), author,
                      url=self.issue_url(repository, number))
        self.issues[(repository, number)] = issue
        return issue

    def _issue(self, repository: str, number: int) -> Issue:
        try:
            return self.issues[(repository, number)]
        except KeyError:
            raise ForgeError(f"{repository}#{number}: Not Found", status=404) from None

    # -- issues
    def issue_url(self, repository: str, number: int) -> str:
        return f"https://{self.web_host}/{repository}/issues/{number}"

    def get_issue(self, repository: str, number: int) -> Issue:
        return self._issue(repository, number)

    def edit_issue(self, repository: str, number: int, *, title: str | None = None,
                   body: str | None = None, state: str | None = None) -> None:
        issue = self._issue(repository, number)
        changes = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        self.issues[(repository, number)] = replace(issue, **changes)

    def list_issues(self, repository: str, label: str, since=None) -> list[Issue]:  # no update times: all
        return [i for (repo, _), i in self.issues.items() if repo == repository and label in i.labels]

    def create_issue(self, repository: str, title: str, body: str, labels: Iterable[str] = (),
                     assignees: Iterable[str] = (), incident: bool = False) -> Issue:
        number = 1 + max((n for repo, n in self.issues if repo == repository), default=0)
        self.add_issue(repository, number, title, body, labels=labels, author=BOT)
        self.assign(repository, number, assignees)
        return self.issues[(repository, number)]

    def add_labels(self, repository: str, number: int, labels: Iterable[str]) -> None:
        issue = self._issue(repository, number)
        added = tuple(label for label in labels if label not in issue.labels)
        self.issues[(repository, number)] = replace(issue, labels=issue.labels + added)

    def remove_label(self, repository: str, number: int, label: str) -> None:
        issue = self._issue(repository, number)
        self.issues[(repository, number)] = replace(issue, labels=tuple(x for x in issue.labels if x != label))

    def assign(self, repository: str, number: int, logins: Iterable[str]) -> None:
        issue = self._issue(repository, number)
        self.issues[(repository, number)] = replace(issue, assignees=issue.assignees + tuple(logins))

    # -- comments
    def list_comments(self, repository: str, number: int, merge_request: bool = False) -> list[Comment]:
        return list(self.comments.get((repository, number, merge_request), []))

    def create_comment(self, repository: str, number: int, body: str, merge_request: bool = False) -> Comment:
        self.next_id += 1
        comment = Comment(self.next_id, body, BOT)
        self.comments.setdefault((repository, number, merge_request), []).append(comment)
        return comment

    def edit_comment(self, repository: str, number: int, comment: Comment, body: str,
                     merge_request: bool = False) -> None:
        thread = self.comments[(repository, number, merge_request)]
        thread[:] = [replace(c, body=body) if c.id == comment.id else c for c in thread]

    def bot_comments(self, repository: str, number: int) -> list[str]:
        """The bodies of the comments on an issue, oldest first."""
        return [c.body for c in self.list_comments(repository, number)]

    # -- files, permissions, teams
    def read_file(self, repository: str, path: str) -> str | None:
        return self.files.get((repository, self.default_branch(repository), path))

    def permission(self, repository: str, login: str) -> str:
        level = self.permissions.get((repository, login), "none")
        assert level in PERMISSIONS, level
        return level

    def is_team_member(self, team: str, login: str) -> bool:
        return login in self.teams.get(team, set())

    @property
    def bot_login(self) -> str:
        return BOT

    # -- merge requests and commits
    def get_merge_request(self, repository: str, number: int) -> MergeRequest:
        try:
            return self.merge_requests[(repository, number)]
        except KeyError:
            raise ForgeError(f"{repository}#{number}: Not Found", status=404) from None

    def merge_request_commit_messages(self, repository: str, number: int) -> list[str]:
        return list(self.commit_messages.get((repository, number), []))

    def set_commit_status(self, repository: str, sha: str, state: str, context: str,
                          description: str, target_url: str | None = None) -> None:
        self.statuses.append(dict(repository=repository, sha=sha, state=state, context=context,
                                  description=description, target_url=target_url))

    def publish_check(self, repository: str, sha: str, name: str, conclusion: str, title: str, summary: str,
                      details_url: str | None = None) -> None:
        self.checks.append(dict(repository=repository, sha=sha, name=name, conclusion=conclusion, title=title,
                                summary=summary, details_url=details_url))

    def default_branch(self, repository: str) -> str:
        return "main"

    def ensure_branch(self, repository: str, branch: str, from_branch: str) -> None:
        self.branches.setdefault(repository, {"main"}).add(branch)

    def put_file(self, repository: str, branch: str, path: str, content: str, message: str) -> bool:
        key = (repository, branch, path)
        if self.files.get(key) == content:
            return False
        self.files[key] = content
        return True

    def find_merge_request(self, repository: str, source_branch: str) -> MergeRequest | None:
        return next((mr for (repo, _), mr in self.merge_requests.items()
                     if repo == repository and mr.state == "open" and mr.head_sha == source_branch), None)

    def open_draft_merge_request(self, repository: str, source_branch: str, target_branch: str, title: str,
                                 body: str) -> MergeRequest:
        number = 1 + max((n for repo, n in [*self.merge_requests, *self.issues] if repo == repository), default=0)
        # head_sha holds the source branch: this fake has no commits to point at
        mr = MergeRequest(repository, number, title, body, "open", f"https://{self.web_host}/{repository}/pull/{number}",
                          head_sha=source_branch)
        self.merge_requests[(repository, number)] = mr
        return mr


# GitHub's platform facts (platform, label separator, body limit, merge request syntax, config path...) as
# its adapter declares them, so this fake keeps up when they change there. Descriptors are the adapter's own.
for _name, _value in vars(GitHubForge).items():
    if not _name.startswith("_") and not hasattr(_value, "__get__"):
        setattr(MemoryForge, _name, _value)
