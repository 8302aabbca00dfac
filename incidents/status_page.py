"""The public status page, pure: which incidents a page shows, component states, the overall indicator,
90-day uptime, and the JSON shapes of the common hosted status-page API (reference/000-001)."""
from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from incidents import timezones
from incidents.config_model import Component
from incidents.model import Severity, Status

OPERATIONAL = "operational"
# Severity -> a component's state while an incident of that severity is open (worst wins).
COMPONENT_STATE = {Severity.MAJOR_OUTAGE: "major_outage", Severity.PARTIAL_OUTAGE: "partial_outage",
                   Severity.DEGRADED_PERFORMANCE: "degraded_performance", Severity.OPERATIONAL: OPERATIONAL}
STATE_ORDER = ("operational", "degraded_performance", "partial_outage", "major_outage")
STATE_TITLE = {"operational": "Operational", "degraded_performance": "Degraded performance",
               "partial_outage": "Partial outage", "major_outage": "Major outage"}
# DESIGN "Components": any major-outage -> critical, partial-outage -> major, degraded -> minor.
INDICATOR = {"major_outage": "critical", "partial_outage": "major", "degraded_performance": "minor",
             "operational": "none"}
DESCRIPTION = {"none": "All Systems Operational", "minor": "Minor Service Outage",
               "major": "Partial System Outage", "critical": "Major System Outage"}
DEFAULT_MESSAGE = {
    Status.INVESTIGATING: "We are investigating reports of a problem.",
    Status.IDENTIFIED: "The issue has been identified and a fix is being implemented.",
    Status.MONITORING: "A fix has been implemented and we are monitoring the results.",
    Status.RESOLVED: "This incident has been resolved.",
}
WORKAROUND_MESSAGE = "Workaround: {text}"
UPTIME_DAYS = 90
HISTORY_DAYS = 90
# Minutes of partial outage count 30% against uptime, major outage 100%, degraded performance not at all.
UPTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3, "degraded_performance": 0.0}


@dataclass(frozen=True)
class StatusPage:
    """A page as its repository's config declares it."""

    slug: str
    title: str
    timezone: str
    components: tuple[Component, ...]
    platform: str
    repository: str
    repositories: tuple[str, ...] = ()
    # When the page first listed each component (the store keeps it); not part of what the config declares.
    created: dict[str, datetime] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> tzinfo:
        return timezones.zone(self.timezone)

    def shows(self, platform: str, repository: str) -> bool:
        """Whether incidents of this repository appear on the page."""
        return platform == self.platform and (repository == self.repository or repository in self.repositories)

    @property
    def component_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.components)


@dataclass(frozen=True)
class PublicUpdate:
    """One update as the public sees it: the status at that moment and its message."""

    id: int
    status: Status
    message: str
    at: datetime
    severity: Severity | None = None
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class PublicIncident:
    """What the page shows of a published incident; never the issue's own text."""

    id: str
    name: str
    status: Status
    severity: Severity | None
    components: tuple[str, ...]
    started_at: datetime
    resolved_at: datetime | None = None
    published_at: datetime | None = None
    updates: tuple[PublicUpdate, ...] = field(default=())  # oldest first
    workaround: str | None = None
    postmortem: str | None = None
    postmortem_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is not Status.RESOLVED

    @property
    def latest_update(self) -> PublicUpdate | None:
        """The newest update; the status page's overview and history templates print it."""
        return self.updates[-1] if self.updates else None

    @property
    def updated_at(self) -> datetime:
        moments = [self.started_at, *(u.at for u in self.updates)]
        if self.postmortem_at:
            moments.append(self.postmortem_at)
        return max(moments)

    @property
    def state(self) -> str:
        """The state this incident puts its components in while it is open."""
        return COMPONENT_STATE.get(self.severity, OPERATIONAL) if self.severity else OPERATIONAL

    @property
    def impact(self) -> str:
        return INDICATOR[self.state]


def worst(states: Iterable[str]) -> str:
    return max(states, key=STATE_ORDER.index, default=OPERATIONAL)


def component_states(page: StatusPage, incidents: Iterable[PublicIncident]) -> dict[str, str]:
    """Each component's current state: the worst severity among the open incidents affecting it."""
    states = {component_id: OPERATIONAL for component_id in page.component_ids}
    for incident in incidents:
        if not incident.active:
            continue
        for component_id in incident.components:
            if component_id in states:
                states[component_id] = worst((states[component_id], incident.state))
    return states


def indicator(incidents: Iterable[PublicIncident]) -> str:
    """The page's overall indicator: none | minor | major | critical."""
    return INDICATOR[worst(i.state for i in incidents if i.active)]


def default_message(status: Status) -> str:
    return DEFAULT_MESSAGE[status]


# --- uptime -----------------------------------------------------------------------------

