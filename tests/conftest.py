"""Shared fixtures: a real Redis and database, signed webhook posts, a burst worker, faked forge APIs.

Redis is `REDIS_URL` when set, else an embedded redis-server started for the session.
The database is `DATABASE_URL` when set, else a SQLite file. Only forge HTTP APIs are faked.
"""
from __future__ import annotations

import base64
import copy
import json
import os
import uuid
from pathlib import Path

import pytest
import responses
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import text

from incident_desk.settings import Settings
from incident_desk.signing import sha256_signature as github_signature

FIXTURES = Path(__file__).parent / "fixtures"
GITHUB_API = "https://api.github.com"
# PyGithub spells out the port on every request it sends; mocks match what is sent.
GITHUB_REST = "https://api.github.com:443"
GITLAB_URL = "https://gitlab.example.com"
GITHUB_SECRET = "github-test-secret"
GITLAB_SECRET = "gitlab-test-secret"
BOT_LOGIN = "incident-desk-bot"
GITLAB_EVENTS = {"issue": "Issue Hook", "note": "Note Hook", "merge_request": "Merge Request Hook"}


def load_fixture(platform: str, name: str) -> dict:
    """A real payload from tests/fixtures/<platform>/<name>.json, as a fresh dict to modify."""
    return copy.deepcopy(json.loads((FIXTURES / platform / f"{name}.json").read_text()))


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    from worker.embedded_redis import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    from store import migrate

    url = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate(url)
    return url


@pytest.fixture
def redis_conn(redis_url):
    from worker.queue import connection

    conn = connection(redis_url)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def store(database_url):
    from store import Store
    from store.models import Base

    s = Store(database_url)
    with s.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    yield s
    s.engine.dispose()


@pytest.fixture
def settings(monkeypatch, redis_url, database_url, redis_conn):
    """Settings for a test; also put in the environment, where worker jobs read them."""
    env = {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET, "GITHUB_TOKEN": "ghp_test", "GITHUB_API_URL": GITHUB_API,
        "GITLAB_URL": GITLAB_URL, "GITLAB_TOKEN": "glpat-test", "GITLAB_WEBHOOK_SECRET": GITLAB_SECRET,
        "REDIS_URL": redis_url, "DATABASE_URL": database_url, "INCIDENT_DESK_BOT_LOGIN": BOT_LOGIN,
        "INCIDENT_DESK_RETRY_BASE_SECONDS": "0", "INCIDENT_DESK_GITHUB_WRITE_INTERVAL": "0", "INCIDENT_DESK_MAX_ATTEMPTS": "4",
    }
    for key in ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "PUBLIC_URL", "SMTP_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture
def app(settings, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": settings, "TESTING": True})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fake_api():
    """For the stateful fakes: unexpected calls still fail, but not every route must be used."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def api():
    """Faked forge HTTP APIs; a test fails on a call it did not expect or an expected call not made."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def post_github(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                secret: str = GITHUB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
                   "X-Hub-Signature-256": github_signature(secret, body), "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/github", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def post_gitlab(client, event: str, payload: dict | bytes, delivery_id: str | None = None,
                token: str | None = GITLAB_SECRET, **headers):
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {"X-Gitlab-Event": event, "X-Gitlab-Event-UUID": delivery_id or str(uuid.uuid4()),
                   "X-Gitlab-Token": token, "Content-Type": "application/json"}
    all_headers.update(headers)
    return client.post("/webhooks/gitlab", data=body, headers={k: v for k, v in all_headers.items() if v is not None})


def run_worker(redis_conn) -> bool:
    """Process every queued job (and due retries) in this process, as `incident-desk worker --burst` does."""
    from worker.queue import DELIVERIES

    worker = SimpleWorker([DELIVERIES], connection=redis_conn, serializer=JSONSerializer)
    return worker.work(burst=True, with_scheduler=True, logging_level="WARNING")


def github_repo_config(api, repository="Codertocat/Hello-World", text: str | None = None):
    """Expect the bot to read the repository's config file (absent unless `text` is given)."""
    url = f"{GITHUB_REST}/repos/{repository}/contents/.github/incident-desk.yml"
    if text is None:
        api.get(url, status=404, json={"message": "Not Found", "documentation_url": "https://docs.github.com"})
    else:
        api.get(url, json={"type": "file", "encoding": "base64", "name": "incident-desk.yml",
                           "path": ".github/incident-desk.yml", "sha": "0" * 40, "size": len(text),
                           "content": base64.b64encode(text.encode()).decode()})


def gitlab_repo_config(api, project="gitlabhq/gitlab-test", text: str | None = None):
    url = f"{GITLAB_URL}/api/v4/projects/{project.replace('/', '%2F')}/repository/files/.gitlab%2Fincident-desk.yml/raw"
    if text is None:
        api.get(url, status=404, json={"message": "404 File Not Found"})
    else:
        api.get(url, body=text.encode())


# GitHub's roles, lowest to highest, and what its legacy `permission` field calls each (maintain -> write,
# triage -> read: GET /repos/{owner}/{repo}/collaborators/{username}/permission).
GITHUB_ROLES = ("read", "triage", "write", "maintain", "admin")
LEGACY_PERMISSION = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}


