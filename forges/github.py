"""GitHub adapter on PyGithub: App installation tokens or a personal token."""
from __future__ import annotations

import functools
from collections.abc import Iterable
from urllib.parse import quote, urlparse

from github import Auth, Github, GithubException, GithubIntegration

from forges.base import NO_ACCESS, PERMISSIONS, Comment, Forge, Issue, MergeRequest, added_logins, label_changes
from forges.errors import ForgeError, TransientForgeError, translated
from forges.write_budget import PacedWrites, WriteBudget, budget_key
from incident_desk.signing import sha256_signature
from incidents.forge_facts import MergeRequestSyntax


def _api(what: str):
    return translated(what, GithubException, lambda e: e.status, lambda e: e.headers)


@functools.lru_cache(maxsize=256)
def _client(api_url: str, token: str | None, app_id: str | None, private_key: str | None,
            installation_id: int | None) -> Github:
    """One client per installation, kept so its installation token is reused until it expires."""
    auth: Auth.Auth
    if app_id and private_key and installation_id:
        auth = Auth.AppAuth(app_id, private_key).get_installation_auth(installation_id)
    elif token:
        auth = Auth.Token(token)
    else:
        raise ForgeError("GitHub credentials missing: set GITHUB_APP_ID and GITHUB_PRIVATE_KEY, or GITHUB_TOKEN")
    # retry=None: failed calls are retried by the job queue, which honours Retry-After
    # without blocking a worker in a sleep.
    # Writes are paced by the write budget (forges.write_budget), not by PyGithub, which sleeps inside the
    # write itself: a body edit must wait first, then re-read and write at once.
    return Github(auth=auth, base_url=api_url, retry=None, per_page=100, lazy=True, timeout=15,
                  seconds_between_writes=None, seconds_between_requests=None)


# The permissions hash of the collaborator, highest first, as the normalized names.
_ROLE_FLAGS = (("admin", "admin"), ("maintain", "maintain"), ("push", "write"), ("triage", "triage"), ("pull", "read"))


def _role(data: dict) -> str:
    """The user's role: `role_name`, since the legacy `permission` calls Maintain write and Triage read;
    a custom role by its base, from the permissions hash."""
    role = data.get("role_name")
    if role in PERMISSIONS:
        return role
    flags = (data.get("user") or {}).get("permissions") or {}
    base = next((name for flag, name in _ROLE_FLAGS if flags.get(flag)), None)
    if base:
        return base
    legacy = data.get("permission")
    return legacy if legacy in PERMISSIONS else "none"