@dataclass(frozen=True)
class UptimeDay:
    day: date
    state: str  # the worst state seen that day
    minutes: dict[str, float]  # state -> minutes in that state

    @property
    def label(self) -> str:
        if self.state == OPERATIONAL:
            return f"{_day_name(self.day)}: no incidents"
        parts = ", ".join(f"{STATE_TITLE[s].lower()} {round(m)} min" for s, m in sorted(self.minutes.items()))
        return f"{_day_name(self.day)}: {parts}"


@functools.lru_cache(maxsize=512)
def _day_name(day: date) -> str:
    """Cached: the overview names the same 90 days for every component (strftime is the slow part)."""
    return f"{day:%b} {day.day}, {day.year}"


def uptime(component_id: str, incidents: Iterable[PublicIncident], now: datetime, zone: tzinfo,
           days: int = UPTIME_DAYS) -> tuple[list[UptimeDay], float]:
    """The component's last `days` days (oldest first, in the page's timezone) and its uptime percentage."""
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    window_start = datetime.combine(first, time(), zone)
    per_day: dict[date, dict[str, float]] = {}
    for incident in incidents:
        if component_id not in incident.components or incident.state == OPERATIONAL:
            continue
        start = max(incident.started_at, window_start)
        end = min(incident.resolved_at or now, now)
        while start < end:
            local = start.astimezone(zone)
            next_day = datetime.combine(local.date() + timedelta(days=1), time(), zone)
            stop = min(end, next_day)
            minutes = per_day.setdefault(local.date(), {})
            minutes[incident.state] = minutes.get(incident.state, 0.0) + (stop - start).total_seconds() / 60
            start = stop
    bar, lost = [], 0.0
    for offset in range(days):
        day = first + timedelta(days=offset)
        minutes = per_day.get(day, {})
        if not minutes:  # most days: nothing to weigh
            bar.append(UptimeDay(day, OPERATIONAL, {}))
            continue
        bar.append(UptimeDay(day, worst(minutes), minutes))
        lost += sum(min(m, 1440.0) * UPTIME_WEIGHT.get(s, 0.0) for s, m in minutes.items())
    total = (now - window_start).total_seconds() / 60
    return bar, round(max(0.0, 100.0 * (1 - lost / total)), 2) if total > 0 else 100.0


def uptimes(page: StatusPage, incidents: Iterable[PublicIncident],
            now: datetime) -> dict[str, tuple[list[UptimeDay], float]]:
    """`uptime` for every component of the page, each given only the incidents that affected it."""
    affecting: dict[str, list[PublicIncident]] = {component_id: [] for component_id in page.component_ids}
    for incident in incidents:
        if incident.state != OPERATIONAL:
            for component_id in incident.components:
                if component_id in affecting:
                    affecting[component_id].append(incident)
    return {component_id: uptime(component_id, found, now, page.zone) for component_id, found in affecting.items()}


# --- the hosted status-page API's shapes --------------------------------------------------

def stamp(moment: datetime | None, zone: tzinfo) -> str | None:
    """ISO 8601 in the page's timezone, with milliseconds, as the common API writes it."""
    return moment.astimezone(zone).isoformat(timespec="milliseconds") if moment else None


def page_json(page: StatusPage, url: str, updated_at: datetime) -> dict:
    return {"id": page.slug, "name": page.title, "url": url, "time_zone": page.timezone,
            "updated_at": stamp(updated_at, page.zone)}


def status_json(incidents: Iterable[PublicIncident]) -> dict:
    level = indicator(incidents)
    return {"indicator": level, "description": DESCRIPTION[level]}


def components_json(page: StatusPage, incidents: Sequence[PublicIncident], updated_at: datetime) -> list[dict]:
    """Components in config order; each group becomes a group component listing its members' ids."""
    states = component_states(page, incidents)
    changed: dict[str, datetime] = {}
    for incident in incidents:
        for component_id in incident.components:
            changed[component_id] = max(changed.get(component_id, incident.updated_at), incident.updated_at)
    groups: dict[str, list[str]] = {}
    for component in page.components:
        if component.group:
            groups.setdefault(component.group, []).append(component.id)
    listed = []
    for position, component in enumerate(page.components, start=1):
        group_id = _group_id(component.group) if component.group else None
        listed.append(_component_json(
            page, component.id, component.name, states[component.id], position, group_id=group_id,
            description=component.description or None, created=page.created.get(component.id, updated_at),
            updated=changed.get(component.id, updated_at)))
    for position, (group, members) in enumerate(groups.items(), start=len(listed) + 1):
        listed.append(_component_json(
            page, _group_id(group), group, worst(states[m] for m in members), position, showcase=False, group=True,
            components=members, created=min(page.created.get(m, updated_at) for m in members),
            updated=max((changed.get(m, updated_at) for m in members), default=updated_at)))
    return listed