def github_permission_json(login: str, role: str, base_role: str | None = None) -> dict:
    """GitHub's answer to the collaborator-permission request: the legacy `permission`, the `role_name`
    (a custom role's own name, with `base_role` its base) and the collaborator `user` with its permissions hash."""
    base = base_role or role
    user = load_fixture("github", "issues__opened")["sender"]
    user.update(login=login, url=f"{GITHUB_API}/users/{login}", html_url=f"https://github.com/{login}",
                role_name=role, permissions={key: GITHUB_ROLES.index(base) >= GITHUB_ROLES.index(name)
                                             for key, name in (("pull", "read"), ("triage", "triage"),
                                                               ("push", "write"), ("maintain", "maintain"),
                                                               ("admin", "admin"))})
    return {"permission": LEGACY_PERMISSION[base], "role_name": role, "user": user}


def request_json(call) -> dict:
    body = call.request.body
    return json.loads(body.decode() if isinstance(body, bytes) else body)


# ---------------------------------------------------------------- stateful forge fakes
# For scenarios of many steps, the forge's REST API is faked over a small in-memory set of
# issues; JSON bodies start from the real webhook fixtures' objects. Every request stays in
# `api.calls` for assertions.

import re  # noqa: E402
from urllib.parse import parse_qs, unquote, urlparse  # noqa: E402


def _now_iso() -> str:
    from datetime import datetime, timezone

    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


