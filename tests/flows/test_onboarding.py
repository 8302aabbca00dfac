"""Issue 19 items 3 and 4: labels on install and one onboarding pull/merge request per repository."""
from __future__ import annotations

import yaml

from handlers.onboarding import ONBOARDING_BRANCH, set_up
from incidents.label_catalog import product_labels
from incidents.labels import LabelScheme
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import load_fixture, post_github, post_gitlab, run_worker, sent

REPO, SPACE, PROJECT = "Codertocat/Hello-World", "Codertocat/Space", "gitlabhq/gitlab-test"
GITHUB_LABELS = [spec.name for spec in product_labels(LabelScheme.with_separator(": "))]


def installed(client, redis_conn, fixture="installation__created", event="installation"):
    assert post_github(client, event, load_fixture("github", fixture)).json["outcome"] == "queued"
    run_worker(redis_conn)


def onboarding_pulls(github, repo=REPO):
    return [(key, pull) for key, pull in github.pulls.items() if key[0] == repo]


def github_with_a_team_label(fake_api):
    github = FakeGitHub(fake_api)
    github.repo_labels[REPO] = [{"id": 1, "name": "Incident", "color": "123456", "description": "ours"}]
    return github


def test_install_creates_the_missing_labels_once_and_one_onboarding_pull_request(client, redis_conn, store,
                                                                                 fake_api):
    github = github_with_a_team_label(fake_api)
    installed(client, redis_conn)
    names = [label["name"] for label in github.repo_labels[REPO]]
    assert names == ["Incident", *GITHUB_LABELS[1:]]  # the team's `Incident` kept, not renamed or recoloured
    assert github.repo_labels[REPO][0]["color"] == "123456"
    assert all(label["color"] and label["description"] for label in github.repo_labels[REPO][1:])
    assert "component: api" not in names
    [((_, number), pull)] = onboarding_pulls(github)
    assert (pull["head_ref"], pull["base"], pull["draft"], pull["title"]) == (ONBOARDING_BRANCH, "main", False,
                                                                             "Set up Incident Desk")
    assert "pull request" in pull["body"] and "`.github/incident-desk.yml`" in pull["body"]
    assert "`/status identified`" in pull["body"]
    form = yaml.safe_load(github.files[(REPO, ".github/ISSUE_TEMPLATE/incident.yml")])
    assert form["labels"] == ["incident"]
    config = github.files[(REPO, ".github/incident-desk.yml")]
    assert all(line.startswith("#") for line in config.splitlines() if line.strip())
    assert {c["branch"] for c in github.commits} == {ONBOARDING_BRANCH}
    assert store.onboarding("github", REPO).number == number

    label_posts = len(sent(fake_api, "POST", f"/repos/{REPO}/labels"))
    installed(client, redis_conn)  # a second delivery (another id): nothing more
    assert len(sent(fake_api, "POST", f"/repos/{REPO}/labels")) == label_posts == len(GITHUB_LABELS) - 1
    assert len(onboarding_pulls(github)) == 1


def test_a_repository_with_a_config_gets_its_labels_and_no_pull_request(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api, files={(SPACE, ".github/incident-desk.yml"):
                                         "components:\n  - id: api\n    name: Public API\n"})
    installed(client, redis_conn, "installation_repositories__added", "installation_repositories")
    names = [label["name"] for label in github.repo_labels[SPACE]]
    assert "component: api" in names and "incident" in names
    assert [label["description"] for label in github.repo_labels[SPACE] if label["name"] == "component: api"] == [
        "Affects Public API"]
    assert onboarding_pulls(github, SPACE) == [] and store.onboarding("github", SPACE) is None


