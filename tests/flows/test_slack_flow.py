"""Issue 16 end to end: CDS's process from Slack. Slash commands and events are posted as Slack sends them,
signed, through the Flask test client; a real worker runs them against the faked GitHub and Slack APIs, and
the assertions are on what each API received."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
import time_machine
from rq.registry import ScheduledJobRegistry

from incident_desk.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import FakeSlack
from tests.slack_support import SECRET, command, post_command, post_event, post_interaction, pushpin, shortcut
from tests.support import post_github, run_worker
from worker.chat_jobs import archive_channel, rearm_archives
from worker.queue import deliveries_queue

REPO = "Codertocat/Hello-World"
DECLARER = "U2147483697"  # the slash-command fixture's user
TEAM = "T0001"
DISCORD = "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
PRIVATE_DISCORD = "https://discord.com/api/webhooks/5550001/private-ops-token"
CONFIG = """
slack:
  users:
    U2147483697: alice
    bob@example.com: bob
  announce_channel: {announce}
  archive_after: 2h
notifications:
  - target: discord
    events: [declared, status, resolved]
  - target: ops
"""


@pytest.fixture
def slack_env(settings, monkeypatch):
    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_TEAM_ID": TEAM,
           "INCIDENT_DESK_SLACK_REPOSITORY": f"github:{REPO}", "PUBLIC_URL": "https://desk.example.com",
           "INCIDENT_DESK_CHAT_TARGETS": f"discord={DISCORD} ops={PRIVATE_DISCORD}",
           "INCIDENT_DESK_PRIVATE_CHAT_TARGETS": "ops"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture
def client(slack_env, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": slack_env, "TESTING": True}).test_client()


@pytest.fixture
def slack(fake_api, monkeypatch):
    fake = FakeSlack(fake_api, monkeypatch)
    fake.add_user(DECLARER, "Steve", "steve@example.com")
    fake.add_user("U0BOB", "Bob", "Bob@Example.com")
    fake.add_user("U0EVE", "Eve", "eve@example.com")
    fake.announce = fake.add_channel("incident-sre")
    return fake


@pytest.fixture
def github(fake_api, slack):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "bob": "write"},
                      files={(REPO, ".github/incident-desk.yml"): CONFIG.format(announce=slack.announce)})
    fake_api.add(responses.POST, DISCORD, status=204)
    fake_api.add(responses.POST, PRIVATE_DISCORD, status=204)
    return fake


def discord_posts(fake_api, url=DISCORD) -> list[str]:
    return [json.loads(c.request.body)["content"] for c in fake_api.calls if c.request.url == url]


@pytest.fixture
def declared(client, redis_conn, github, slack):
    """`/incident db is down` typed in #general by Steve, who is alice on GitHub: the incident's channel id."""
    answer = post_command(client, command("db is down"))
    assert answer.status_code == 200 and answer.get_json()["response_type"] == "ephemeral"
    run_worker(redis_conn)
    channel = slack.channel_named(f"incident-{datetime.now(UTC):%Y-%m-%d}-db-is-down")
    assert channel is not None
    return channel["id"]


def test_declaring_in_slack_opens_the_issue_the_channel_and_the_announcements(fake_api, github, slack, declared,
                                                                              store):
    """CDS: the issue as `/incident` opens it, the declarer commander and operations lead, a channel with the
    declarer in it and one pinned summary, the announcement channel told, the declarer answered."""
    issue = github.issues[(REPO, 1)]
    assert issue["title"] == "db is down" and issue["assignees"] == ["alice"]
    assert {"incident", "status: investigating"} <= set(issue["labels"])
    assert "Declared by @alice from Slack." in issue["body"] and "Declared an incident by @alice" in issue["body"]
    incident = store.get_incident("github", REPO, 1)
    assert (incident.commander, incident.operations_lead) == ("alice", "alice")

    assert DECLARER in slack.channels[declared]["members"]
    [pin] = slack.sent("pins.add")
    assert pin["channel"] == declared
    pinned = next(m for m in slack.messages[declared] if m["ts"] == pin["timestamp"])
    assert "https://github.com/Codertocat/Hello-World/issues/1" in pinned["text"] and "alice" in pinned["text"]
    [announced] = slack.messages[slack.announce]
    assert "db is down" in announced["text"] and "issues/1" in announced["text"]

    summary = next(c["body"] for c in github.comments[(REPO, 1)] if "Incident summary" in c["body"])
    assert f"#{slack.channels[declared]['name']}" in summary and declared in summary
    [(url, reply)] = slack.responses_posted
    assert "Declared incident" in reply["text"] and "issues/1" in reply["text"]
    assert reply["response_type"] == "ephemeral"
    [told] = discord_posts(fake_api)
    assert "db is down" in told and "issues/1" in told
    assert discord_posts(fake_api, PRIVATE_DISCORD) == [told]  # private targets hear public incidents too


