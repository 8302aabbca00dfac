"""Issue 19: installation and push payloads (tests/fixtures/, see ONBOARDING.md) as events."""
from __future__ import annotations

from forges.events import INSTALLATION, PUSH, PushEvent
from forges.normalize import is_handled, normalize
from tests.onboarding_support import github_push, gitlab_push
from tests.support import load_fixture


def test_installation_created_is_one_added_event_per_repository_with_its_installation():
    [event] = normalize("github", "installation", load_fixture("github", "installation__created"), "d-1")
    assert (event.kind, event.action, event.repository, event.number) == (INSTALLATION, "added",
                                                                          "Codertocat/Hello-World", 0)
    assert (event.installation_id, event.actor.login, event.delivery_id) == (957387, "Codertocat", "d-1")
    assert event.repositories == ("Codertocat/Hello-World",)


def test_every_repository_of_an_installation_is_in_its_one_event():
    payload = load_fixture("github", "installation__created")
    payload["repositories"].append(dict(payload["repositories"][0], name="Space", full_name="Codertocat/Space"))
    [event] = normalize("github", "installation", payload)
    assert event.repositories == ("Codertocat/Hello-World", "Codertocat/Space")


def test_repositories_added_are_events_and_other_installation_actions_none():
    [event] = normalize("github", "installation_repositories",
                        load_fixture("github", "installation_repositories__added"))
    assert (event.action, event.repository, event.installation_id) == ("added", "Codertocat/Space", 957387)
    assert normalize("github", "installation", load_fixture("github", "installation__deleted")) == []
    assert all(is_handled("github", name) for name in ("installation", "installation_repositories", "push"))
    assert is_handled("gitlab", "Push Hook")


def test_github_push_names_branch_default_branch_and_touched_paths():
    [event] = normalize("github", "push", github_push("o/r", [".github/incident-desk.yml", "README.md"]))
    assert isinstance(event, PushEvent) and event.kind == PUSH and event.repository == "o/r"
    assert (event.branch, event.default_branch, event.deleted, event.all_listed) == ("master", "master", False, True)
    assert event.paths == (".github/incident-desk.yml", "README.md")
    [tag] = normalize("github", "push", load_fixture("github", "push__tag_deleted"))
    assert (tag.branch, tag.deleted, tag.paths, tag.installation_id) == ("", True, (), 1)


def test_gitlab_push_says_when_it_lists_only_some_commits():
    [event] = normalize("gitlab", "Push Hook", load_fixture("gitlab", "push"))  # 2 of 4 commits listed
    assert (event.repository, event.branch, event.default_branch) == ("mike/diaspora", "master", "master")
    assert event.paths == ("CHANGELOG", "app/controller/application.rb") and event.all_listed is False
    assert event.actor.login == "jsmith"
    [listed] = normalize("gitlab", "Push Hook", gitlab_push("g/p", ["x"]))
    assert listed.all_listed is True and "x" in listed.paths
