"""GitLab adapter on python-gitlab (gitlab.com or a self-managed instance)."""
from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from urllib.parse import urlparse

import gitlab
import requests
from gitlab.exceptions import GitlabError

from forges.base import (
    NO_ACCESS,
    PERMISSIONS,
    Comment,
    Forge,
    Issue,
    MergeRequest,
    added_logins,
    label_changes,
    labels_after,
)
from forges.errors import ForgeError, TransientForgeError, translated
from forges.schemas import ForgeDateTime
from forges.write_budget import PacedWrites, WriteBudget, budget_key
from incidents.forge_facts import MergeRequestSyntax

# GitLab access levels -> the normalized permission names (DESIGN "Settled details: Permissions").
ACCESS_LEVELS = ((50, "admin"), (40, "maintain"), (30, "write"), (20, "triage"), (10, "read"))
_dates = ForgeDateTime()
# The alerts GitLab's alert management linked to an incident issue. GraphQL only: the REST API's alert endpoints
# are for metric images. `Issue.alertManagementAlerts` replaced the single `alertManagementAlert` in GitLab 15.6,
# when an incident could be linked to several alerts.
ISSUE_ALERTS_QUERY = """query IssueAlerts($project: ID!, $iid: String!) {
  project(fullPath: $project) { issue(iid: $iid) { alertManagementAlerts { nodes { iid startedAt } } } }
}"""


def _date(value):
    return _dates.deserialize(value) if value else None


