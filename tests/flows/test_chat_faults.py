"""Faults for chat (issue 16) tried for real: the worker killed with -9 while a Slack Web API call hangs, and the
database locked past its busy timeout while chat is told. The next worker finishes the work, and each effect
(issue, channel, pinned summary, announcement, answer to the declarer) happens once."""
from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from rq.registry import FailedJobRegistry

from incident_desk.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.fakes.slack import FakeSlack
from tests.fault_support import (
    FakeServer,
    database_locked,
    drain,
    kill_mid_job_then_rerun,
    run_one_job,
    short_database_waits,
)
from tests.slack_support import SECRET, command, post_command
from tests.support import post_github, run_worker
from worker.queue import DELIVERIES, deliveries_queue

__all__ = ["short_database_waits"]  # a fixture, used by name

REPO = "Codertocat/Hello-World"
DECLARER = "U2147483697"  # the slash-command fixture's user
CONFIG = "slack:\n  users:\n    U2147483697: alice\n  announce_channel: {announce}\n  archive_after: 2h\n"


@pytest.fixture
def slack_env(settings, monkeypatch):
    env = {"SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_TEAM_ID": "T0001",
           "INCIDENT_DESK_SLACK_REPOSITORY": f"github:{REPO}"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


@pytest.fixture
def client(slack_env, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": slack_env, "TESTING": True}).test_client()


@pytest.fixture
def slack(fake_api, monkeypatch):
    """The Slack fake: on `responses` for a worker in this process, served by `FakeServer` to one in another."""
    fake = FakeSlack(fake_api, monkeypatch)
    fake.add_user(DECLARER, "Steve", "steve@example.com")
    fake.announce = fake.add_channel("incident-sre")
    return fake


@pytest.fixture
def github(fake_api, slack):
    return FakeGitHub(fake_api, permissions={"alice": "write"},
                      files={(REPO, ".github/incident-desk.yml"): CONFIG.format(announce=slack.announce)})


def incident_channels(slack) -> list[dict]:
    return [c for c in slack.channels.values() if c["id"] != slack.announce]


def declare_killed_while(fake_api, client, redis_conn, slack, call: str) -> FakeServer:
    """`/incident db is down` run by a worker killed once the API did `call` (a Slack method, or a GitHub
    path ending) and its answer never came, then by the next worker."""
    server = FakeServer(fake_api, slack)
    server.hang_on("POST", call, after=True)
    env = dict(os.environ, GITHUB_API_URL=server.url, SLACK_API_URL=server.slack_api_url)
    kill_mid_job_then_rerun(server, env, redis_conn, lambda: post_command(client, command(
        "db is down", response_url=server.response_url())), lambda: bool(slack.responses_posted))
    return server


def assert_declared_once(github, slack, store, redis_conn) -> None:
    assert [number for (repo, number) in github.issues if repo == REPO] == [1]
    assert [c["name"] for c in incident_channels(slack)] == [f"incident-{datetime.now(UTC):%Y-%m-%d}-db-is-down"]
    [channel] = incident_channels(slack)
    assert store.incident_chat(store.get_incident("github", REPO, 1)).channel_id == channel["id"]
    assert len(channel["pins"]) == 1
    [pinned] = slack.messages[channel["id"]]  # the summary, posted once
    assert pinned["ts"] == channel["pins"][0] and "issues/1" in pinned["text"]
    [announced] = slack.messages[slack.announce]
    assert "db is down" in announced["text"]
    [(_url, reply)] = slack.responses_posted
    assert "Declared incident" in reply["text"] and channel["name"] in reply["text"]
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_a_worker_killed_after_slack_created_the_channel_declares_with_that_one_channel(
        client, redis_conn, store, github, slack, fake_api):
    """Slack has no idempotency key: the channel's name is noted before it is asked for, and the retry that
    hears `name_taken` finds the channel it made instead of making `…-2`."""
    declare_killed_while(fake_api, client, redis_conn, slack, "conversations.create")
    assert_declared_once(github, slack, store, redis_conn)


def test_a_worker_killed_while_pinning_pins_one_summary(client, redis_conn, store, github, slack, fake_api):
    declare_killed_while(fake_api, client, redis_conn, slack, "pins.add")
    assert_declared_once(github, slack, store, redis_conn)


def test_a_worker_killed_after_slack_took_the_summary_posts_no_second(client, redis_conn, store, github, slack,
                                                                     fake_api):
    """The summary's answer lost: the retry finds it by its message metadata (conversations.history)."""
    declare_killed_while(fake_api, client, redis_conn, slack, "chat.postMessage")
    assert_declared_once(github, slack, store, redis_conn)


def test_a_worker_killed_after_github_opened_the_issue_opens_no_second(client, redis_conn, store, github, slack,
                                                                      fake_api):
    """The issue's answer lost: the retry finds the issue by the hidden marker its body ends with."""
    declare_killed_while(fake_api, client, redis_conn, slack, f"/repos/{REPO}/issues")
    assert_declared_once(github, slack, store, redis_conn)


def test_chat_told_while_the_database_is_locked_is_told_once_after(client, redis_conn, store, github, slack,
                                                                  short_database_waits):
    """follow_in_chat meets a database locked past its busy timeout: retried, then the channel hears the change
    once and the pinned summary is edited once."""
    post_command(client, command("db is down"))
    run_worker(redis_conn)
    [channel] = incident_channels(slack)
    posted = len(slack.messages[channel["id"]])
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/status monitoring fix is out"))
    run_one_job(redis_conn)  # the comment's delivery, which queues telling chat
    with database_locked(store):
        run_worker(redis_conn)  # telling chat meets the lock
        assert len(slack.messages[channel["id"]]) == posted
    drain(redis_conn)

    [told] = [m["text"] for m in slack.messages[channel["id"]][posted:]]
    assert "monitoring" in told
    [update] = slack.sent("chat.update")
    assert "monitoring" in update["text"]
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


def test_a_channel_due_for_archiving_while_the_database_is_locked_is_archived_after(
        client, redis_conn, store, github, slack, short_database_waits):
    post_command(client, command("db is down"))
    run_worker(redis_conn)
    [channel] = incident_channels(slack)
    incident = store.get_incident("github", REPO, 1)
    closed = datetime.now(UTC) - timedelta(hours=3)  # closed three hours ago: the 2 h archive is due
    store.save_incident(incident.with_changes(closed_at=closed))
    deliveries_queue(redis_conn).enqueue("worker.chat_jobs.archive_channel", channel["id"])
    with database_locked(store):
        run_worker(redis_conn)
        assert not channel["archived"]
    drain(redis_conn)
    assert channel["archived"] and len(slack.sent("conversations.archive")) == 1
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