class GitHubForge(PacedWrites, Forge):
    platform = "github"
    label_separator = ": "
    body_limit = 65_536
    merge_request_syntax = MergeRequestSyntax("#", "pull request", hash_names_merge_request=True,
                                              sibling_project_refs=False)
    config_path = ".github/incident-desk.yml"

    @classmethod
    def connect(cls, settings, installation_id: int | None = None) -> GitHubForge:
        return cls(settings, installation_id)

    @classmethod
    def connect_for_repository(cls, settings, repository: str) -> GitHubForge:
        if not (settings.github_app_id and settings.github_private_key):
            return cls(settings)  # a token reaches every repository it may
        integration = GithubIntegration(auth=Auth.AppAuth(settings.github_app_id, settings.github_private_key),
                                        base_url=settings.github_api_url)
        owner, _, name = repository.partition("/")
        with _api("find the App's installation"):
            return cls(settings, integration.get_repo_installation(owner, name).id)

    @staticmethod
    def delivery_headers(settings, event_name: str, delivery_id: str, body: bytes) -> dict[str, str]:
        if not settings.github_webhook_secret:
            raise ValueError("GITHUB_WEBHOOK_SECRET is not set; it is needed to sign the payload")
        return {"X-GitHub-Event": event_name, "X-GitHub-Delivery": delivery_id,
                "X-Hub-Signature-256": sha256_signature(settings.github_webhook_secret, body)}

    def __init__(self, settings, installation_id: int | None = None):
        super().__init__()
        self.settings = settings
        self.installation_id = installation_id
        api_host = urlparse(settings.github_api_url).hostname or "api.github.com"
        self.web_host = "github.com" if api_host == "api.github.com" else api_host  # Enterprise: same host
        self.is_app = bool(settings.github_app_id and settings.github_private_key and installation_id)
        self.gh = _client(settings.github_api_url, settings.github_token, settings.github_app_id,
                          settings.github_private_key, installation_id if self.is_app else None)
        # One budget per installation (or token), shared through Redis by every worker writing as it.
        key = budget_key(self.platform, settings.github_api_url, installation_id if self.is_app else None,
                         settings.github_token)
        self.budget = WriteBudget(settings.redis_url, key, settings.github_write_burst,
                                  settings.github_write_interval)

    def _write(self, what: str):
        """A write call: a token from the write budget, then translated like every call."""
        return self._paced(_api(what))

    def _repo(self, repository: str):
        return self.gh.get_repo(repository)  # the client is lazy: no request here

    def _issue(self, repository: str, number: int):
        return self._repo(repository).get_issue(number)  # lazy: no request until used

    def get_issue(self, repository, number):
        with _api("read issue"):
            return self._as_issue(repository, self._issue(repository, number))

    def edit_issue(self, repository, number, *, title=None, body=None, state=None):
        changes = {k: v for k, v in (("title", title), ("body", body), ("state", state)) if v is not None}
        with self._write("edit issue"):
            self._issue(repository, number).edit(**changes)

    def write_issue(self, before, after):
        """One edit for body, state, labels and assignees. Labels and assignees are sent whole (GitHub's
        set-labels), from the read `update_issue` made just before: a person's change since is kept."""
        changes: dict = {}
        if after.body != before.body:
            changes["body"] = after.body
        if after.state != before.state:
            changes["state"] = after.state
        if any(label_changes(before.labels, after.labels)):
            changes["labels"] = list(after.labels)
        if added_logins(before.assignees, after.assignees) or added_logins(after.assignees, before.assignees):
            changes["assignees"] = list(after.assignees)
        if not changes:
            return
        try:
            with self._write("edit issue"):
                self._issue(before.repository, before.number).edit(**changes)
        except ForgeError as exc:
            if exc.status != 422 or "assignees" not in changes:
                raise
            # One login on the list cannot be assigned (someone who left, say), and GitHub refuses the whole
            # edit for it: the rest goes without the list, and the new people by the call that skips them.
            del changes["assignees"]
            if changes:
                with self._write("edit issue"):
                    self._issue(before.repository, before.number).edit(**changes)
            self.assign(before.repository, before.number, added_logins(before.assignees, after.assignees))

    def list_issues(self, repository, label, since=None):
        with _api("list issues"):
            raws = self._repo(repository).get_issues(state="all", labels=[label], **({"since": since} if since else {}))
            # A pull request is told by its page's URL: reading `raw.pull_request` of an issue (absent from the
            # list's data) makes PyGithub fetch that issue again, one call per issue listed.
            return [self._as_issue(repository, raw) for raw in raws if "/pull/" not in (raw.html_url or "")]

    def _as_issue(self, repository, raw) -> Issue:
        return Issue(repository=repository, number=raw.number, title=raw.title or "", body=raw.body or "",
                     state=raw.state, labels=tuple(label.name for label in raw.labels), author=raw.user.login,
                     url=raw.html_url, created_at=raw.created_at, closed_at=raw.closed_at,
                     assignees=tuple(a.login for a in raw.assignees))

    def create_issue(self, repository, title, body, labels=(), assignees=(), incident=False):
        with self._write("create issue"):
            raw = self._repo(repository).create_issue(title=title, body=body, labels=list(labels),
                                                      assignees=list(assignees))
            return self._as_issue(repository, raw)

    def add_labels(self, repository, number, labels: Iterable[str]):
        with self._write("add labels"):
            self._issue(repository, number).add_to_labels(*labels)

    def remove_label(self, repository, number, label):
        try:
            with self._write("remove label"):
                self._issue(repository, number).remove_from_labels(label)
        except ForgeError as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise

    def list_comments(self, repository, number, merge_request=False):  # PR comments are issue comments
        with _api("list comments"):
            return [Comment(id=c.id, body=c.body or "", author=c.user.login, handle=c)
                    for c in self._issue(repository, number).get_comments()]

    def create_comment(self, repository, number, body, merge_request=False):
        with self._write("create comment"):
            c = self._issue(repository, number).create_comment(body)
            return Comment(id=c.id, body=body, author=self.bot_login if self.settings.bot_login else "", handle=c)

    def edit_comment(self, repository, number, comment, body, merge_request=False):
        with self._write("edit comment"):
            if comment.handle is not None:
                comment.handle.edit(body)
            else:  # by id alone: one call, no read of the comment first
                self.gh.requester.requestJsonAndCheck("PATCH", f"/repos/{repository}/issues/comments/{comment.id}",
                                                      input={"body": body})

    def read_file(self, repository, path):
        try:
            with _api("read file"):
                return self._repo(repository).get_contents(path).decoded_content.decode("utf-8", "replace")
        except ForgeError as exc:
            if exc.status == 404:
                return None
            raise

    def permission(self, repository, login):
        try:
            with _api("read permission"):
                _, data = self.gh.requester.requestJsonAndCheck(
                    "GET", f"/repos/{repository}/collaborators/{quote(login, safe='')}/permission")
        except ForgeError as exc:
            if exc.status in NO_ACCESS and not isinstance(exc, TransientForgeError):
                return "none"
            raise
        return _role(data)

    def members(self, repository):
        try:
            with _api("list collaborators"):  # everyone with access: direct, by team, by org base role
                _, data = self.gh.requester.requestJsonAndCheck(
                    "GET", f"/repos/{repository}/collaborators", parameters={"per_page": 100})
        except ForgeError as exc:
            if exc.status in NO_ACCESS and not isinstance(exc, TransientForgeError):
                return None  # listing needs push access; asking per person does not
            raise
        return {item["login"].lower(): _role({"role_name": item.get("role_name"), "user": item})
                for item in data or []}

    def get_merge_request(self, repository, number):
        with _api("read pull request"):
            return self._as_merge_request(repository, self._repo(repository).get_pull(number))

    def merge_request_commit_messages(self, repository, number):
        # One page (per_page=100, the API's maximum; it lists at most 250): one call per event.
        with _api("list pull request commits"):
            return [c.commit.message or "" for c in self._repo(repository).get_pull(number).get_commits().get_page(0)]

    def set_commit_status(self, repository, sha, state, context, description, target_url=None):
        with self._write("set commit status"):
            self._repo(repository).get_commit(sha).create_status(
                state=state, context=context, description=description[:140],
                **({"target_url": target_url} if target_url else {}))

    def publish_check(self, repository, sha, name, conclusion, title, summary, details_url=None):
        if self.is_app:  # check runs need an App; they can say "neutral"
            with self._write("create check run"):
                self._repo(repository).create_check_run(
                    name=name, head_sha=sha, status="completed", conclusion=conclusion,
                    output={"title": title[:255], "summary": summary[:65000]},
                    **({"details_url": details_url} if details_url else {}))
            return
        state = "failure" if conclusion == "failure" else "success"  # statuses have no neutral
        self.set_commit_status(repository, sha, state, name, title, details_url)

    def issue_url(self, repository, number):
        return f"https://{self.web_host}/{repository}/issues/{number}"

    def default_branch(self, repository):
        with _api("read repository"):
            return self._repo(repository).default_branch

    def ensure_branch(self, repository, branch, from_branch):
        repo = self._repo(repository)
        try:
            with _api("read branch"):
                repo.get_branch(branch)
            return
        except ForgeError as exc:
            if exc.status != 404:
                raise
        with self._write("create branch"):
            sha = repo.get_branch(from_branch).commit.sha
            try:
                repo.create_git_ref(f"refs/heads/{branch}", sha)
            except GithubException as exc:
                if exc.status != 422:  # created meanwhile by an earlier try: that is what we wanted
                    raise

    def put_file(self, repository, branch, path, content, message):
        repo = self._repo(repository)
        try:
            with _api("read file"):
                existing = repo.get_contents(path, ref=branch)
        except ForgeError as exc:
            if exc.status != 404:
                raise
            with self._write("create file"):
                repo.create_file(path, message, content, branch=branch)
            return True
        if existing.decoded_content.decode("utf-8", "replace") == content:
            return False
        with self._write("update file"):
            repo.update_file(path, message, content, existing.sha, branch=branch)
        return True

    def _as_merge_request(self, repository, pr) -> MergeRequest:
        return MergeRequest(repository=repository, number=pr.number, title=pr.title or "", body=pr.body or "",
                            state="merged" if pr.merged_at else pr.state, url=pr.html_url,
                            merged_at=pr.merged_at, head_sha=pr.head.sha)

    def find_merge_request(self, repository, source_branch):
        owner = repository.split("/")[0]
        with _api("list pull requests"):
            for pr in self._repo(repository).get_pulls(state="open", head=f"{owner}:{source_branch}"):
                return self._as_merge_request(repository, pr)
        return None

    def open_draft_merge_request(self, repository, source_branch, target_branch, title, body):
        with self._write("create pull request"):
            pr = self._repo(repository).create_pull(base=target_branch, head=source_branch, title=title,
                                                    body=body, draft=True)
        return self._as_merge_request(repository, pr)

    def list_labels(self, repository):
        with _api("list labels"):
            return [label.name for label in self._repo(repository).get_labels()]

    def create_label(self, repository, name, colour, description):
        try:
            with self._write("create label"):
                self._repo(repository).create_label(name, colour, description)
        except ForgeError as exc:
            if exc.status != 422:  # "already_exists": made meanwhile, or differing only in case
                raise
            return False
        return True

    def open_merge_request(self, repository, source_branch, target_branch, title, body):
        with self._write("create pull request"):
            pr = self._repo(repository).create_pull(base=target_branch, head=source_branch, title=title, body=body)
        return self._as_merge_request(repository, pr)

    def assign(self, repository, number, logins):
        with self._write("assign"):
            self._issue(repository, number).add_to_assignees(*logins)

    def is_team_member(self, team, login):
        org, _, slug = team.partition("/")
        try:
            with _api("read team membership"):
                membership = self.gh.get_organization(org).get_team_by_slug(slug).get_team_membership(login)
        except ForgeError as exc:
            if exc.status == 404:
                return False
            raise
        return membership.state == "active"

    def identity_key(self) -> str:
        if self.is_app:  # every installation of the App writes as the App
            return f"github:{self.settings.github_api_url}:app:{self.settings.github_app_id}"
        return f"github:{self.settings.github_api_url}:token:{self.settings.github_token}"

    def fetch_bot_login(self) -> str:
        with _api("read bot identity"):
            if self.is_app:
                app_gh = Github(auth=Auth.AppAuth(self.settings.github_app_id, self.settings.github_private_key),
                                base_url=self.settings.github_api_url, retry=None)
                return f"{app_gh.get_app().slug}[bot]"
            return self.gh.get_user().login