def test_closing_it_unmerged_is_no_thanks_and_it_is_never_opened_again(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    installed(client, redis_conn)
    [((_, number), _pull)] = onboarding_pulls(github)
    github.close_pull(REPO, number)
    payload = github.pull_request_event(REPO, number, "closed")
    payload["pull_request"].update(state="closed", merged=False, merged_at=None)
    payload["pull_request"]["head"]["ref"] = ONBOARDING_BRANCH
    post_github(client, "pull_request", payload)
    run_worker(redis_conn)
    assert store.onboarding("github", REPO).state == "declined"
    installed(client, redis_conn)
    assert len(onboarding_pulls(github)) == 1


def test_the_server_setting_turns_onboarding_off(client, redis_conn, store, fake_api, monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_ONBOARDING", "off")
    github = FakeGitHub(fake_api)
    installed(client, redis_conn)
    assert len(github.repo_labels[REPO]) == len(GITHUB_LABELS)
    assert onboarding_pulls(github) == [] and store.onboarding("github", REPO) is None


def test_gitlab_setup_creates_scoped_labels_and_one_merge_request(settings, store, fake_api, redis_conn):
    from worker.bootstrap import forge_for, open_context, runtime

    gitlab = FakeGitLab(fake_api)
    gitlab.labels[PROJECT] = [{"id": 1, "name": "status::investigating", "color": "#000000", "description": ""}]
    rt = runtime()
    forge = forge_for(rt, "gitlab")
    created, outcome = set_up(open_context(rt, forge, PROJECT), PROJECT)
    assert outcome == "opened" and "status::identified" in created and "status::investigating" not in created
    assert "severity::major-outage" in created and "postmortem::incomplete" in created
    assert all(label["color"].startswith("#") for label in gitlab.labels[PROJECT])
    [mr] = gitlab.mrs.values()
    assert mr["source_branch"] == ONBOARDING_BRANCH and not mr["title"].startswith("Draft:")
    assert "merge request" in mr["description"] and "`/desk status identified`" in mr["description"]
    assert (PROJECT, ".gitlab/issue_templates/incident.md") in gitlab.files
    assert set_up(open_context(rt, forge, PROJECT), PROJECT) == ([], "already opened")
    assert len(gitlab.mrs) == 1


def test_gitlab_merge_request_closed_unmerged_is_remembered(settings, client, store, fake_api, redis_conn):
    from worker.bootstrap import forge_for, open_context, runtime

    gitlab = FakeGitLab(fake_api)
    rt = runtime()
    set_up(open_context(rt, forge_for(rt, "gitlab"), PROJECT), PROJECT)
    [(_, iid)] = gitlab.mrs
    payload = gitlab.merge_request_event(PROJECT, iid, "close")
    payload["object_attributes"].update(state="closed", source_branch=ONBOARDING_BRANCH)
    post_gitlab(client, "Merge Request Hook", payload)
    run_worker(redis_conn)
    assert store.onboarding("gitlab", PROJECT).state == "declined"
    assert set_up(open_context(rt, forge_for(rt, "gitlab"), PROJECT), PROJECT)[1] == "already declined"


def test_a_repository_the_forge_refuses_does_not_stop_the_others(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    payload = load_fixture("github", "installation__created")
    payload["repositories"].insert(0, dict(payload["repositories"][0], name="Empty", full_name="Codertocat/Empty"))
    github.missing.add("Codertocat/Empty")
    post_github(client, "installation", payload)
    run_worker(redis_conn)
    assert len(onboarding_pulls(github)) == 1 and store.onboarding("github", "Codertocat/Empty") is None


def test_merged_it_is_done_and_the_pushed_config_applies(client, redis_conn, store, fake_api):
    from tests.onboarding_support import github_push

    github = FakeGitHub(fake_api)
    installed(client, redis_conn)
    [((_, number), _pull)] = onboarding_pulls(github)
    github.pulls[(REPO, number)]["merged_at"] = "2026-12-03T09:30:00Z"
    payload = github.pull_request_event(REPO, number, "closed")
    payload["pull_request"]["head"]["ref"] = ONBOARDING_BRANCH
    post_github(client, "pull_request", payload)
    post_github(client, "push", github_push(REPO, [".github/incident-desk.yml", ".github/ISSUE_TEMPLATE/incident.yml"]))
    run_worker(redis_conn)
    assert store.onboarding("github", REPO).state == "merged"
    installed(client, redis_conn)
    assert len(onboarding_pulls(github)) == 1
