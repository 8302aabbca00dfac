"""Faults for alerts (issue 17) tried for real: the worker killed with -9 mid-declaration while a GitHub call
hangs, and the database locked past its busy timeout. An Alertmanager notification still opens one incident
issue with one summary."""
from __future__ import annotations

import os

import pytest
from rq.registry import FailedJobRegistry

from incident_desk.settings import Settings
from incidents.summary import SUMMARY_MARKER
from tests.alert_support import SOURCE, TOKEN, firing, post_alertmanager
from tests.fakes.github import FakeGitHub
from tests.fault_support import (
    FakeServer,
    database_locked,
    drain,
    kill_mid_job_then_rerun,
    retries_waiting,
    short_database_waits,
)
from tests.support import run_worker
from worker.queue import DELIVERIES

__all__ = ["short_database_waits"]  # a fixture, used by name

REPO = "Codertocat/Hello-World"


@pytest.fixture
def alert_env(settings, monkeypatch):
    monkeypatch.setenv("INCIDENT_DESK_ALERT_SOURCES", f"{SOURCE}={TOKEN}")
    monkeypatch.setenv("INCIDENT_DESK_ALERT_ROUTES", f"* -> github:{REPO}")
    return Settings.from_env()


@pytest.fixture
def client(alert_env, store):
    from webhook_app import create_app

    return create_app({"SETTINGS": alert_env, "TESTING": True}).test_client()


@pytest.fixture
def github(fake_api):
    return FakeGitHub(fake_api)


def summaries(github) -> list[str]:
    return [c for key, comments in github.comments.items() if key[0] == REPO
            for c in (comment["body"] for comment in comments) if c.startswith(SUMMARY_MARKER)]


def assert_declared_once(github, store, redis_conn) -> None:
    assert [number for (repo, number) in github.issues if repo == REPO] == [1]
    assert len(summaries(github)) == 1
    assert [i.number for i in store.incidents(REPO)] == [1]
    assert store.alert_group_incident(SOURCE, firing()["groupKey"]).number == 1
    assert not FailedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()


@pytest.mark.parametrize("method, path, after", [("POST", "/comments", False), ("POST", "/comments", True),
                                                 ("POST", "/issues", True)],
                         ids=["summary-hangs", "summary-made-answer-lost", "issue-made-answer-lost"])
def test_a_worker_killed_mid_declaration_opens_one_incident_on_the_next_worker(
        client, redis_conn, store, github, fake_api, method, path, after):
    server = FakeServer(fake_api)
    server.hang_on(method, path, after=after)
    env = dict(os.environ, GITHUB_API_URL=server.url)
    kill_mid_job_then_rerun(server, env, redis_conn, lambda: post_alertmanager(client, SOURCE, firing(), TOKEN),
                            lambda: store.alert_group_incident(SOURCE, firing()["groupKey"]) is not None)
    assert_declared_once(github, store, redis_conn)


def test_an_alert_while_the_database_is_locked_opens_one_incident_after(client, redis_conn, store, github,
                                                                       short_database_waits):
    with database_locked(store):
        assert post_alertmanager(client, SOURCE, firing(), TOKEN).status_code == 202
        run_worker(redis_conn)  # the first try meets the lock and gives up after the busy timeout
        assert retries_waiting(redis_conn), "no retry scheduled"
    drain(redis_conn)
    assert_declared_once(github, store, redis_conn)
