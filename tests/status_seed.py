"""A realistic status page in the store, for the browser test and docs/status_screenshot.py.

Everything is placed relative to `now`, so the page always shows one active incident, a 90-day uptime bar
with coloured days, and resolved incidents spread over the history's months.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from incidents.config_model import Component
from incidents.model import Incident, Severity, Status
from incidents.status_page import StatusPage

SLUG = "acme"
TITLE = "Acme status"
TIMEZONE = "Europe/Berlin"
REPOSITORY = "acme/api"

COMPONENTS = (
    Component("api", "Public API", "REST and GraphQL", "Platform"),
    Component("auth", "Authentication", "Sign-in and tokens", "Platform"),
    Component("db", "Database", "", "Platform"),
    Component("web", "Website", "acme.example", "Customer-facing"),
    Component("dashboard", "Dashboard", "", "Customer-facing"),
    Component("mail", "Email notifications", "", "Customer-facing"),
)

ACTIVE_NAME = "Elevated API error rates"
IDENTIFIED = ("We traced the errors to a faulty configuration push to the API gateway in eu-west "
              "and are rolling it back.")
MONITORING = "The rollback is complete and error rates are back to normal. We are monitoring the results."
WORKAROUND = ("Retry failed requests after a few seconds, as described in "
              "https://developer.acme.example/docs/api/v2/errors/retrying_requests_with_backoff "
              "(requests to api-us.acme.example are not affected).")
UNPUBLISHED_NAME = "Database failover drill"  # open and severe, but never published: the page must not show it
# The written sections of the newest resolved incident's postmortem, as `/publish postmortem` puts them.
POSTMORTEM = """## Summary

For 45 minutes some visitors could not reach **acme.example**: one of three edge locations served errors.

## Root cause analysis

1. A certificate renewal job failed silently on the *eu-west* edge.
2. Health checks only tested plain HTTP, so traffic kept flowing to it.

| Edge | Errors | Duration |
|---|---|---|
| eu-west | 38 % | 45 min |
| us-east | 0 % | - |

## Action items

- Alert on certificate expiry below 14 days
- Health checks over HTTPS (`/healthz` with TLS)
"""


@dataclass
class Seeded:
    page: StatusPage
    now: datetime
    active_updated_minutes_ago: int
    resolved: list[tuple[str, datetime]] = field(default_factory=list)  # (name, started at), newest first


def _run(store, number: int, title: str, severity: Severity, components: tuple[str, ...],
         steps: list[tuple[Status, datetime, str]], *, published: bool = True, workaround: str | None = None):
    """Save the incident once per status it went through, each time adding the public update."""
    started = steps[0][1] - timedelta(minutes=10)
    incident = Incident("github", REPOSITORY, number, title, severity=severity, components=components,
                        reported_at=started)
    for position, (status, at, message) in enumerate(steps):
        incident = incident.with_changes(status=status,
                                         resolved_at=at if status is Status.RESOLVED else None)
        store.save_incident(incident)
        if position == 0:
            changes = dict(published=published, name=title, published_at=at)
            if workaround:
                changes["workaround"] = workaround
            store.set_publication(incident, **changes)
        store.add_update(incident, key=f"{REPOSITORY}#{number}-{position}", message=message, at=at)
    return incident


def seed_status_page(store, now: datetime | None = None) -> Seeded:
    """The page "Acme status" with one active incident (identified, then monitoring) and a past of resolved ones."""
    now = now or datetime.now(UTC)
    page = StatusPage(SLUG, TITLE, TIMEZONE, COMPONENTS, platform="github", repository=REPOSITORY)
    store.save_status_page(page)
    seeded = Seeded(page, now, active_updated_minutes_ago=12)

    # Resolved incidents, oldest first: (days ago, title, severity, components, hours it lasted).
    past = [
        (83, "Dashboard charts load slowly", Severity.DEGRADED_PERFORMANCE, ("dashboard",), 5),
        (61, "Sign-in failures for SSO users", Severity.MAJOR_OUTAGE, ("auth", "dashboard"), 2),
        (44, "Delayed email notifications", Severity.PARTIAL_OUTAGE, ("mail",), 3),
        (23, "Database maintenance overran", Severity.PARTIAL_OUTAGE, ("db", "api"), 1.5),
        (6, "Website unreachable for some visitors", Severity.MAJOR_OUTAGE, ("web",), 0.75),
    ]
    for number, (days, title, severity, components, hours) in enumerate(past, start=1):
        # 10:00 on the page's own clock, so no incident crosses a midnight there whatever the hour the suite runs
        local = (now - timedelta(days=days)).astimezone(page.zone)
        start = local.replace(hour=10, minute=0, second=0, microsecond=0).astimezone(UTC)
        incident = _run(store, number, title, severity, components, [
            (Status.IDENTIFIED, start, "We found the cause and are working on a fix."),
            (Status.MONITORING, start + timedelta(hours=hours * 0.7), "A fix is out; we are watching."),
            (Status.RESOLVED, start + timedelta(hours=hours), "This incident has been resolved."),
        ])
        seeded.resolved.insert(0, (title, start - timedelta(minutes=10)))
    store.set_publication(incident, postmortem=POSTMORTEM, postmortem_at=now - timedelta(days=4))

    _run(store, 10, UNPUBLISHED_NAME, Severity.MAJOR_OUTAGE, ("db",),
         [(Status.IDENTIFIED, now - timedelta(minutes=30), "Internal only.")], published=False)

    _run(store, 11, ACTIVE_NAME, Severity.PARTIAL_OUTAGE, ("api",), [
        (Status.IDENTIFIED, now - timedelta(minutes=55), IDENTIFIED),
        (Status.MONITORING, now - timedelta(minutes=seeded.active_updated_minutes_ago), MONITORING),
    ], workaround=WORKAROUND)
    return seeded