def test_a_command_in_the_channel_changes_the_issue_like_a_comment(client, redis_conn, github, slack, declared,
                                                                   fake_api):
    post_command(client, command("status identified the cache is cold", channel_id=declared,
                                 trigger_id="2.trigger"))
    run_worker(redis_conn)
    issue = github.issues[(REPO, 1)]
    assert "status: identified" in issue["labels"] and "status: investigating" not in issue["labels"]
    assert "Status: identified - the cache is cold" in issue["body"]
    reply = slack.messages[declared][-1]["text"]
    assert "status is now" in reply and "identified" in reply and "`/incident status identified" in reply
    [update] = slack.sent("chat.update")
    assert update["ts"] == slack.sent("pins.add")[0]["timestamp"] and "identified" in update["text"]
    assert any("identified" in text for text in discord_posts(fake_api))


def test_a_status_change_on_the_issue_is_posted_in_the_channel_and_edits_the_pinned_summary(
        client, redis_conn, github, slack, declared):
    posted = len(slack.messages[declared])
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/status monitoring fix is out"))
    run_worker(redis_conn)
    new = [m["text"] for m in slack.messages[declared][posted:]]
    assert len(new) == 1 and "monitoring" in new[0]
    [update] = slack.sent("chat.update")
    assert "monitoring" in update["text"] and len(slack.sent("pins.add")) == 1  # edited in place, never a second


def test_a_pushpin_adds_one_timeline_entry_at_the_message_time(client, redis_conn, github, slack, declared):
    ts = slack.add_message(declared, "restarted the primary <!channel>", "U0BOB")
    for event_id, reacting in (("Ev1", DECLARER), ("Ev2", "U0BOB")):  # reacted twice, by two people
        payload = pushpin()
        payload.update(event_id=event_id, team_id=TEAM)
        payload["event"].update(user=reacting, item={"type": "message", "channel": declared, "ts": ts},
                                item_user="U0BOB")
        assert post_event(client, payload).status_code == 200
    run_worker(redis_conn)
    body = github.issues[(REPO, 1)]["body"]
    assert body.count("restarted the primary") == 1
    at = datetime.fromtimestamp(float(ts), UTC)
    line = next(line for line in body.splitlines() if "restarted the primary" in line)
    assert f"{at:%H:%M}" in line and "@bob" in line and "<!channel>" not in line


def test_someone_not_mapped_may_declare_but_not_run_commands(client, redis_conn, github, slack, declared):
    post_command(client, command("severity major-outage", channel_id=declared, user_id="U0EVE", user_name="eve",
                                 trigger_id="3.trigger"))
    run_worker(redis_conn)
    assert not any(label.startswith("severity") for label in github.issues[(REPO, 1)]["labels"])
    url, refused = slack.responses_posted[-1]
    assert "slack.users" in refused["text"] and "U0EVE" in refused["text"]


def test_an_unmapped_declarer_opens_an_incident_without_a_commander(client, redis_conn, github, slack, store):
    post_command(client, command("checkout fails", user_id="U0EVE", user_name="eve <!here>", trigger_id="4.t"))
    run_worker(redis_conn)
    issue = github.issues[(REPO, 1)]
    assert issue["assignees"] == [] and "Declared by eve" in issue["body"] and "(in Slack)" in issue["body"]
    assert "<!here>" not in issue["body"] and "@here" not in issue["body"].replace("@\u200d", "")
    assert store.get_incident("github", REPO, 1).commander is None


