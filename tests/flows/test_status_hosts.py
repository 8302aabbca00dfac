"""Issue 13 item 34: an operator serves one page at the root of its own host name
(INCIDENT_DESK_STATUS_HOSTS), where Atlassian's status widget fetches <host>/api/v2/summary.json."""
from __future__ import annotations

import re

import pytest

from incident_desk.settings import Settings
from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

REPO = "Codertocat/Hello-World"
CONFIG = """components:
  - {id: api, name: Public API}
status_page: {enabled: true, slug: hello, title: Hello status}
"""
HOST = "https://status.hello.example"
FILES = ("", "index.html", "history.html", "feed.atom", "api/v2/summary.json", "api/v2/status.json",
         "api/v2/components.json", "api/v2/incidents.json", "api/v2/incidents/unresolved.json")


@pytest.fixture
def host_client(settings, store, monkeypatch):
    from webhook_app import create_app

    monkeypatch.setenv("INCIDENT_DESK_STATUS_HOSTS", "Status.Hello.Example=hello, other.example=nothing-here")
    monkeypatch.setenv("SMTP_URL", "smtp://127.0.0.1:1?from=status@example.com")
    return create_app({"SETTINGS": Settings.from_env(), "TESTING": True}).test_client()


@pytest.fixture
def published(host_client, redis_conn, fake_api):
    """A page with one published incident, recorded by real deliveries."""
    github = FakeGitHub(fake_api, files={(REPO, ".github/incident-desk.yml"): CONFIG}, permissions={"alice": "write"})
    github.add_issue(REPO, 1, "Spelling error in the README file")
    for number, text in ((1, "/incident API errors"), (2, "/component api\n/status identified bad deploy")):
        post_github(host_client, "issue_comment", github.comment_event(REPO, number, "alice", text))
        run_worker(redis_conn)
    [incident] = host_client.get("/status/hello/api/v2/summary.json").get_json()["incidents"]
    return incident["id"]


def test_the_page_is_served_at_the_root_of_its_host(host_client, published):
    for path in (*FILES, f"incidents/{published}.html"):
        on_host = host_client.get(f"/{path}", base_url=HOST)
        under_status = host_client.get(f"/status/hello/{path}")
        assert on_host.status_code == 200, path
        assert on_host.get_data() == under_status.get_data(), path
        assert on_host.content_type == under_status.content_type, path
    summary = host_client.get("/api/v2/summary.json", base_url=HOST)
    assert summary.get_json()["incidents"][0]["name"] == "API errors"
    assert summary.headers["Access-Control-Allow-Origin"] == "*"  # the widget runs on the customer's site
    etag = summary.headers["ETag"]
    assert host_client.get("/api/v2/summary.json", base_url=HOST,
                           headers={"If-None-Match": etag}).status_code == 304


def test_relative_links_of_the_pages_resolve_on_the_host(host_client, published):
    overview = host_client.get("/", base_url=HOST).get_data(as_text=True)
    links = set(re.findall(r'(?:href|action)="([^"#]+)"', overview)) - {"./"}
    assert f"incidents/{published}.html" in links and "history.html" in links and "subscribe" in links
    for link in links - {"subscribe"}:
        if not re.match(r"[a-z]+:", link):  # not the favicon's data: URL
            assert host_client.get(f"/{link}", base_url=HOST).status_code == 200, link


def test_the_subscribe_form_works_on_the_host(host_client, store, published):
    answer = host_client.post("/subscribe", data={"email": "ana@example.com"}, base_url=HOST)
    assert answer.status_code == 202 and "Check your inbox" in answer.get_data(as_text=True)
    [subscriber] = store.subscribers("hello", confirmed_only=False)
    assert host_client.get(f"/subscriptions/{subscriber.token}/confirm", base_url=HOST).status_code == 200
    assert store.subscribers("hello") != []


def test_other_hosts_keep_status_slug_routing_and_the_app_keeps_its_routes(host_client, published):
    assert host_client.get("/api/v2/summary.json").status_code == 404  # localhost: no page at the root
    assert host_client.get("/").status_code == 404
    assert host_client.get("/status/hello/api/v2/summary.json").status_code == 200
    # On the status host the app's own routes stay where they are.
    assert host_client.get("/healthz", base_url=HOST).status_code == 200
    assert host_client.get("/status/hello/history.html", base_url=HOST).status_code == 200
    assert host_client.post("/webhooks/github", base_url=HOST, data=b"{}").status_code in (400, 401)
    # A host named for a slug no repository has shows "no such page", not another page.
    missing = host_client.get("/api/v2/summary.json", base_url="https://other.example")
    assert missing.status_code == 404 and "No such status page" in missing.get_data(as_text=True)


def test_the_host_given_by_a_trusted_proxy_counts(settings, store, monkeypatch, published):
    from webhook_app import create_app

    monkeypatch.setenv("INCIDENT_DESK_STATUS_HOSTS", "status.hello.example=hello")
    monkeypatch.setenv("INCIDENT_DESK_TRUSTED_PROXIES", "1")
    client = create_app({"SETTINGS": Settings.from_env(), "TESTING": True}).test_client()
    forwarded = client.get("/api/v2/summary.json", headers={"X-Forwarded-Host": "status.hello.example"})
    assert forwarded.status_code == 200 and forwarded.get_json()["page"]["name"] == "Hello status"


def test_bad_status_hosts_setting_is_refused_by_name():
    with pytest.raises(ValueError, match="INCIDENT_DESK_STATUS_HOSTS"):
        Settings.from_env({"INCIDENT_DESK_STATUS_HOSTS": "status.acme.com"})
