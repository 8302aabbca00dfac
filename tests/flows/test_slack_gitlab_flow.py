"""Issue 16 on GitLab end to end: `/incident … in gitlab:group/project` typed in Slack declares the incident on
GitLab (the same `forge_for_repository` path GitHub declarations take), and a command typed in its channel
changes the GitLab issue. Posted as Slack posts them, signed, through the Flask test client; a real worker runs
them against the faked GitLab and Slack APIs, and the assertions are on the requests each API received."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from incident_desk.settings import Settings
from tests.fakes.gitlab import FakeGitLab
from tests.fakes.slack import FakeSlack
from tests.slack_support import SECRET, command, post_command
from tests.support import GITLAB_URL, run_worker, sent

PROJECT = "group/project"
ISSUE_URL = f"{GITLAB_URL}/{PROJECT}/-/issues/1"
DECLARER = "U2147483697"  # the slash-command fixture's user
CONFIG = "slack:\n  users:\n    U2147483697: alice\n    U0BOB: bob\n    U0RITA: rita\n"
DEVELOPER, REPORTER = 30, 20  # GitLab's access levels


@pytest.fixture
def client(settings, store, monkeypatch):
    from webhook_app import create_app

    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_TEAM_ID": "T0001",
           "INCIDENT_DESK_SLACK_REPOSITORY": "github:Codertocat/Hello-World",  # the default: named otherwise here
           "PUBLIC_URL": "https://desk.example.com"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return create_app({"SETTINGS": Settings.from_env(), "TESTING": True}).test_client()


@pytest.fixture
def slack(fake_api, monkeypatch):
    fake = FakeSlack(fake_api, monkeypatch)
    fake.add_user(DECLARER, "Steve", "steve@example.com")
    fake.add_user("U0BOB", "Bob", "bob@example.com")
    fake.add_user("U0RITA", "Rita", "rita@example.com")
    return fake


@pytest.fixture
def gitlab(fake_api, slack):
    return FakeGitLab(fake_api, files={(PROJECT, ".gitlab/incident-desk.yml"): CONFIG},
                      access={"alice": DEVELOPER, "bob": DEVELOPER, "rita": REPORTER})


@pytest.fixture
def declared(client, redis_conn, gitlab, slack):
    """`/incident db is down in gitlab:group/project` typed by Steve, who is alice on GitLab: the channel id."""
    answer = post_command(client, command(f"db is down in gitlab:{PROJECT}"))
    assert answer.status_code == 200 and answer.get_json()["response_type"] == "ephemeral"
    run_worker(redis_conn)
    channel = slack.channel_named(f"incident-{datetime.now(UTC):%Y-%m-%d}-db-is-down")
    assert channel is not None
    return channel["id"]


def test_declaring_on_gitlab_from_slack(fake_api, gitlab, slack, declared, store):
    """The GitLab issue as `/incident` opens it there (the incident and status labels, the declarer assigned),
    the channel with the declarer in it, one pinned summary linking the GitLab issue, and the issue's summary
    note linking the channel; nothing is asked of GitHub, the deployment's default."""
    [created] = sent(fake_api, "POST", "/projects/group%2Fproject/issues")
    assert created["title"] == "db is down"
    assert {"incident", "status::investigating"} <= set(created["labels"].split(","))
    assert created["assignee_ids"] == [gitlab.user_id("alice")]
    assert "Declared by @alice from Slack." in created["description"]
    issue = gitlab.issues[(PROJECT, 1)]
    assert "Declared an incident by @alice" in issue["description"]
    assert not any("api.github.com" in call.request.url or "/repos/" in call.request.url for call in fake_api.calls)
    incident = store.get_incident("gitlab", PROJECT, 1)
    assert (incident.commander, incident.operations_lead) == ("alice", "alice")

    assert DECLARER in slack.channels[declared]["members"]
    [pin] = slack.sent("pins.add")
    assert pin["channel"] == declared
    pinned = next(m for m in slack.messages[declared] if m["ts"] == pin["timestamp"])
    assert ISSUE_URL in pinned["text"] and "alice" in pinned["text"]

    [summary] = [note for note in gitlab.bot_notes(PROJECT, 1) if "Incident summary" in note]
    assert f"#{slack.channels[declared]['name']}" in summary and declared in summary
    [(url, reply)] = slack.responses_posted
    assert "Declared incident" in reply["text"] and ISSUE_URL in reply["text"] and PROJECT in reply["text"]


def test_a_command_in_the_channel_changes_the_gitlab_issue(client, redis_conn, fake_api, gitlab, slack, declared):
    """`/incident status identified …` in the channel: one issue update moving the scoped status label and
    writing the timeline, the reply in the channel in the form typed there, the pinned summary edited."""
    before = len(sent(fake_api, "PUT", "/projects/group%2Fproject/issues/1"))
    post_command(client, command("status identified the cache is cold", channel_id=declared,
                                 trigger_id="2.trigger"))
    run_worker(redis_conn)
    updates = sent(fake_api, "PUT", "/projects/group%2Fproject/issues/1")[before:]
    assert any("status::identified" in update.get("add_labels", "").split(",") and
               "status::investigating" in update.get("remove_labels", "").split(",") for update in updates)
    issue = gitlab.issues[(PROJECT, 1)]
    assert "status::identified" in issue["labels"] and "status::investigating" not in issue["labels"]
    assert "Status: identified - the cache is cold" in issue["description"]
    reply = slack.messages[declared][-1]["text"]
    assert "status is now" in reply and "identified" in reply and "`/incident status identified" in reply
    [update] = slack.sent("chat.update")
    assert update["ts"] == slack.sent("pins.add")[0]["timestamp"] and "identified" in update["text"]
    [summary] = [note for note in gitlab.bot_notes(PROJECT, 1) if "Incident summary" in note]
    assert "**Status:** identified" in summary



def test_who_may_run_a_command_is_asked_of_gitlab(client, redis_conn, fake_api, gitlab, slack, declared):
    """Not the commander: the project's members as GitLab lists them decide. Bob, a developer (write access),
    may add to the timeline; Rita, a reporter, is told what she would need and the issue is left alone."""
    for user, name, trigger in (("U0RITA", "rita", "3.trigger"), ("U0BOB", "bob", "4.trigger")):
        post_command(client, command(f"timeline 11:05 {name} restarted the primary", channel_id=declared,
                                     user_id=user, user_name=name, trigger_id=trigger))
        run_worker(redis_conn)
    [members] = [call for call in fake_api.calls if "/projects/group%2Fproject/members/all" in call.request.url]
    description = gitlab.issues[(PROJECT, 1)]["description"]
    assert "bob restarted the primary" in description and "rita restarted" not in description
    refused, ran = (m["text"] for m in slack.messages[declared] if " ran:" in m["text"])
    assert refused.startswith("rita ran:") and "⛔" in refused and "write access" in refused
    assert ran.startswith("bob ran:") and "✅" in ran