def test_a_slack_outage_is_retried_and_loses_nothing(client, redis_conn, github, slack):
    slack.fail("conversations.create", status=503, body="<html>upstream unavailable</html>")
    slack.fail("chat.postMessage", status=429, error="ratelimited", retry_after=0)
    post_command(client, command("db is down"))
    run_worker(redis_conn)
    run_worker(redis_conn)  # the retries, due at once (retry base 0 s, Retry-After 0)
    assert len(github.issues) == 1  # the issue opened once, whatever was retried
    channels = [c for c in slack.channels.values() if c["name"].startswith("incident-2")]
    assert len(channels) == 1 and len(slack.sent("pins.add")) == 1
    assert "Declared incident" in slack.responses_posted[-1][1]["text"]


def test_a_second_incident_of_the_same_name_gets_its_own_channel_on_a_retry_too(client, redis_conn, github, slack,
                                                                               declared, store):
    """The retry that may reclaim a channel of its noted name never takes another incident's."""
    slack.fail("conversations.create", error="internal_error")  # the second's first try: nothing made
    post_command(client, command("db is down", trigger_id="2.second"))
    run_worker(redis_conn)
    run_worker(redis_conn)
    second = slack.channel_named(f"incident-{datetime.now(UTC):%Y-%m-%d}-db-is-down-2")
    assert second is not None and store.incident_by_channel(second["id"]).number == 2
    assert store.incident_by_channel(declared).number == 1
    assert len(slack.sent("users.conversations")) == 1  # asked once, on the retry


def test_a_declaration_the_forge_refuses_says_why_and_creates_nothing(client, redis_conn, github, slack):
    github.missing.add("Codertocat/missing")
    post_command(client, command("db is down in Codertocat/missing", trigger_id="5.t"))
    run_worker(redis_conn)
    assert github.issues == {} and not [c for c in slack.channels.values() if c["name"].startswith("incident-2")]
    [(url, said)] = slack.responses_posted
    assert "could not be opened in `Codertocat/missing`" in said["text"]


def test_a_private_incident_reaches_no_public_target_or_channel(client, redis_conn, github, slack, fake_api):
    github.add_issue(REPO, 7, "Leaked keys", "Rotating.", labels=["incident", "incident: private"], author="alice")
    post_github(client, "issues", github.issues_event(REPO, 7, "labeled", "alice", label={"name": "incident"}))
    run_worker(redis_conn)
    assert discord_posts(fake_api) == []
    [told] = discord_posts(fake_api, PRIVATE_DISCORD)
    assert "Leaked keys" in told
    assert slack.messages[slack.announce] == []


def test_the_bot_never_runs_as_someone_chat_text_names(client, redis_conn, github, slack, declared):
    """A mention of someone unmapped names nobody: no forge user is made commander from chat text."""
    post_command(client, command("commander <@U0EVE|eve>", channel_id=declared, trigger_id="6.t"))
    run_worker(redis_conn)
    assert github.issues[(REPO, 1)]["assignees"] == ["alice"]
    reply = slack.messages[declared][-1]["text"]
    assert "❓" in reply and "is not a user name" in reply
    assert "Commander: @" not in github.issues[(REPO, 1)]["body"].split("Declared an incident by @alice")[1]


def test_the_add_to_timeline_shortcut_puts_the_message_in_the_timeline(client, redis_conn, github, slack, declared):
    ts = slack.add_message(declared, "failover finished", DECLARER)
    payload = shortcut()
    payload.update(team={"id": TEAM, "domain": "example"}, channel={"id": declared, "name": "incident"},
                   trigger_id="7.t", message_ts=ts)
    payload["message"].update(ts=ts, text="failover finished", user=DECLARER)
    assert post_interaction(client, payload).status_code == 200
    run_worker(redis_conn)
    line = next(line for line in github.issues[(REPO, 1)]["body"].splitlines() if "failover finished" in line)
    assert "@alice" in line and f"{datetime.fromtimestamp(float(ts), UTC):%H:%M}" in line


