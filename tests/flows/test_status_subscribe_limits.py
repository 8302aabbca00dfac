"""Issue 13 item 14: the public subscribe form is limited per client and overall, and the client address
is taken from X-Forwarded-For only behind as many proxies as INCIDENT_DESK_TRUSTED_PROXIES says."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from incident_desk.settings import Settings
from incidents.config_model import Component
from incidents.status_page import StatusPage
from tests.flows.test_status_notify import free_port, start_smtp
from tests.support import run_worker

PAGE = StatusPage("hello", "Hello status", "UTC", (Component("api", "Public API", "", None),), "github",
                  "Codertocat/Hello-World")
ATTACKER, NEIGHBOUR, PROXY = "203.0.113.9", "198.51.100.20", "10.0.0.2"


def mid_hour():
    """The limits count per clock hour: the requests of one test must not straddle two hours."""
    return time_machine.travel(datetime(2026, 12, 2, 10, 20, tzinfo=UTC), tick=False)


@pytest.fixture
def smtp(settings):
    port = free_port()
    controller, inbox = start_smtp(port)
    yield port, inbox
    controller.stop()


@pytest.fixture
def make_client(settings, store, monkeypatch, smtp):
    """An app with mail on and the environment given (the worker reads the same environment)."""
    from webhook_app import create_app

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{smtp[0]}?from=status@example.com")
    store.save_status_page(PAGE)

    def make(**env):
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return create_app({"SETTINGS": Settings.from_env(), "TESTING": True}).test_client()
    return make


def subscribe(client, address, remote=ATTACKER, **headers):
    return client.post("/status/hello/subscribe", data={"email": address}, headers=headers,
                       environ_base={"REMOTE_ADDR": remote})


def addresses(store) -> set[str]:
    return {s.address for s in store.subscribers("hello", confirmed_only=False)}


def test_500_addresses_from_one_client_are_refused_after_the_limit(make_client, store, redis_conn, smtp):
    client, inbox = make_client(), smtp[1]
    limit = Settings.from_env().subscribe_limit_per_client
    with mid_hour():
        answers = [subscribe(client, f"victim{n}@example.com") for n in range(500)]
    assert [a.status_code for a in answers] == [202] * limit + [429] * (500 - limit)
    refused = answers[-1]
    assert "Too many subscription requests" in refused.get_data(as_text=True)
    assert refused.headers["Retry-After"] == "2400"  # until 11:00
    run_worker(redis_conn)
    assert len(addresses(store)) == limit and len(inbox.messages) == limit

    assert subscribe(client, "neighbour@example.com", remote=NEIGHBOUR).status_code == 202  # another client
    run_worker(redis_conn)
    assert len(inbox.to("neighbour@example.com")) == 1


def test_the_overall_limit_holds_against_many_clients(make_client, store, redis_conn, smtp):
    client = make_client(INCIDENT_DESK_SUBSCRIBE_LIMIT_TOTAL="30")
    with mid_hour():
        codes = [subscribe(client, f"a{n}@example.com", remote=f"192.0.2.{n}").status_code for n in range(60)]
    assert codes == [202] * 30 + [429] * 30
    run_worker(redis_conn)
    assert len(addresses(store)) == 30 and len(smtp[1].messages) == 30


def test_x_forwarded_for_is_ignored_without_trusted_proxies(make_client, store, redis_conn):
    """A client cannot pose as many by making up X-Forwarded-For."""
    client = make_client()
    limit = Settings.from_env().subscribe_limit_per_client
    with mid_hour():
        codes = [subscribe(client, f"v{n}@example.com", **{"X-Forwarded-For": f"192.0.2.{n}"}).status_code
                 for n in range(limit + 5)]
    assert codes == [202] * limit + [429] * 5


def test_behind_one_trusted_proxy_the_forwarded_client_is_counted(make_client, store, redis_conn):
    client = make_client(INCIDENT_DESK_TRUSTED_PROXIES="1")
    limit = Settings.from_env().subscribe_limit_per_client
    # Everyone arrives from the proxy's address; the proxy appends the client's own address.
    with mid_hour():
        codes = [subscribe(client, f"v{n}@example.com", remote=PROXY,
                           **{"X-Forwarded-For": f"192.0.2.77, {ATTACKER}"}).status_code for n in range(limit + 5)]
        neighbour = subscribe(client, "neighbour@example.com", remote=PROXY, **{"X-Forwarded-For": NEIGHBOUR})
    assert codes == [202] * limit + [429] * 5  # the made-up first hop is not trusted, the proxy's is
    assert neighbour.status_code == 202


def test_bad_limit_settings_are_refused_by_name():
    with pytest.raises(ValueError, match="INCIDENT_DESK_TRUSTED_PROXIES"):
        Settings.from_env({"INCIDENT_DESK_TRUSTED_PROXIES": "-1"})
    with pytest.raises(ValueError, match="INCIDENT_DESK_SUBSCRIBE_LIMIT_PER_CLIENT"):
        Settings.from_env({"INCIDENT_DESK_SUBSCRIBE_LIMIT_PER_CLIENT": "many"})