class FakeGitHub:
    """Issues, labels, comments, assignees, permissions and config files of GitHub repositories."""

    def __init__(self, api, files: dict | None = None, permissions: dict | None = None):
        self.api, self.files, self.permissions = api, files or {}, permissions or {}
        self.issues: dict[tuple[str, int], dict] = {}
        self.comments: dict[tuple[str, int], list[dict]] = {}
        self.commits: list[dict] = []
        self.next_comment = 1000
        base = re.escape(GITHUB_REST) + r"/repos/(?P<repo>[^/]+/[^/]+)"
        routes = [
            ("GET", r"/issues/(?P<n>\d+)$", self._get_issue), ("PATCH", r"/issues/(?P<n>\d+)$", self._edit_issue),
            ("POST", r"/issues$", self._create_issue), ("POST", r"/issues/(?P<n>\d+)/labels$", self._add_labels),
            ("DELETE", r"/issues/(?P<n>\d+)/labels/(?P<label>.+)$", self._remove_label),
            ("GET", r"/issues/(?P<n>\d+)/comments$", self._list_comments),
            ("POST", r"/issues/(?P<n>\d+)/comments$", self._add_comment),
            ("PATCH", r"/issues/comments/(?P<id>\d+)$", self._edit_comment),
            ("POST", r"/issues/(?P<n>\d+)/assignees$", self._assign),
            ("GET", r"/collaborators/(?P<user>[^/]+)/permission$", self._permission),
            ("GET", r"/contents/(?P<path>.+)$", self._file),
            ("GET", r"/pulls/(?P<n>\d+)$", self._get_pull),
            ("POST", r"/statuses/(?P<sha>[0-9a-f]+)$", self._status),
            ("GET", r"$", self._get_repo),
            ("GET", r"/branches/(?P<branch>.+)$", self._get_branch),
            ("POST", r"/git/refs$", self._create_ref),
            ("PUT", r"/contents/(?P<path>.+)$", self._put_file),
            ("GET", r"/pulls$", self._list_pulls),
            ("POST", r"/pulls$", self._create_pull),
        ]
        self.branches: set[tuple[str, str]] = set()
        self.fail_branch_creation = 0  # answer 502 this many times first
        self.pulls: dict[tuple[str, int], dict] = {}
        self.statuses: list[dict] = []
        for method, pattern, handler in routes:
            api.add_callback(method, re.compile(base + pattern.rstrip("$") + r"(\?.*)?$"),
                             callback=self._wrap(base + pattern, handler))
        self.pull_commits: dict[tuple[str, int], list[dict]] = {}  # (repo, number) -> github_commit()s
        api.add_callback("GET", re.compile(base + r"/pulls/\d+/commits(\?.*)?$"),
                         callback=self._wrap(base + r"/pulls/(?P<n>\d+)/commits", self._list_pull_commits))

    def _list_pull_commits(self, _body, repo, n):
        return 200, self.pull_commits.get((repo, int(n)), [])

    def _wrap(self, pattern, handler):
        def callback(request):
            self._last_query = parse_qs(urlparse(request.url).query)
            match = re.match(pattern, request.url.split("?")[0])
            body = json.loads(request.body) if request.body else None
            status, data = handler(body, **{k: unquote(v) for k, v in match.groupdict().items()})
            return status, {"Content-Type": "application/json"}, json.dumps(data)
        return callback

    def add_issue(self, repo, number, title="Something", body="", labels=(), author="octocat", state="open"):
        self.issues[(repo, number)] = dict(title=title, body=body, labels=list(labels), author=author,
                                           state=state, assignees=[], created_at=_now_iso())
        self.comments.setdefault((repo, number), [])
        return self.issue_json(repo, number)

    def issue_json(self, repo, number):
        state = self.issues[(repo, number)]
        issue = load_fixture("github", "issues__opened")["issue"]
        issue.update(number=number, title=state["title"], body=state["body"], state=state["state"],
                     url=f"{GITHUB_API}/repos/{repo}/issues/{number}",
                     html_url=f"https://github.com/{repo}/issues/{number}",
                     labels=[{"id": i, "name": name} for i, name in enumerate(state["labels"])],
                     assignees=[{"login": a, "id": 1, "type": "User"} for a in state["assignees"]],
                     created_at=state["created_at"])
        issue["user"]["login"] = state["author"]
        return issue

    def _get_issue(self, _body, repo, n):
        return (200, self.issue_json(repo, int(n))) if (repo, int(n)) in self.issues else (404, {"message": "Not Found"})

    def _edit_issue(self, body, repo, n):
        self.issues[(repo, int(n))].update({k: v for k, v in body.items() if k in ("title", "body", "state")})
        return 200, self.issue_json(repo, int(n))

    def _create_issue(self, body, repo):
        number = 1 + max([n for (r, n) in self.issues if r == repo], default=0)
        self.add_issue(repo, number, body["title"], body.get("body", ""), body.get("labels", []), BOT_LOGIN)
        self.issues[(repo, number)]["assignees"] = list(body.get("assignees", []))
        return 201, self.issue_json(repo, number)

    def _add_labels(self, body, repo, n):
        labels = self.issues[(repo, int(n))]["labels"]
        labels += [label for label in (body if isinstance(body, list) else body["labels"]) if label not in labels]
        return 200, [{"name": name} for name in labels]

    def _remove_label(self, _body, repo, n, label):
        labels = self.issues[(repo, int(n))]["labels"]
        if label not in labels:
            return 404, {"message": "Label does not exist"}
        labels.remove(label)
        return 200, [{"name": name} for name in labels]

    def comment_json(self, repo, comment):
        data = load_fixture("github", "issue_comment__created")["comment"]
        data.update(id=comment["id"], body=comment["body"],
                    url=f"{GITHUB_API}/repos/{repo}/issues/comments/{comment['id']}")
        data["user"]["login"] = comment["author"]
        return data

    def _list_comments(self, _body, repo, n):
        return 200, [self.comment_json(repo, c) for c in self.comments[(repo, int(n))]]

    def _add_comment(self, body, repo, n):
        self.next_comment += 1
        comment = {"id": self.next_comment, "body": body["body"], "author": BOT_LOGIN}
        self.comments[(repo, int(n))].append(comment)
        return 201, self.comment_json(repo, comment)

    def _edit_comment(self, body, repo, id):
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == int(id):
                    comment["body"] = body["body"]
                    return 200, self.comment_json(repo, comment)
        return 404, {"message": "Not Found"}

    def _assign(self, body, repo, n):
        self.issues[(repo, int(n))]["assignees"] += body["assignees"]
        return 201, self.issue_json(repo, int(n))

    def _permission(self, _body, repo, user):
        # `permissions` maps a login (any repository) or a (repository, login) pair to a GitHub role.
        level = self.permissions.get((repo, user), self.permissions.get(user, "none"))
        return (200, github_permission_json(user, level)) if level != "none" else (404, {"message": "Not Found"})

    def _file(self, _body, repo, path):
        text = self.files.get((repo, path))
        if text is None:
            return 404, {"message": "Not Found"}
        return 200, {"type": "file", "encoding": "base64", "name": path.split("/")[-1], "path": path,
                     "sha": "0" * 40, "size": len(text), "content": base64.b64encode(text.encode()).decode()}

    def add_pull(self, repo, number, title, body="", merged_at=None, sha="ec26c3e57ca3a959ca5aad62de7213c562f8c821"):
        """A pull request (numbers are shared with issues, so its comments live there too)."""
        self.pulls[(repo, number)] = dict(title=title, body=body, merged_at=merged_at, sha=sha)
        self.comments.setdefault((repo, number), [])

    def pull_json(self, repo, number):
        state = self.pulls[(repo, number)]
        pull = load_fixture("github", "pull_request__closed_merged")["pull_request"]
        pull.update(number=number, title=state["title"], body=state["body"], merged_at=state["merged_at"],
                    merged=state["merged_at"] is not None, state="closed" if state["merged_at"] else "open",
                    url=f"{GITHUB_API}/repos/{repo}/pulls/{number}", html_url=f"https://github.com/{repo}/pull/{number}")
        pull["head"]["sha"] = state["sha"]
        return pull

    def _get_pull(self, _body, repo, n):
        return (200, self.pull_json(repo, int(n))) if (repo, int(n)) in self.pulls else (404, {"message": "Not Found"})

    def _status(self, body, repo, sha):
        self.statuses.append(dict(body, repository=repo, sha=sha))
        return 201, dict(body, id=len(self.statuses))

    def _get_repo(self, _body, repo):
        data = load_fixture("github", "issues__opened")["repository"]
        data.update(full_name=repo, default_branch="main", url=f"{GITHUB_API}/repos/{repo}")
        return 200, data

    def _get_branch(self, _body, repo, branch):
        if branch != "main" and (repo, branch) not in self.branches:
            return 404, {"message": "Branch not found"}
        return 200, {"name": branch, "commit": {"sha": "c" * 40, "url": f"{GITHUB_API}/repos/{repo}/commits/{'c' * 40}"}}

    def _create_ref(self, body, repo):
        if self.fail_branch_creation:
            self.fail_branch_creation -= 1
            return 502, {"message": "Bad gateway"}
        branch = body["ref"].removeprefix("refs/heads/")
        if (repo, branch) in self.branches:
            return 422, {"message": "Reference already exists"}
        self.branches.add((repo, branch))
        return 201, {"ref": body["ref"], "object": {"sha": body["sha"], "type": "commit"}}

    def _put_file(self, body, repo, path):
        text = base64.b64decode(body["content"]).decode()
        self.files[(repo, path)] = text
        self.commits.append({"repository": repo, "path": path, "branch": body.get("branch"), "message": body["message"]})
        content = {"type": "file", "name": path.split("/")[-1], "path": path, "sha": str(len(self.commits)) * 3}
        return 200, {"content": content, "commit": {"sha": "d" * 40}}

    def _list_pulls(self, _body, repo):
        query = self._last_query
        head = query.get("head", [""])[0].split(":")[-1]
        return 200, [self.pull_json(r, n) for (r, n), pull in self.pulls.items()
                     if r == repo and pull.get("head_ref") == head and pull["merged_at"] is None]

    def _create_pull(self, body, repo):
        number = 1 + max([n for (r, n) in list(self.pulls) + list(self.issues) if r == repo], default=0)
        self.add_pull(repo, number, body["title"], body.get("body", ""))
        self.pulls[(repo, number)].update(head_ref=body["head"], base=body["base"], draft=body.get("draft", False))
        return 201, self.pull_json(repo, number)

    def pull_request_event(self, repo, number, action, sender="alice"):
        payload = load_fixture("github", "pull_request__closed_merged" if action == "closed" else "pull_request__opened")
        payload["action"] = action
        payload["pull_request"] = self.pull_json(repo, number)
        payload["number"] = number
        payload["repository"]["full_name"] = repo
        payload["sender"]["login"] = sender
        return payload

    # -- webhooks describing the fake's current state
    def issues_event(self, repo, number, action, sender, **extra):
        payload = load_fixture("github", "issues__opened")
        payload.update(action=action, issue=self.issue_json(repo, number), **extra)
        payload["repository"]["full_name"] = repo
        payload["sender"]["login"] = sender
        return payload

    def comment_event(self, repo, number, sender, body):
        payload = load_fixture("github", "issue_comment__created")
        payload["issue"] = self.issue_json(repo, number)
        payload["comment"]["body"] = body
        payload["comment"]["user"]["login"] = sender
        # Each comment gets its own id and time, as on GitHub (commands are recorded per comment).
        self.next_comment += 1
        payload["comment"].update(id=self.next_comment, created_at=_now_iso(), updated_at=_now_iso(),
                                  html_url=f"https://github.com/{repo}/issues/{number}#issuecomment-{self.next_comment}")
        payload["repository"]["full_name"] = repo
        payload["sender"]["login"] = sender
        return payload

    def bot_comments(self, repo, number):
        return [c["body"] for c in self.comments[(repo, number)]]


