"""A stateful fake of GitLab's REST API (v4) over in-memory issues, and the canned answers tests expect.

JSON bodies follow GitLab's documented shapes. Every request stays in `api.calls` for assertions."""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, unquote, urlparse

from tests.support import BOT_LOGIN, GITLAB_URL, load_fixture, now_iso


def gitlab_repo_config(api, project="gitlabhq/gitlab-test", text: str | None = None):
    url = f"{GITLAB_URL}/api/v4/projects/{project.replace('/', '%2F')}/repository/files/.gitlab%2Fincident-desk.yml/raw"
    if text is None:
        api.get(url, status=404, json={"message": "404 File Not Found"})
    else:
        api.get(url, body=text.encode())


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
            ("GET", project + r"/members/all$", self._members),
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
            ("GET", project + r"/labels$", self._list_labels), ("POST", project + r"/labels$", self._create_label),
        ]
        self.labels: dict[str, list[dict]] = {}  # project -> its labels (with its groups') as GitLab lists them
        self.branches: set[tuple[str, str]] = set()
        self.commits: list[dict] = []
        self.fail_branch_creation = 0
        self.mrs: dict[tuple[str, int], dict] = {}
        self.statuses: list[dict] = []
        for method, pattern, handler in routes:
            api.add_callback(method, re.compile(pattern.rstrip("$") + r"(\?.*)?$"),
                             callback=self._wrap(pattern, handler))
        # (project, iid) -> startedAt of the alerts GitLab's alert management linked to the issue (GraphQL)
        self.alerts: dict[tuple[str, int], list[str]] = {}
        api.add_callback("POST", re.compile(re.escape(GITLAB_URL) + r"/api/graphql$"), callback=self._graphql)
        self.mr_commits: dict[tuple[str, int], list[dict]] = {}  # (project, iid) -> gitlab_commit()s, newest first
        commits = project + r"/merge_requests/(?P<n>\d+)/commits"
        api.add_callback("GET", re.compile(commits + r"(\?.*)?$"), callback=self._wrap(commits, self._list_mr_commits))

    def _graphql(self, request):
        """Issue.alertManagementAlerts, the one query the bot sends (GitLab's GraphQL reference shapes)."""
        variables = json.loads(request.body)["variables"]
        started = self.alerts.get((variables["project"], int(variables["iid"])), [])
        nodes = [{"iid": str(i), "startedAt": at} for i, at in enumerate(started, start=1)]
        data = {"project": {"issue": {"alertManagementAlerts": {"nodes": nodes}}}}
        return 200, {"Content-Type": "application/json"}, json.dumps({"data": data})

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
                                           state=state, assignee_ids=[], created_at=now_iso())
        self.notes.setdefault((project, iid), [])

    def issue_json(self, project, iid):
        state = self.issues[(project, iid)]
        return {"id": iid + 9000, "iid": iid, "project_id": 1, "title": state["title"],
                "description": state["description"], "state": state["state"], "labels": list(state["labels"]),
                "author": {"username": state["author"], "id": self.user_id(state["author"])},
                "assignees": [{"id": i, "username": next(u for u, v in self.users.items() if v == i)}
                              for i in state["assignee_ids"]],
                "web_url": f"{GITLAB_URL}/{project}/-/issues/{iid}", "created_at": state["created_at"],
                "closed_at": None, "issue_type": state.get("issue_type", "issue"),
                "type": state.get("issue_type", "issue").upper()}

    def _get_issue(self, _body, query, project, n):
        if (project, int(n)) not in self.issues:
            return 404, {"message": "404"}
        return 200, self.issue_json(project, int(n))

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
                       [label for label in (body.get("labels") or "").split(",") if label], BOT_LOGIN)
        self.issues[(project, iid)]["assignee_ids"] = body.get("assignee_ids", [])
        self.issues[(project, iid)]["issue_type"] = body.get("issue_type", "issue")
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

    def _members(self, _body, query, project):
        names = {key[-1] if isinstance(key, tuple) else key for key in self.access}
        levels = {name: self.access.get((project, name), self.access.get(name)) for name in sorted(names)}
        return 200, [{"id": self.user_id(name), "username": name, "access_level": level, "state": "active"}
                     for name, level in levels.items() if level]

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

    def _list_labels(self, _body, query, project):
        return 200, self.labels.get(project, [])

    def _create_label(self, body, query, project):
        """POST /projects/:id/labels: 409 `Label already exists` for a name taken, as on GitLab."""
        labels = self.labels.setdefault(project, [])
        if any(label["name"] == body["name"] for label in labels):
            return 409, {"message": "Label already exists"}
        label = {"id": 300 + len(labels), "name": body["name"], "color": body["color"],
                 "description": body.get("description"), "text_color": "#FFFFFF", "subscribed": False,
                 "priority": None, "is_project_label": True}
        labels.append(label)
        return 201, label

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
        payload["object_attributes"].update(id=self.next_note, created_at=now_iso(),
                                            url=f"{GITLAB_URL}/{project}/-/issues/{iid}#note_{self.next_note}")
        payload["issue"].update(iid=iid, title=issue["title"], description=issue["description"],
                                labels=[{"title": label} for label in issue["labels"]])
        payload["project"]["path_with_namespace"] = project
        payload["user"].update(username=sender, id=self.user_id(sender))
        return payload

    def bot_notes(self, project, iid):
        return [note["body"] for note in self.notes[(project, iid)]]


def gitlab_commit(project: str, sha: str, message: str) -> dict:
    """One entry of GET /projects/:id/merge_requests/:iid/commits, in GitLab's documented shape."""
    at = "2026-11-20T14:10:00.000Z"
    return {"id": sha, "short_id": sha[:8], "created_at": at, "parent_ids": [], "title": message.splitlines()[0],
            "message": message, "author_name": "Administrator", "author_email": "admin@example.com",
            "authored_date": at, "committer_name": "Administrator", "committer_email": "admin@example.com",
            "committed_date": at, "trailers": {}, "extended_trailers": {},
            "web_url": f"{GITLAB_URL}/{project}/-/commit/{sha}"}


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
