"""Issue 19 item 5: a push to the default branch that touches the config file applies it on the next event."""
from __future__ import annotations

from incidents.summary import CONFIG_ERRORS
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.onboarding_support import github_push, gitlab_push
from tests.support import load_fixture, post_github, post_gitlab, run_worker

REPO, PROJECT = "Codertocat/Hello-World", "gitlabhq/gitlab-test"
GOOD, BAD = "timezone: UTC\n", "timezone: Mars/Olympus\n"
WARNING = CONFIG_ERRORS.split("`")[0]


def config_reads(api, path):
    return [c for c in api.calls if c.request.method == "GET" and path in c.request.url]


def edit_incident(client, github, sender="alice"):
    post_github(client, "issues", github.issues_event(REPO, 1, "edited", sender))


def warnings(comments):
    return [c for c in comments if WARNING in c]


def github_incident(fake_api):
    github = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): GOOD})
    github.add_issue(REPO, 1, "API errors", labels=["incident"])
    return github


def test_a_push_touching_the_config_applies_it_on_the_next_event_with_one_warning(client, redis_conn, fake_api):
    github = github_incident(fake_api)
    edit_incident(client, github)
    run_worker(redis_conn)
    github.files[(REPO, ".github/incident-desk.yml")] = BAD
    edit_incident(client, github)
    run_worker(redis_conn)
    assert warnings(github.bot_comments(REPO, 1)) == []  # still the cached file: nothing said the file changed
    assert len(config_reads(fake_api, "contents/.github/incident-desk.yml")) == 1

    assert post_github(client, "push", github_push(REPO, [".github/incident-desk.yml"])).json["outcome"] == "queued"
    run_worker(redis_conn)
    edit_incident(client, github)
    run_worker(redis_conn)
    edit_incident(client, github)
    run_worker(redis_conn)
    [warning] = warnings(github.bot_comments(REPO, 1))
    assert "Mars/Olympus" in warning
    # The push delivery read the cached file; the next event read the new one, the one after the cache.
    assert len(config_reads(fake_api, "contents/.github/incident-desk.yml")) == 2


def test_pushes_that_do_not_touch_the_config_on_the_default_branch_keep_the_cache(client, redis_conn, fake_api):
    github = github_incident(fake_api)
    edit_incident(client, github)
    run_worker(redis_conn)
    github.files[(REPO, ".github/incident-desk.yml")] = BAD
    post_github(client, "push", github_push(REPO, ["README.md"]))
    post_github(client, "push", github_push(REPO, [".github/incident-desk.yml"], branch="feature"))
    post_github(client, "push", load_fixture("github", "push__tag_deleted"))
    run_worker(redis_conn)
    edit_incident(client, github)
    run_worker(redis_conn)
    assert warnings(github.bot_comments(REPO, 1)) == []
    assert len(config_reads(fake_api, "contents/.github/incident-desk.yml")) == 1


def test_gitlab_push_hook_refreshes_the_config_and_an_unlisted_commit_counts_as_touching(client, redis_conn,
                                                                                        fake_api):
    gitlab = FakeGitLab(fake_api, files={(PROJECT, ".gitlab/incident-desk.yml"): GOOD})
    gitlab.add_issue(PROJECT, 1, "API errors", labels=["incident"])
    post_gitlab(client, "Issue Hook", gitlab.issue_event(PROJECT, 1, "update", "alice"))
    run_worker(redis_conn)
    gitlab.files[(PROJECT, ".gitlab/incident-desk.yml")] = BAD
    post_gitlab(client, "Push Hook", gitlab_push(PROJECT, ["README.md"]))
    run_worker(redis_conn)
    post_gitlab(client, "Issue Hook", gitlab.issue_event(PROJECT, 1, "update", "alice"))
    run_worker(redis_conn)
    assert warnings(gitlab.bot_notes(PROJECT, 1)) == []

    payload = gitlab_push(PROJECT, ["README.md"])
    payload["total_commits_count"] = 30  # GitLab lists 20 commits at most: the others may touch the config
    post_gitlab(client, "Push Hook", payload)
    run_worker(redis_conn)
    post_gitlab(client, "Issue Hook", gitlab.issue_event(PROJECT, 1, "update", "alice"))
    run_worker(redis_conn)
    [warning] = warnings(gitlab.bot_notes(PROJECT, 1))
    assert "Mars/Olympus" in warning