class FakeGitLab:
    """Issues, labels, notes, members and files of GitLab projects (API v4)."""

    def __init__(self, api, files: dict | None = None, access: dict | None = None):
        self.api, self.files, self.access = api, files or {}, access or {}
        self.issues: dict[tuple[str, int], dict] = {}
        self.notes: dict[tuple[str, int], list[dict]] = {}
        self.users = {}
        self.next_note = 5000
        base = re.escape(GITLAB_URL) + r"/api/v4"
        project = base + r"/projects/(?P<project>[^/]+)"
        routes = [
            ("GET", project + r"/issues/(?P<n>\d+)$", self._get_issue),
            ("PUT", project + r"/issues/(?P<n>\d+)$", self._edit_issue),
            ("POST", project + r"/issues$", self._create_issue),
            ("GET", project + r"/issues/(?P<n>\d+)/notes$", self._list_notes),
            ("POST", project + r"/issues/(?P<n>\d+)/notes$", self._add_note),
            ("PUT", project + r"/issues/(?P<n>\d+)/notes/(?P<id>\d+)$", self._edit_note),
            ("GET", project + r"/members/all/(?P<uid>\d+)$", self._member),
            ("GET", project + r"/repository/files/(?P<path>[^/]+)/raw$", self._file),
            ("GET", base + r"/users$", self._find_user),
            ("GET", project + r"/merge_requests/(?P<n>\d+)$", self._get_mr),
            ("GET", project + r"/merge_requests/(?P<n>\d+)/notes$", self._list_mr_notes),
            ("POST", project + r"/merge_requests/(?P<n>\d+)/notes$", self._add_mr_note),
            ("PUT", project + r"/merge_requests/(?P<n>\d+)/notes/(?P<id>\d+)$", self._edit_mr_note),
            ("POST", project + r"/statuses/(?P<sha>[0-9a-f]+)$", self._status),
            ("GET", project + r"$", self._get_project),
            ("GET", project + r"/repository/branches/(?P<branch>[^/]+)$", self._get_branch),
            ("POST", project + r"/repository/branches$", self._create_branch),
            ("GET", project + r"/repository/files/(?P<path>[^/]+)$", self._get_file),
            ("POST", project + r"/repository/files/(?P<path>[^/]+)$", self._write_file),
            ("PUT", project + r"/repository/files/(?P<path>[^/]+)$", self._write_file),
            ("GET", project + r"/merge_requests$", self._list_mrs),
            ("POST", project + r"/merge_requests$", self._create_mr),
        ]
        self.branches: set[tuple[str, str]] = set()
        self.commits: list[dict] = []
        self.fail_branch_creation = 0
        self.mrs: dict[tuple[str, int], dict] = {}
        self.statuses: list[dict] = []
        for method, pattern, handler in routes:
            api.add_callback(method, re.compile(pattern.rstrip("$") + r"(\?.*)?$"), callback=self._wrap(pattern, handler))
        self.mr_commits: dict[tuple[str, int], list[dict]] = {}  # (project, iid) -> gitlab_commit()s, newest first
        commits = project + r"/merge_requests/(?P<n>\d+)/commits"
        api.add_callback("GET", re.compile(commits + r"(\?.*)?$"), callback=self._wrap(commits, self._list_mr_commits))

    def _list_mr_commits(self, _body, query, project, n):
        return 200, self.mr_commits.get((project, int(n)), [])

    def _wrap(self, pattern, handler):
        def callback(request):
            url = urlparse(request.url)
            match = re.match(pattern, f"{url.scheme}://{url.netloc}{url.path}")
            body = json.loads(request.body) if request.body else None
            args = {k: unquote(v) for k, v in match.groupdict().items()}
            status, data = handler(body, query=parse_qs(url.query), **args)
            if isinstance(data, bytes):
                return status, {"Content-Type": "text/plain"}, data
            return status, {"Content-Type": "application/json"}, json.dumps(data)
        return callback

    def user_id(self, username):
        return self.users.setdefault(username, 100 + len(self.users))

    def add_issue(self, project, iid, title="Something", body="", labels=(), author="root", state="opened"):
        self.issues[(project, iid)] = dict(title=title, description=body, labels=list(labels), author=author,
                                           state=state, assignee_ids=[], created_at=_now_iso())
        self.notes.setdefault((project, iid), [])

    def issue_json(self, project, iid):
        state = self.issues[(project, iid)]
        return {"id": iid + 9000, "iid": iid, "project_id": 1, "title": state["title"],
                "description": state["description"], "state": state["state"], "labels": list(state["labels"]),
                "author": {"username": state["author"], "id": self.user_id(state["author"])},
                "assignees": [{"id": i, "username": next(u for u, v in self.users.items() if v == i)}
                              for i in state["assignee_ids"]],
                "web_url": f"{GITLAB_URL}/{project}/-/issues/{iid}", "created_at": state["created_at"],
                "closed_at": None}

    def _get_issue(self, _body, query, project, n):
        return (200, self.issue_json(project, int(n))) if (project, int(n)) in self.issues else (404, {"message": "404"})

    def _edit_issue(self, body, query, project, n):
        issue = self.issues[(project, int(n))]
        for label in filter(None, (body.get("add_labels") or "").split(",")):
            if label not in issue["labels"]:
                issue["labels"].append(label)
        for label in filter(None, (body.get("remove_labels") or "").split(",")):
            if label in issue["labels"]:
                issue["labels"].remove(label)
        for key in ("title", "description", "assignee_ids"):
            if key in body:
                issue[key] = body[key]
        if "state_event" in body:
            issue["state"] = "closed" if body["state_event"] == "close" else "opened"
        return 200, self.issue_json(project, int(n))

    def _create_issue(self, body, query, project):
        iid = 1 + max([n for (p, n) in self.issues if p == project], default=0)
        self.add_issue(project, iid, body["title"], body.get("description", ""),
                       [l for l in (body.get("labels") or "").split(",") if l], BOT_LOGIN)
        self.issues[(project, iid)]["assignee_ids"] = body.get("assignee_ids", [])
        return 201, self.issue_json(project, iid)

    def note_json(self, note):
        return {"id": note["id"], "body": note["body"], "system": False, "noteable_type": "Issue",
                "author": {"username": note["author"], "id": self.user_id(note["author"])},
                "created_at": "2026-11-20T14:05:00Z"}

    def _list_notes(self, _body, query, project, n):
        return 200, [self.note_json(note) for note in self.notes[(project, int(n))]]

    def _add_note(self, body, query, project, n):
        self.next_note += 1
        note = {"id": self.next_note, "body": body["body"], "author": BOT_LOGIN}
        self.notes[(project, int(n))].append(note)
        return 201, self.note_json(note)

    def _edit_note(self, body, query, project, n, id):
        note = next(note for note in self.notes[(project, int(n))] if note["id"] == int(id))
        note["body"] = body["body"]
        return 200, self.note_json(note)

    def _find_user(self, _body, query):
        name = query["username"][0]
        known = name in self.users or name in {key[-1] if isinstance(key, tuple) else key for key in self.access}
        return 200, [{"id": self.user_id(name), "username": name}] if known else []

    def _member(self, _body, query, project, uid):
        name = next((u for u, v in self.users.items() if v == int(uid)), None)
        # `access` maps a username (any project) or a (project, username) pair to an access level.
        level = self.access.get((project, name), self.access.get(name))
        return (200, {"id": int(uid), "username": name, "access_level": level}) if level else (404, {"message": "404"})

    def _file(self, _body, query, project, path):
        text = self.files.get((project, path))
        return (200, text.encode()) if text is not None else (404, {"message": "404 File Not Found"})

    def add_mr(self, project, iid, title, body="", merged_at=None, sha="da1560886d4f094c3e6c9ef40349f7d38b5d27d7"):
        self.mrs[(project, iid)] = dict(title=title, description=body, merged_at=merged_at, sha=sha, notes=[])

    def mr_json(self, project, iid):
        mr = self.mrs[(project, iid)]
        return {"id": iid + 7000, "iid": iid, "title": mr["title"], "description": mr["description"],
                "state": "merged" if mr["merged_at"] else "opened", "merged_at": mr["merged_at"], "sha": mr["sha"],
                "web_url": f"{GITLAB_URL}/{project}/-/merge_requests/{iid}"}

    def _get_mr(self, _body, query, project, n):
        return (200, self.mr_json(project, int(n))) if (project, int(n)) in self.mrs else (404, {"message": "404"})

    def _list_mr_notes(self, _body, query, project, n):
        return 200, [self.note_json(note) for note in self.mrs[(project, int(n))]["notes"]]

    def _add_mr_note(self, body, query, project, n):
        self.next_note += 1
        note = {"id": self.next_note, "body": body["body"], "author": BOT_LOGIN}
        self.mrs[(project, int(n))]["notes"].append(note)
        return 201, self.note_json(note)

    def _edit_mr_note(self, body, query, project, n, id):
        note = next(note for note in self.mrs[(project, int(n))]["notes"] if note["id"] == int(id))
        note["body"] = body["body"]
        return 200, self.note_json(note)

    def _status(self, body, query, project, sha):
        self.statuses.append(dict(body, project=project, sha=sha))
        return 201, dict(body, id=len(self.statuses))

    def _get_project(self, _body, query, project):
        return 200, {"id": 42, "path_with_namespace": project, "default_branch": "main",
                     "web_url": f"{GITLAB_URL}/{project}"}

    def _get_branch(self, _body, query, project, branch):
        if branch != "main" and (project, branch) not in self.branches:
            return 404, {"message": "404 Branch Not Found"}
        return 200, {"name": branch, "commit": {"id": "c" * 40}}

    def _create_branch(self, body, query, project):
        if self.fail_branch_creation:
            self.fail_branch_creation -= 1
            return 502, {"message": "502 Bad Gateway"}
        if (project, body["branch"]) in self.branches:
            return 400, {"message": "Branch already exists"}
        self.branches.add((project, body["branch"]))
        return 201, {"name": body["branch"], "commit": {"id": "c" * 40}}

    def _get_file(self, _body, query, project, path):
        text = self.files.get((project, path))
        if text is None:
            return 404, {"message": "404 File Not Found"}
        return 200, {"file_name": path.split("/")[-1], "file_path": path, "encoding": "base64", "ref": "x",
                     "content": base64.b64encode(text.encode()).decode(), "blob_id": "b", "last_commit_id": "c"}

    def _write_file(self, body, query, project, path):
        self.files[(project, path)] = body["content"]
        self.commits.append({"repository": project, "path": path, "branch": body["branch"],
                             "message": body["commit_message"]})
        return 201, {"file_path": path, "branch": body["branch"]}

    def _list_mrs(self, _body, query, project):
        branch = query.get("source_branch", [""])[0]
        return 200, [self.mr_json(p, n) for (p, n), mr in self.mrs.items()
                     if p == project and mr.get("source_branch") == branch and not mr["merged_at"]]

    def _create_mr(self, body, query, project):
        iid = 1 + max([n for (p, n) in self.mrs if p == project], default=0)
        self.add_mr(project, iid, body["title"], body.get("description", ""))
        self.mrs[(project, iid)].update(source_branch=body["source_branch"], target_branch=body["target_branch"])
        return 201, self.mr_json(project, iid)

    def merge_request_event(self, project, iid, action, sender="alice"):
        payload = load_fixture("gitlab", "merge_request__merge" if action == "merge" else "merge_request__open")
        mr = self.mrs[(project, iid)]
        payload["object_attributes"].update(iid=iid, title=mr["title"], description=mr["description"], action=action,
                                            state="merged" if action == "merge" else "opened",
                                            url=f"{GITLAB_URL}/{project}/-/merge_requests/{iid}")
        payload["object_attributes"]["last_commit"]["id"] = mr["sha"]
        payload["project"]["path_with_namespace"] = project
        payload["user"].update(username=sender, id=self.user_id(sender))
        return payload

    def issue_event(self, project, iid, action, sender):
        payload = load_fixture("gitlab", f"issue__{'close' if action == 'close' else 'open'}")
        issue = self.issues[(project, iid)]
        payload["object_attributes"].update(iid=iid, title=issue["title"], description=issue["description"],
                                            action=action, state=issue["state"])
        payload["labels"] = [{"title": label} for label in issue["labels"]]
        payload["object_attributes"]["labels"] = payload["labels"]
        payload["project"]["path_with_namespace"] = project
        payload["user"].update(username=sender, id=self.user_id(sender))
        payload.pop("changes", None)
        return payload

    def note_event(self, project, iid, sender, body):
        payload = load_fixture("gitlab", "note__issue")
        issue = self.issues[(project, iid)]
        payload["object_attributes"]["note"] = body
        self.next_note += 1  # each note its own id and time, as on GitLab
        payload["object_attributes"].update(id=self.next_note, created_at=_now_iso(),
                                            url=f"{GITLAB_URL}/{project}/-/issues/{iid}#note_{self.next_note}")
        payload["issue"].update(iid=iid, title=issue["title"], description=issue["description"],
                                labels=[{"title": label} for label in issue["labels"]])
        payload["project"]["path_with_namespace"] = project
        payload["user"].update(username=sender, id=self.user_id(sender))
        return payload

    def bot_notes(self, project, iid):
        return [note["body"] for note in self.notes[(project, iid)]]


