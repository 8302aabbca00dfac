"""Issue 13 item 1: a page shows another repository's incidents only when that repository opts in to it.
Listing a repository in `status_page.repositories` is a request, not a permission."""
from __future__ import annotations

import pytest

from tests.fakes.github import FakeGitHub
from tests.support import post_github, run_worker

SITE, SECRET = "mallory/site", "acme/secret"
SITE_CONFIG = "status_page: {enabled: true, slug: mallory, title: Mallory status, repositories: [acme/secret]}\n"
OPT_IN = "status_page: {pages: [mallory]}\n"
PAGE_FILES = ("api/v2/summary.json", "api/v2/incidents.json", "api/v2/incidents/unresolved.json", "feed.atom",
              "", "history.html")


@pytest.fixture
def github(fake_api):
    fake = FakeGitHub(fake_api, files={(SITE, ".github/incident-desk.yml"): SITE_CONFIG},
                      permissions={"alice": "write"})
    fake.add_issue(SITE, 1, "Website copy")
    fake.add_issue(SECRET, 1, "Vault rotation")
    return fake


def say(client, redis_conn, github, repo, number, text):
    post_github(client, "issue_comment", github.comment_event(repo, number, "alice", text))
    run_worker(redis_conn)


def page_text(client) -> str:
    texts = []
    for path in PAGE_FILES:
        response = client.get(f"/status/mallory/{path}")
        assert response.status_code == 200, path
        texts.append(response.get_data(as_text=True))
    return "\n".join(texts)


def declare_secret_incident(client, redis_conn, github):
    say(client, redis_conn, github, SITE, 1, "just a comment")  # records mallory's page
    say(client, redis_conn, github, SECRET, 1, "/incident Vault keys exposed")
    say(client, redis_conn, github, SECRET, 2, "/status identified rotated the leaked key")


def test_a_listed_repository_that_did_not_opt_in_is_not_shown(client, redis_conn, store, github):
    """The attack of issue 13 item 1: mallory/site lists acme/secret, which has no page and never agreed."""
    declare_secret_incident(client, redis_conn, github)
    assert store.get_incident("github", SECRET, 2).status.value == "identified"
    text = page_text(client)
    assert "Vault keys exposed" not in text and "rotated the leaked key" not in text
    assert client.get("/status/mallory/api/v2/summary.json").get_json()["incidents"] == []
    assert store.pages_showing("github", SECRET) == []


def test_a_listed_repository_with_a_page_of_its_own_is_not_shown_on_another_page(
        client, redis_conn, store, github):
    """Its own page is public, but that is no consent to appear on somebody else's page (and its mail)."""
    github.files[(SECRET, ".github/incident-desk.yml")] = "status_page: {enabled: true, slug: acme}\n"
    declare_secret_incident(client, redis_conn, github)
    own = client.get("/status/acme/api/v2/summary.json").get_json()
    assert [i["name"] for i in own["incidents"]] == ["Vault keys exposed"]
    assert "Vault keys exposed" not in page_text(client)
    assert [p.slug for p in store.pages_showing("github", SECRET)] == ["acme"]


def test_a_repository_that_opts_in_is_shown_until_it_opts_out(client, redis_conn, store, github):
    github.files[(SECRET, ".github/incident-desk.yml")] = OPT_IN
    declare_secret_incident(client, redis_conn, github)
    data = client.get("/status/mallory/api/v2/summary.json").get_json()
    assert [i["name"] for i in data["incidents"]] == ["Vault keys exposed"]
    assert "Vault keys exposed" in client.get("/status/mallory/feed.atom").get_data(as_text=True)

    github.files[(SECRET, ".github/incident-desk.yml")] = "status_page: {pages: []}\n"
    redis_conn.delete(f"incident-desk:config:github:{SECRET}")  # the 10-minute config cache ran out
    say(client, redis_conn, github, SECRET, 2, "an internal note")
    assert "Vault keys exposed" not in page_text(client)


def test_the_opt_in_holds_when_the_listing_page_changes_later(client, redis_conn, store, github):
    """The page's own deliveries rewrite its definition; they keep an opt-in given earlier."""
    github.files[(SECRET, ".github/incident-desk.yml")] = OPT_IN
    declare_secret_incident(client, redis_conn, github)
    github.files[(SITE, ".github/incident-desk.yml")] = SITE_CONFIG.replace("Mallory status", "Mallory's page")
    redis_conn.delete(f"incident-desk:config:github:{SITE}")
    say(client, redis_conn, github, SITE, 1, "another comment")
    data = client.get("/status/mallory/api/v2/summary.json").get_json()
    assert data["page"]["name"] == "Mallory's page"
    assert [i["name"] for i in data["incidents"]] == ["Vault keys exposed"]


def test_an_opt_in_to_a_page_that_does_not_list_the_repository_shows_nothing(client, redis_conn, store, github):
    github.files[(SECRET, ".github/incident-desk.yml")] = OPT_IN
    github.files[(SITE, ".github/incident-desk.yml")] = "status_page: {enabled: true, slug: mallory}\n"
    declare_secret_incident(client, redis_conn, github)
    assert "Vault keys exposed" not in page_text(client)


def test_a_page_recorded_before_opt_ins_shows_only_its_own_repository(store):
    """Rows written before issue 13 list plain names: none of those repositories ever agreed."""
    from sqlalchemy import update

    from incidents.status_page import StatusPage
    from store.models import StatusPageRow

    store.save_status_page(StatusPage("mallory", "Mallory status", "UTC", (), "github", SITE, (SECRET,)))
    with store.session() as s:
        s.execute(update(StatusPageRow).values(repositories=[SECRET]))
    [page] = store.status_pages()
    assert page.repositories == () and not page.shows("github", SECRET) and page.shows("github", SITE)
    store.keep_opt_ins("github", SECRET, ("mallory",))
    assert store.status_pages()[0].shows("github", SECRET)
