"""Issue 15 item 2: permission questions about a repository answered from its member list, read once."""
from __future__ import annotations

from forges import build_forge
from tests.fakes.github import github_permission_json
from tests.support import GITHUB_REST, GITLAB_URL

GL_PROJECT = f"{GITLAB_URL}/api/v4/projects/group%2Fproject"


def test_github_member_list_gives_each_collaborator_s_role(settings, api):
    """GitHub lists collaborators as user objects carrying `role_name` and the permissions hash."""
    custom = {**github_permission_json("Carol", "Security Engineer", base_role="maintain")["user"],
              "role_name": "Security Engineer"}
    api.get(f"{GITHUB_REST}/repos/o/r/collaborators", json=[
        github_permission_json("alice", "admin")["user"], github_permission_json("bob", "triage")["user"], custom])
    assert build_forge("github", settings).members("o/r") == {"alice": "admin", "bob": "triage", "carol": "maintain"}
    assert api.calls[0].request.params == {"per_page": "100"}


def test_github_member_list_that_cannot_be_read_is_none(settings, api):
    """Listing collaborators needs push access; a bot with less asks per person instead."""
    api.get(f"{GITHUB_REST}/repos/o/r/collaborators", status=403,
            json={"message": "Must have push access to view repository collaborators."})
    assert build_forge("github", settings).members("o/r") is None


def test_gitlab_member_list_keeps_each_member_s_highest_level(settings, api):
    """members/all lists someone once per membership (project and inherited group): the higher level counts;
    minimal access is no access."""
    api.get(f"{GL_PROJECT}/members/all", json=[
        {"id": 7, "username": "Alice", "access_level": 30, "state": "active"},
        {"id": 7, "username": "Alice", "access_level": 40, "state": "active"},
        {"id": 8, "username": "bob", "access_level": 10, "state": "active"},
        {"id": 9, "username": "min", "access_level": 5, "state": "active"}])
    assert build_forge("gitlab", settings).members("group/project") == {"alice": "maintain", "bob": "read"}


def test_gitlab_member_list_that_cannot_be_read_is_none(settings, api):
    api.get(f"{GL_PROJECT}/members/all", status=403, json={"message": "403 Forbidden"})
    assert build_forge("gitlab", settings).members("group/project") is None