def github_commit(repo: str, sha: str, message: str) -> dict:
    """One entry of GET /repos/{o}/{r}/pulls/{n}/commits, in GitHub's documented shape."""
    person = {"name": "Monalisa Octocat", "email": "support@github.com", "date": "2026-11-20T14:10:00Z"}
    user = {"login": "octocat", "id": 1, "type": "User", "site_admin": False}
    api = f"{GITHUB_API}/repos/{repo}"
    return {"url": f"{api}/commits/{sha}", "sha": sha, "node_id": "C_kwDOAJy2KNoAKA",
            "html_url": f"https://github.com/{repo}/commit/{sha}", "comments_url": f"{api}/commits/{sha}/comments",
            "commit": {"url": f"{api}/git/commits/{sha}", "author": person, "committer": person, "message": message,
                       "tree": {"url": f"{api}/tree/{sha}", "sha": sha}, "comment_count": 0,
                       "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None}},
            "author": user, "committer": user, "parents": []}


def gitlab_commit(project: str, sha: str, message: str) -> dict:
    """One entry of GET /projects/:id/merge_requests/:iid/commits, in GitLab's documented shape."""
    at = "2026-11-20T14:10:00.000Z"
    return {"id": sha, "short_id": sha[:8], "created_at": at, "parent_ids": [], "title": message.splitlines()[0],
            "message": message, "author_name": "Administrator", "author_email": "admin@example.com",
            "authored_date": at, "committer_name": "Administrator", "committer_email": "admin@example.com",
            "committed_date": at, "trailers": {}, "extended_trailers": {}, "web_url": f"{GITLAB_URL}/{project}/-/commit/{sha}"}


def expect_github_issue_edits(api, payload: dict, repository: str = "Codertocat/Hello-World"):
    """Expect the bot to read and rewrite the issue body (it records the declaration in the timeline)."""
    url = f"{GITHUB_REST}/repos/{repository}/issues/{payload['issue']['number']}"
    api.get(url, json=payload["issue"])
    api.patch(url, json=payload["issue"])


def expect_gitlab_issue_edits(api, payload: dict, project: str = "gitlabhq/gitlab-test"):
    attrs = payload["object_attributes"]
    url = f"{GITLAB_URL}/api/v4/projects/{project.replace('/', '%2F')}/issues/{attrs['iid']}"
    api.get(url, json={"id": attrs["id"], "iid": attrs["iid"], "title": attrs["title"],
                       "description": attrs.get("description") or "", "state": attrs["state"],
                       "labels": [label["title"] for label in payload["labels"]],
                       "author": {"username": payload["user"]["username"], "id": payload["user"]["id"]},
                       "assignees": [], "web_url": attrs["url"], "created_at": attrs["created_at"],
                       "closed_at": None})
    api.put(url, json={"iid": attrs["iid"]})


def sent(api, method: str, path_end: str) -> list:
    """JSON bodies of the requests sent with `method` to a URL whose path ends with `path_end`."""
    return [request_json(c) for c in api.calls
            if c.request.method == method and c.request.url.split("?")[0].endswith(path_end)]
