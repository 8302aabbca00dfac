"""A stateful fake of GitHub's REST API over in-memory issues, and the canned answers tests expect.

For scenarios of many steps, the API is faked over a small set of issues; JSON bodies start from the
real webhook fixtures' objects. Every request stays in `api.calls` for assertions."""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import parse_qs, unquote, urlparse

from tests.support import BOT_LOGIN, GITHUB_API, GITHUB_REST, load_fixture, now_iso


def github_repo_config(api, repository="Codertocat/Hello-World", text: str | None = None):
    """Expect the bot to read the repository's config file (absent unless `text` is given)."""
    url = f"{GITHUB_REST}/repos/{repository}/contents/.github/incident-desk.yml"
    if text is None:
        api.get(url, status=404, json={"message": "Not Found", "documentation_url": "https://docs.github.com"})
    else:
        api.get(url, json={"type": "file", "encoding": "base64", "name": "incident-desk.yml",
                           "path": ".github/incident-desk.yml", "sha": "0" * 40, "size": len(text),
                           "content": base64.b64encode(text.encode()).decode()})


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


class FakeGitHub:
    """Issues, labels, comments, assignees, permissions and config files of GitHub repositories."""

    def __init__(self, api, files: dict | None = None, permissions: dict | None = None):
        self.api, self.files, self.permissions = api, files or {}, permissions or {}
        self.issues: dict[tuple[str, int], dict] = {}
        self.comments: dict[tuple[str, int], list[dict]] = {}
        self.commits: list[dict] = []
        self.next_comment = 1000
        self.unassignable: set[str] = set()  # logins GitHub refuses as assignees (left the organization, say)
        self.missing: set[str] = set()  # repositories that are not there (or the bot cannot see)
        self.unlisted: set[str] = set()  # logins with a role that the collaborator list leaves out (page 2, say)
        base = re.escape(GITHUB_REST) + r"/repos/(?P<repo>[^/]+/[^/]+)"
        routes = [
            ("GET", r"/issues/(?P<n>\d+)$", self._get_issue), ("PATCH", r"/issues/(?P<n>\d+)$", self._edit_issue),
            ("POST", r"/issues$", self._create_issue), ("GET", r"/issues$", self._list_issues),
            ("POST", r"/issues/(?P<n>\d+)/labels$", self._add_labels),
            ("PUT", r"/issues/(?P<n>\d+)/labels$", self._set_labels),
            ("DELETE", r"/issues/(?P<n>\d+)/labels/(?P<label>.+)$", self._remove_label),
            ("GET", r"/issues/(?P<n>\d+)/comments$", self._list_comments),
            ("POST", r"/issues/(?P<n>\d+)/comments$", self._add_comment),
            ("PATCH", r"/issues/comments/(?P<id>\d+)$", self._edit_comment),
            ("POST", r"/issues/(?P<n>\d+)/assignees$", self._assign),
            ("GET", r"/collaborators/(?P<user>[^/]+)/permission$", self._permission),
            ("GET", r"/collaborators$", self._collaborators),
            ("GET", r"/contents/(?P<path>.+)$", self._file),
            ("GET", r"/pulls/(?P<n>\d+)$", self._get_pull),
            ("POST", r"/statuses/(?P<sha>[0-9a-f]+)$", self._status),
            ("GET", r"$", self._get_repo),
            ("GET", r"/branches/(?P<branch>.+)$", self._get_branch),
            ("POST", r"/git/refs$", self._create_ref),
            ("PUT", r"/contents/(?P<path>.+)$", self._put_file),
            ("GET", r"/pulls$", self._list_pulls),
            ("POST", r"/pulls$", self._create_pull),
            ("GET", r"/labels$", self._list_repo_labels), ("POST", r"/labels$", self._create_repo_label),
        ]
        self.repo_labels: dict[str, list[dict]] = {}  # repository -> its labels as GitHub lists them
        self.branches: set[tuple[str, str]] = set()
        self.fail_branch_creation = 0  # answer 502 this many times first
        # repository -> (status, body, headers) answers its label creations give first, one each
        self.label_failures: dict[str, list[tuple[int, dict, dict]]] = {}
        self.edit_failures: dict[tuple[str, int], list[tuple[int, dict]]] = {}  # (repo, n) -> answers to its edits
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
            status, data, *headers = handler(body, **{k: unquote(v) for k, v in match.groupdict().items()})
            return status, {"Content-Type": "application/json", **(headers[0] if headers else {})}, json.dumps(data)
        return callback

    def add_issue(self, repo, number, title="Something", body="", labels=(), author="octocat", state="open"):
        self.issues[(repo, number)] = dict(title=title, body=body, labels=list(labels), author=author,
                                           state=state, assignees=[], created_at=now_iso())
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
        if (repo, int(n)) not in self.issues:
            return 404, {"message": "Not Found"}
        return 200, self.issue_json(repo, int(n))

    def _list_issues(self, _body, repo):
        """GET /repos/{repo}/issues: `labels` (comma-separated, all of them), `state` open (the default), closed
        or all, `since` (updated since; here: created since, as the fake keeps no update time); one page, newest
        first, as GitHub sorts by default."""
        query = self._last_query
        wanted = [name for name in (query.get("labels") or [""])[0].split(",") if name]
        state, since = (query.get("state") or ["open"])[0], (query.get("since") or [""])[0]
        numbers = sorted((n for (r, n), issue in self.issues.items() if r == repo
                          and all(name in issue["labels"] for name in wanted) and state in ("all", issue["state"])
                          and (not since or issue["created_at"] >= since)), reverse=True)
        return 200, [self.issue_json(repo, n) for n in numbers]

    def _edit_issue(self, body, repo, n):
        """PATCH an issue: `labels` and `assignees`, when sent, replace the issue's whole lists (as on GitHub),
        and one login that cannot be assigned refuses the whole edit with GitHub's 422."""
        if self.edit_failures.get((repo, int(n))):
            return self.edit_failures[(repo, int(n))].pop(0)
        refused = [login for login in body.get("assignees", []) if login in self.unassignable]
        if refused:
            return 422, {"message": "Validation Failed", "errors": [
                {"value": refused[0], "resource": "Issue", "field": "assignees", "code": "invalid"}],
                "documentation_url": "https://docs.github.com/rest/issues/issues#update-an-issue", "status": "422"}
        self.issues[(repo, int(n))].update({k: v for k, v in body.items() if k in ("title", "body", "state")})
        for key in ("labels", "assignees"):
            if key in body:
                self.issues[(repo, int(n))][key] = list(dict.fromkeys(body[key]))
        return 200, self.issue_json(repo, int(n))

    def _create_issue(self, body, repo):
        if repo in self.missing:
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/issues"}
        number = 1 + max([n for (r, n) in self.issues if r == repo], default=0)
        self.add_issue(repo, number, body["title"], body.get("body", ""), body.get("labels", []), BOT_LOGIN)
        self.issues[(repo, number)]["assignees"] = list(body.get("assignees", []))
        return 201, self.issue_json(repo, number)

    def _add_labels(self, body, repo, n):
        labels = self.issues[(repo, int(n))]["labels"]
        labels += [label for label in (body if isinstance(body, list) else body["labels"]) if label not in labels]
        return 200, [{"name": name} for name in labels]

    def _set_labels(self, body, repo, n):
        self.issues[(repo, int(n))]["labels"] = list(body if isinstance(body, list) else body["labels"])
        return 200, [{"name": name} for name in self.issues[(repo, int(n))]["labels"]]

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
        self.issues[(repo, int(n))]["assignees"] += [login for login in body["assignees"]  # others are skipped
                                                     if login not in self.unassignable]
        return 201, self.issue_json(repo, int(n))

    def _permission(self, _body, repo, user):
        # `permissions` maps a login (any repository) or a (repository, login) pair to a GitHub role.
        level = self.permissions.get((repo, user), self.permissions.get(user, "none"))
        return (200, github_permission_json(user, level)) if level != "none" else (404, {"message": "Not Found"})

    def _collaborators(self, _body, repo):
        """Everyone the fake knows with a role here, as GitHub lists collaborators (the user objects with
        `permissions` and `role_name`)."""
        names = {key[-1] if isinstance(key, tuple) else key for key in self.permissions}
        roles = {name: self.permissions.get((repo, name), self.permissions.get(name, "none")) for name in sorted(names)}
        return 200, [{**github_permission_json(name, role)["user"], "role_name": role}
                     for name, role in roles.items() if role != "none" and name not in self.unlisted]

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
        sha = "c" * 40
        return 200, {"name": branch, "commit": {"sha": sha, "url": f"{GITHUB_API}/repos/{repo}/commits/{sha}"}}

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
        self.commits.append({"repository": repo, "path": path, "branch": body.get("branch"),
                             "message": body["message"]})
        content = {"type": "file", "name": path.split("/")[-1], "path": path, "sha": str(len(self.commits)) * 3}
        return 200, {"content": content, "commit": {"sha": "d" * 40}}

    def _list_pulls(self, _body, repo):
        query = self._last_query
        head = query.get("head", [""])[0].split(":")[-1]
        return 200, [self.pull_json(r, n) for (r, n), pull in self.pulls.items()
                     if r == repo and pull.get("head_ref") == head and pull["merged_at"] is None
                     and not pull.get("closed")]

    def _create_pull(self, body, repo):
        number = 1 + max([n for (r, n) in list(self.pulls) + list(self.issues) if r == repo], default=0)
        self.add_pull(repo, number, body["title"], body.get("body", ""))
        self.pulls[(repo, number)].update(head_ref=body["head"], base=body["base"], draft=body.get("draft", False))
        return 201, self.pull_json(repo, number)

    def _list_repo_labels(self, _body, repo):
        if repo in self.missing:
            return 404, {"message": "Not Found", "documentation_url": "https://docs.github.com/rest/issues/labels"}
        return 200, self.repo_labels.get(repo, [])

    def _create_repo_label(self, body, repo):
        """POST /repos/{owner}/{repo}/labels: 422 `already_exists` for a name taken in any case, as on GitHub."""
        if self.label_failures.get(repo):
            return self.label_failures[repo].pop(0)
        labels = self.repo_labels.setdefault(repo, [])
        if any(label["name"].lower() == body["name"].lower() for label in labels):
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "Label", "code": "already_exists", "field": "name"}],
                "documentation_url": "https://docs.github.com/rest/issues/labels#create-a-label", "status": "422"}
        label = {"id": 200 + len(labels), "node_id": "LA_kwDO", "url": f"{GITHUB_API}/repos/{repo}/labels/x",
                 "name": body["name"], "color": body.get("color", "ededed"),
                 "description": body.get("description"), "default": False}
        labels.append(label)
        return 201, label

    def close_pull(self, repo, number):
        """Closed unmerged: no longer listed among the open pull requests."""
        self.pulls[(repo, number)]["closed"] = True

    def pull_request_event(self, repo, number, action, sender="alice"):
        fixture = "pull_request__closed_merged" if action == "closed" else "pull_request__opened"
        payload = load_fixture("github", fixture)
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
        payload["comment"].update(id=self.next_comment, created_at=now_iso(), updated_at=now_iso(),
                                  html_url=f"https://github.com/{repo}/issues/{number}#issuecomment-{self.next_comment}")
        payload["repository"]["full_name"] = repo
        payload["sender"]["login"] = sender
        return payload

    def bot_comments(self, repo, number):
        return [c["body"] for c in self.comments[(repo, number)]]


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


def expect_github_issue_edits(api, payload: dict, repository: str = "Codertocat/Hello-World"):
    """Expect the bot to read and rewrite the issue body (it records the declaration in the timeline)."""
    url = f"{GITHUB_REST}/repos/{repository}/issues/{payload['issue']['number']}"
    api.get(url, json=payload["issue"])
    api.patch(url, json=payload["issue"])