def test_closing_posts_the_final_summary_and_archives_the_channel_later(client, redis_conn, github, slack,
                                                                        declared, store):
    github.issues[(REPO, 1)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 1, "closed", "alice"))
    run_worker(redis_conn)
    final = slack.messages[declared][-1]["text"]
    assert "Incident closed" in final and "TTR" in final
    [archive] = [job for job in ScheduledJobRegistry(queue=deliveries_queue(redis_conn)).get_job_ids()
                 if job.startswith("chat-archive-")]
    assert archive == f"chat-archive-{declared}"
    scheduled = ScheduledJobRegistry(queue=deliveries_queue(redis_conn)).get_scheduled_time(archive)
    assert timedelta(hours=1, minutes=59) < scheduled - datetime.now(UTC) <= timedelta(hours=2)
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2, minutes=1)):
        assert archive_channel(declared) == "archived"  # as the scheduler runs it, two hours on
    assert slack.channels[declared]["archived"] and store.incident_chat(store.get_incident(
        "github", REPO, 1)).archived_at is not None



def test_reopening_by_hand_is_told_in_the_channel_and_keeps_it(client, redis_conn, github, slack, declared, store):
    """Closed, then reopened by hand before the archive time: the channel hears it and is not archived."""
    github.issues[(REPO, 1)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 1, "closed", "alice"))
    run_worker(redis_conn)
    github.issues[(REPO, 1)]["state"] = "open"
    post_github(client, "issues", github.issues_event(REPO, 1, "reopened", "alice"))
    run_worker(redis_conn)
    assert "reopened" in slack.messages[declared][-1]["text"].lower()
    assert archive_channel(declared) == "ignored"  # the job the close scheduled, two hours on
    assert not slack.channels[declared]["archived"]
    assert store.incident_chat(store.get_incident("github", REPO, 1)).archived_at is None


def test_an_archive_redis_lost_is_armed_again_and_waits_for_its_time(client, redis_conn, github, slack, declared,
                                                                     store):
    """Scheduled work survives: the worker's start re-creates a lost archive job, which archives only once
    `slack.archive_after` has passed since the close."""
    github.issues[(REPO, 1)]["state"] = "closed"
    post_github(client, "issues", github.issues_event(REPO, 1, "closed", "alice"))
    run_worker(redis_conn)
    redis_conn.flushdb()  # the scheduled archive is gone with Redis
    assert rearm_archives(redis_conn, store) == 1
    assert rearm_archives(redis_conn, store) == 0  # there now: not doubled
    assert archive_channel(declared) == "not yet"  # the re-armed job runs at once, and waits for its time
    scheduled = ScheduledJobRegistry(queue=deliveries_queue(redis_conn)).get_scheduled_time(f"chat-archive-{declared}")
    assert timedelta(hours=1, minutes=59) < scheduled - datetime.now(UTC) <= timedelta(hours=2)
    assert not slack.channels[declared]["archived"]
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2, minutes=1)):
        assert archive_channel(declared) == "archived"
    assert slack.channels[declared]["archived"]

def test_without_a_repository_the_declarer_is_told_how_to_name_one(client, redis_conn, github, slack, monkeypatch):
    monkeypatch.delenv("INCIDENT_DESK_SLACK_REPOSITORY")
    post_command(client, command("db is down", trigger_id="8.t"))
    run_worker(redis_conn)
    assert github.issues == {}
    [(url, said)] = slack.responses_posted
    assert "in owner/repository" in said["text"] and "INCIDENT_DESK_SLACK_REPOSITORY" in said["text"]


def test_a_refusal_from_slack_is_told_to_the_declarer_and_not_retried(client, redis_conn, github, slack):
    slack.fail("conversations.create", error="restricted_action", times=5)
    post_command(client, command("db is down", trigger_id="9.t"))
    run_worker(redis_conn)
    assert len(slack.sent("conversations.create")) == 1  # a refusal, not an outage: asked once
    [(url, said)] = slack.responses_posted
    assert "will not be tried again (restricted_action)" in said["text"]