class GitLabForge(PacedWrites, Forge):
    platform = "gitlab"
    label_separator = "::"
    body_limit = 1_000_000
    merge_request_syntax = MergeRequestSyntax("!", "merge request", hash_names_merge_request=False,
                                              sibling_project_refs=True)  # `#34` is an issue on GitLab
    config_path = ".gitlab/incident-desk.yml"
    # Bare /close, /status... are GitLab's own quick actions, so ours are also spelt `/desk <command>`.
    command_prefix = "/desk "
    own_quick_actions = frozenset({"close", "severity", "timeline", "publish", "status"})

    @classmethod
    def connect(cls, settings, installation_id: int | None = None) -> GitLabForge:
        return cls(settings)  # GitLab has no installations: the token is the deployment's

    @staticmethod
    def delivery_headers(settings, event_name: str, delivery_id: str, body: bytes) -> dict[str, str]:
        if not settings.gitlab_webhook_secret:
            raise ValueError("GITLAB_WEBHOOK_SECRET is not set; it is sent as X-Gitlab-Token")
        return {"X-Gitlab-Event": event_name, "X-Gitlab-Event-UUID": delivery_id,
                "X-Gitlab-Token": settings.gitlab_webhook_secret}

    def __init__(self, settings):
        super().__init__()
        self.settings = settings
        self.web_host = urlparse(settings.gitlab_url).hostname or "gitlab.com"
        if not settings.gitlab_token:
            raise ForgeError("GitLab credentials missing: set GITLAB_TOKEN")
        self._last_headers: dict = {}
        session = requests.Session()
        session.hooks["response"].append(self._remember_headers)
        # The job queue retries transient failures and honours Retry-After, so the client must not sleep.
        self.gl = gitlab.Gitlab(settings.gitlab_url, private_token=settings.gitlab_token, session=session,
                                retry_transient_errors=False, per_page=100, timeout=15)
        # python-gitlab sleeps through 429s inside a call unless each request says not to.
        request = self.gl.http_request
        self.gl.http_request = lambda *args, **kwargs: request(*args, **{**kwargs, "obey_rate_limit": False})
        self.budget = WriteBudget(settings.redis_url, budget_key(self.platform, settings.gitlab_url, None,
                                                                 settings.gitlab_token),
                                  settings.gitlab_write_burst, settings.gitlab_write_interval)

    def _remember_headers(self, response, *args, **kwargs):
        # python-gitlab's errors carry no headers; keep the last ones to read Retry-After.
        self._last_headers = dict(response.headers)

    def _api(self, what: str):
        return translated(what, GitlabError, lambda e: e.response_code, lambda e: self._last_headers)

    def _write(self, what: str):
        """A write call: a token from the token's write budget, then translated like every call."""
        return self._paced(self._api(what))

    def _project(self, repository: str):
        return self.gl.projects.get(repository, lazy=True)

    def _issues(self, repository: str):
        return self._project(repository).issues

    def _notes(self, repository: str, number: int, merge_request: bool = False):
        parent = self._project(repository).mergerequests if merge_request else self._issues(repository)
        return parent.get(number, lazy=True).notes

    def get_issue(self, repository, number):
        with self._api("read issue"):
            raw = self._issues(repository).get(number)
        return self._as_issue(repository, raw)

    def list_issues(self, repository, label, since=None):
        with self._api("list issues"):
            after = {"updated_after": since.isoformat()} if since else {}
            return [self._as_issue(repository, raw)
                    for raw in self._issues(repository).list(labels=[label], state="all", iterator=True, **after)]

    def _as_issue(self, repository, raw) -> Issue:
        return Issue(
            repository=repository, number=raw.iid, title=raw.title or "", body=raw.description or "",
            state="closed" if raw.state == "closed" else "open", labels=tuple(raw.labels),
            author=raw.author["username"], url=raw.web_url, created_at=_date(raw.created_at),
            closed_at=_date(getattr(raw, "closed_at", None)),
            assignees=tuple(a["username"] for a in getattr(raw, "assignees", []) or []),
            confidential=bool(getattr(raw, "confidential", False)),
        )

    def edit_issue(self, repository, number, *, title=None, body=None, state=None):
        changes = {k: v for k, v in (("title", title), ("description", body)) if v is not None}
        if state is not None:
            changes["state_event"] = "close" if state == "closed" else "reopen"
        with self._write("edit issue"):
            self._issues(repository).update(number, changes)

    def create_issue(self, repository, title, body, labels=(), assignees=(), incident=False):
        data = {"title": title, "description": body, "labels": ",".join(labels)}
        if incident:  # listed under Monitor > Incidents, with GitLab's own incident timeline beside ours
            data["issue_type"] = "incident"
        ids = [i for i in (self._user_id(login) for login in assignees) if i]
        if ids:
            data["assignee_ids"] = ids
        with self._write("create issue"):
            raw = self._issues(repository).create(data)
        return self._as_issue(repository, raw)

    def add_labels(self, repository, number, labels: Iterable[str]):
        with self._write("add labels"):
            self._issues(repository).update(number, {"add_labels": ",".join(labels)})

    def remove_label(self, repository, number, label):
        with self._write("remove label"):
            self._issues(repository).update(number, {"remove_labels": label})

    def write_issue(self, before, after):
        """One update for description, state and labels (added and removed by name, so nobody's label change
        is undone); new assignees by their ids, in an update of their own."""
        data: dict = {}
        if after.body != before.body:
            data["description"] = after.body
        if after.state != before.state:
            data["state_event"] = "close" if after.state == "closed" else "reopen"
        add, remove = label_changes(before.labels, after.labels)
        data.update({key: ",".join(names) for key, names in (("add_labels", add), ("remove_labels", remove)) if names})
        if data:
            with self._write("edit issue"):
                self._issues(before.repository).update(before.number, data)
        assigned = added_logins(before.assignees, after.assignees)
        if assigned:
            self.assign(before.repository, before.number, assigned)

    def change_labels(self, repository, number, add, remove, current):
        """One issue update adds and removes, atomically on GitLab's side: nobody's change is undone."""
        add, remove = list(add), list(remove)
        changes = {key: ",".join(names) for key, names in (("add_labels", add), ("remove_labels", remove)) if names}
        if changes:
            with self._write("change labels"):
                self._issues(repository).update(number, changes)
        return labels_after(current, add, remove)

    def list_comments(self, repository, number, merge_request=False):
        with self._api("list notes"):
            notes = self._notes(repository, number, merge_request).list(iterator=True, sort="asc",
                                                                        order_by="created_at")
            return [Comment(id=n.id, body=n.body or "", author=n.author["username"], handle=n)
                    for n in notes if not getattr(n, "system", False)]

    def create_comment(self, repository, number, body, merge_request=False):
        with self._write("create note"):
            n = self._notes(repository, number, merge_request).create({"body": body})
        return Comment(id=n.id, body=body, author=self.settings.bot_login or "", handle=n)

    def edit_comment(self, repository, number, comment, body, merge_request=False):
        with self._write("edit note"):
            self._notes(repository, number, merge_request).update(comment.id, {"body": body})

    def read_file(self, repository, path):
        try:
            with self._api("read file"):
                raw = self._project(repository).files.raw(file_path=path, ref="HEAD")
        except ForgeError as exc:
            if exc.status == 404:
                return None
            raise
        return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)

    def _user_id(self, login: str) -> int | None:
        with self._api("find user"):
            users = self.gl.users.list(username=login)
        return users[0].id if users else None

    def permission(self, repository, login):
        user_id = self._user_id(login)
        if user_id is None:
            return "none"
        try:
            with self._api("read membership"):
                level = self._project(repository).members_all.get(user_id).access_level
        except ForgeError as exc:
            if exc.status in NO_ACCESS and not isinstance(exc, TransientForgeError):
                return "none"
            raise
        return next((name for floor, name in ACCESS_LEVELS if level >= floor), "none")

    def members(self, repository):
        try:
            with self._api("list members"):  # direct, inherited and invited-group members
                members = self._project(repository).members_all.list(per_page=100, get_all=False)
        except ForgeError as exc:
            if exc.status in NO_ACCESS and not isinstance(exc, TransientForgeError):
                return None
            raise
        levels: dict[str, str] = {}
        for member in members:  # someone may be listed twice (project and group): the higher level counts
            name = next((n for floor, n in ACCESS_LEVELS if member.access_level >= floor), "none")
            login = member.username.lower()
            if PERMISSIONS.index(name) > PERMISSIONS.index(levels.get(login, "none")):
                levels[login] = name
        return levels

    def get_merge_request(self, repository, number):
        with self._api("read merge request"):
            return self._as_merge_request(repository, self._project(repository).mergerequests.get(number))

    def merge_request_commit_messages(self, repository, number):
        # The first page only (100, newest first): islice stops before python-gitlab asks for the next.
        with self._api("list merge request commits"):
            commits = self._project(repository).mergerequests.get(number, lazy=True).commits(per_page=100)
            return [c.message or "" for c in islice(commits, 100)]

    def set_commit_status(self, repository, sha, state, context, description, target_url=None):
        # GitLab calls GitHub's "error"/"failure" both "failed", and "pending" is "pending".
        gl_state = {"failure": "failed", "error": "failed"}.get(state, state)
        data = {"state": gl_state, "name": context, "description": description[:255]}
        if target_url:
            data["target_url"] = target_url
        with self._write("set commit status"):
            self._project(repository).commits.get(sha, lazy=True).statuses.create(data)

    def publish_check(self, repository, sha, name, conclusion, title, summary, details_url=None):
        # GitLab commit statuses have no neutral; a not-yet-due postmortem must not block the merge.
        state = "failed" if conclusion == "failure" else "success"
        self.set_commit_status(repository, sha, state, name, title, details_url)

    def issue_url(self, repository, number):
        return f"{self.settings.gitlab_url}/{repository}/-/issues/{number}"

    def default_branch(self, repository):
        with self._api("read project"):
            return self.gl.projects.get(repository).default_branch

    def ensure_branch(self, repository, branch, from_branch):
        branches = self._project(repository).branches
        try:
            with self._api("read branch"):
                branches.get(branch)
            return
        except ForgeError as exc:
            if exc.status != 404:
                raise
        try:
            with self._write("create branch"):
                branches.create({"branch": branch, "ref": from_branch})
        except ForgeError as exc:
            if exc.status != 400:  # "Branch already exists": an earlier try made it
                raise

    def put_file(self, repository, branch, path, content, message):
        files = self._project(repository).files
        try:
            with self._api("read file"):
                existing = files.get(file_path=path, ref=branch)
        except ForgeError as exc:
            if exc.status != 404:
                raise
            with self._write("create file"):
                files.create({"file_path": path, "branch": branch, "content": content, "commit_message": message})
            return True
        if existing.decode().decode("utf-8", "replace") == content:
            return False
        with self._write("update file"):
            files.update(path, {"branch": branch, "content": content, "commit_message": message})
        return True

    def _as_merge_request(self, repository, mr) -> MergeRequest:
        return MergeRequest(repository=repository, number=mr.iid, title=mr.title or "",
                            body=mr.description or "", state="open" if mr.state == "opened" else mr.state,
                            url=mr.web_url, merged_at=_date(getattr(mr, "merged_at", None)),
                            head_sha=getattr(mr, "sha", None))

    def find_merge_request(self, repository, source_branch):
        with self._api("list merge requests"):
            found = self._project(repository).mergerequests.list(source_branch=source_branch, state="opened")
        return self._as_merge_request(repository, found[0]) if found else None

    def open_draft_merge_request(self, repository, source_branch, target_branch, title, body):
        with self._write("create merge request"):
            mr = self._project(repository).mergerequests.create({
                "source_branch": source_branch, "target_branch": target_branch,
                "title": f"Draft: {title}", "description": body})
        return self._as_merge_request(repository, mr)

    def list_labels(self, repository):
        with self._api("list labels"):
            return [label.name for label in
                    self._project(repository).labels.list(include_ancestor_groups=True, iterator=True)]

    def create_label(self, repository, name, colour, description):
        try:
            with self._write("create label"):
                self._project(repository).labels.create({"name": name, "color": f"#{colour}",
                                                         "description": description})
        except ForgeError as exc:
            if exc.status != 409:  # "Label already exists"
                raise
            return False
        return True

    def open_merge_request(self, repository, source_branch, target_branch, title, body):
        with self._write("create merge request"):
            mr = self._project(repository).mergerequests.create({
                "source_branch": source_branch, "target_branch": target_branch, "title": title,
                "description": body, "remove_source_branch": True})
        return self._as_merge_request(repository, mr)

    def assign(self, repository, number, logins):
        ids = [i for i in (self._user_id(login) for login in logins) if i]
        if not ids:
            return
        with self._write("assign"):
            issue = self._issues(repository).get(number)
            current = [a["id"] for a in getattr(issue, "assignees", []) or []]
            self._issues(repository).update(number, {"assignee_ids": sorted(set(current) | set(ids))})

    def is_team_member(self, team, login):
        user_id = self._user_id(login)
        if user_id is None:
            return False
        try:
            with self._api("read group membership"):
                self.gl.groups.get(team, lazy=True).members_all.get(user_id)
        except ForgeError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def alert_started_at(self, repository, number):
        """The earliest start of the alerts linked to the issue (one GraphQL query); None when it has none."""
        with self._api("read issue alerts"):
            # Through the REST client's session (its token header, retries and errors): GraphQL lives beside v4.
            answer = self.gl.http_post(f"{self.gl.url}/api/graphql", post_data={
                "query": ISSUE_ALERTS_QUERY, "variables": {"project": repository, "iid": str(number)}})
        if not isinstance(answer, dict):
            raise ForgeError("read issue alerts: GitLab's answer is not JSON")
        if answer.get("errors"):  # a query GitLab refused: answered 200, with the reasons
            reasons = "; ".join(str((error or {}).get("message")) for error in answer["errors"])
            raise ForgeError(f"read issue alerts: {reasons}")
        issue = ((answer.get("data") or {}).get("project") or {}).get("issue") or {}  # null: not there, or hidden
        alerts = (issue.get("alertManagementAlerts") or {}).get("nodes") or []
        return min((_date(alert["startedAt"]) for alert in alerts if alert and alert.get("startedAt")), default=None)

    def identity_key(self) -> str:
        return f"gitlab:{self.settings.gitlab_url}:token:{self.settings.gitlab_token}"

    def fetch_bot_login(self) -> str:
        with self._api("read bot identity"):
            self.gl.auth()
        return self.gl.user.username