def _component_json(page: StatusPage, component_id: str, name: str, status: str, position: int, *,
                    created: datetime, updated: datetime, group_id: str | None = None,
                    description: str | None = None, showcase: bool = True, group: bool = False,
                    components: list[str] | None = None) -> dict:
    """One component in the hosted API's shape; `start_date` is the page's day it was first listed."""
    shown: dict[str, object] = {
        "id": component_id, "page_id": page.slug, "group_id": group_id, "name": name,
        "description": description, "status": status, "position": position, "showcase": showcase,
        "group": group, "only_show_if_degraded": False, "created_at": stamp(created, page.zone),
        "updated_at": stamp(updated, page.zone), "start_date": created.astimezone(page.zone).date().isoformat(),
    }
    if components is not None:
        shown["components"] = components
    return shown


def _group_id(group: str) -> str:
    return "group-" + "-".join(group.lower().split())


def incident_json(page: StatusPage, incident: PublicIncident, shortlink: str,
                  components: list[dict] | None = None) -> dict:
    """The incident in the hosted API's shape; `components` is the page's components list, as
    `components_json` gives it (else worked out from this incident alone)."""
    names = {c.id: c.name for c in page.components}
    zone = page.zone
    if components is None:
        components = components_json(page, [incident], incident.updated_at)
    listed = {c["id"]: c for c in components}
    monitoring = next((u.at for u in incident.updates if u.status is Status.MONITORING), None)
    updates: list[dict] = []
    previous: dict[str, str] = {}
    for update in incident.updates:  # oldest first, to know each component's state before it
        state = COMPONENT_STATE.get(update.severity, OPERATIONAL) if update.severity else OPERATIONAL
        if update.status is Status.RESOLVED:
            state = OPERATIONAL
        affected = [{"code": c, "name": names.get(c, c), "old_status": previous.get(c, OPERATIONAL),
                     "new_status": state} for c in update.components]
        previous.update({c: state for c in update.components})
        updates.append({
            "id": str(update.id), "incident_id": incident.id, "status": update.status.value, "body": update.message,
            "created_at": stamp(update.at, zone), "updated_at": stamp(update.at, zone),
            "display_at": stamp(update.at, zone), "affected_components": affected,
            "deliver_notifications": True, "custom_tweet": None, "tweet_id": None,
        })
    return {
        "id": incident.id, "page_id": page.slug, "name": incident.name, "status": incident.status.value,
        "impact": incident.impact, "shortlink": shortlink,
        "created_at": stamp(incident.published_at or incident.started_at, zone),
        "started_at": stamp(incident.started_at, zone), "updated_at": stamp(incident.updated_at, zone),
        "monitoring_at": stamp(monitoring, zone), "resolved_at": stamp(incident.resolved_at, zone),
        "incident_updates": updates[::-1],  # newest first, as the API lists them
        "components": [listed.get(c) or _component_json(
            page, c, c, incident.state if incident.active else OPERATIONAL, len(listed) + 1,
            created=incident.started_at, updated=incident.updated_at) for c in incident.components],
        "workaround": incident.workaround,
        "postmortem_body": incident.postmortem, "postmortem_published_at": stamp(incident.postmortem_at, zone),
    }


def page_updated_at(page_changed: datetime, incidents: Iterable[PublicIncident]) -> datetime:
    return max([page_changed, *(i.updated_at for i in incidents)])


def minutes_ago(moment: datetime, now: datetime) -> str:
    """"just now", "1 minute ago", "42 minutes ago", "3 hours ago", "2 days ago"."""
    minutes = max(0, int((now - moment).total_seconds() // 60))
    if minutes < 1:
        return "just now"
    if minutes < 120:
        return f"{minutes} minute{'s' if minutes != 1 else ''} ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} hours ago"
    return f"{minutes // 1440} days ago"


# Terminal colour codes pasted with a log line go whole; then every character XML 1.0 forbids, and the controls
# HTML reads as parse errors (DEL, C1, U+FFFE/U+FFFF). Tab, line feed and carriage return stay.
_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """Text as the feed and the pages may carry it: no terminal escapes, no characters XML forbids."""
    return _NOT_IN_XML.sub("", _TERMINAL_ESCAPE.sub("", text))


def machine_time(moment: datetime) -> str:
    """A moment for `<time datetime>`: UTC to the second (HTML allows at most three fractional digits)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_time(moment: datetime, zone: tzinfo) -> str:
    """A moment as the page shows it: `Nov 23, 2026 13:53 CET`."""
    return moment.astimezone(zone).strftime("%b %d, %Y %H:%M %Z")


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Publication:
    """Whether and how an incident is shown: its public id and name, workaround and postmortem."""

    public_id: str
    published: bool
    name: str
    published_at: datetime | None = None
    workaround: str | None = None
    postmortem: str | None = None
    postmortem_at: datetime | None = None


@dataclass(frozen=True)
class Subscriber:
    """An email address or a webhook URL that hears of every published update (or those of some components)."""

    id: int
    slug: str
    kind: str  # email | webhook
    address: str
    token: str
    components: tuple[str, ...] = ()
    secret: str | None = None
    confirmed_at: datetime | None = None

    def wants(self, incident: PublicIncident) -> bool:
        """Updates of incidents touching a chosen component; incidents naming none reach everyone."""
        return not self.components or not incident.components or bool(set(self.components) & set(incident.components))
