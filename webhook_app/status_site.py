"""One status page rendered as files: HTML pages, the v2 JSON API and the Atom feed. The blueprint serves
these files and `incident-desk status export` writes them, so both show exactly the same thing.
Links between pages are relative (DESIGN "Status page URLs"); mail and feeds use PUBLIC_URL."""
from __future__ import annotations

import json
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

from incidents.maintenance import (
    UNDER_MAINTENANCE,
    components_with_maintenance,
    maintenance_json,
    under_maintenance,
    with_maintenance,
)
from incidents.maintenance import active as active_maintenances
from incidents.maintenance import upcoming as upcoming_maintenances
from incidents.status_page import (
    DESCRIPTION,
    HISTORY_DAYS,
    STATE_TITLE,
    StatusPage,
    component_states,
    components_json,
    incident_json,
    local_time,
    machine_time,
    minutes_ago,
    page_json,
    page_updated_at,
    printable,
    stamp,
    status_json,
    uptimes,
    utc_now,
)

TEMPLATES = Path(__file__).parent / "templates"


def _printable(value):
    """Every value a template prints, before escaping: titles and messages are pasted text (issue 13 item 16)."""
    if isinstance(value, Markup):
        return Markup(printable(str(value)))
    return printable(value) if isinstance(value, str) else value


_ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml"]),
                   trim_blocks=True, lstrip_blocks=True, finalize=_printable)
# Raw HTML stays text and unsafe link schemes are refused (markdown-it's validateLink): the postmortem
# is people's writing, shown to the public.
_POSTMORTEM = MarkdownIt("commonmark", {"html": False}).enable("table")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
RECENT_INCIDENTS_API = 50  # what the hosted API's incidents.json lists
FEED_ENTRIES = 50  # a feed reader wants what changed lately, not 90 days at once
RECENT_MAINTENANCES_API = 50  # what the hosted API's scheduled-maintenances.json lists
_STATE_TITLE = {**STATE_TITLE, UNDER_MAINTENANCE: "Under maintenance"}

STATIC = ("index.html", "history.html", "feed.atom", "api/v2/summary.json", "api/v2/status.json",
          "api/v2/components.json", "api/v2/incidents.json", "api/v2/incidents/unresolved.json",
          "api/v2/scheduled-maintenances.json", "api/v2/scheduled-maintenances/upcoming.json",
          "api/v2/scheduled-maintenances/active.json")
TYPES = {".html": "text/html; charset=utf-8", ".json": "application/json",
         ".atom": "application/atom+xml; charset=utf-8"}
_INCIDENT_PATH = re.compile(r"incidents/([0-9a-f]{1,32})\.html")


def serves(path: str) -> bool:
    """Whether `path` (relative to a page, "" for its index) can be one of its files."""
    return (path or "index.html") in STATIC or _INCIDENT_PATH.fullmatch(path) is not None


@dataclass
class Site:
    """A page's files as of `now`, read from the store once per request or export."""

    store: object
    page: StatusPage
    changed_at: datetime
    public_url: str
    now: datetime = field(default_factory=utc_now)
    static: bool = False  # exported files: the subscribe form posts to the running app at PUBLIC_URL
    subscribe: bool = True  # whether mail can be sent at all (SMTP_URL set)

    @classmethod
    def load(cls, store, slug: str, public_url: str, **kwargs) -> Site | None:
        found = store.status_page(slug)
        return cls(store, found[0], found[1], public_url.rstrip("/"), **kwargs) if found else None

    @property
    def base_url(self) -> str:
        return f"{self.public_url}/status/{self.page.slug}/"

    def render(self, path: str) -> tuple[str, str] | None:
        """The file at `path` (relative to the page) and its content type; None when there is none."""
        path = path or "index.html"
        if path in STATIC:
            content = getattr(self, "_" + re.sub(r"\W", "_", path.rsplit(".", 1)[0]))()
        else:
            match = _INCIDENT_PATH.fullmatch(path)
            content = self._incident(match.group(1)) if match else None
        if content is None:
            return None
        return content, TYPES[Path(path).suffix]

    def files(self):
        """Every file of the page: the fixed ones, then one page per incident of the history."""
        for path in STATIC:
            yield path, self.render(path)[0]
        for incident in self._history_list:
            yield f"incidents/{incident.id}.html", self._incident(incident.id)

    # --- data ---------------------------------------------------------------------------

    @cached_property
    def _active_list(self):
        return self.store.public_incidents(self.page, active_only=True)

    @cached_property
    def _history_list(self):
        """The window's incidents with their latest update: what the overview and the history show."""
        return self.store.public_incidents(self.page, since=self.now - timedelta(days=HISTORY_DAYS), updates="latest")

    def _updated_at(self) -> datetime:
        return page_updated_at(self.changed_at, self._active_list)

    @cached_property
    def _maintenances(self):
        """The window's maintenances (and every upcoming one), newest start first."""
        return self.store.page_maintenances(self.page, since=self.now - timedelta(days=HISTORY_DAYS))

    @cached_property
    def _busy(self) -> set[str]:
        """The components under maintenance now."""
        return under_maintenance(self._maintenances, self.now)

    def _maintenance_json(self, maintenance) -> dict:
        return maintenance_json(maintenance, self.page, self.now, self.base_url, self._components, stamp)

    def _maintenances_json(self, maintenances) -> str:
        return _json({"page": self._page_json(),
                      "scheduled_maintenances": [self._maintenance_json(m) for m in maintenances]})

    # --- JSON ---------------------------------------------------------------------------

    def _incident_json(self, incident) -> dict:
        return incident_json(self.page, incident, f"{self.base_url}incidents/{incident.id}.html", self._components)

    @cached_property
    def _components(self) -> list[dict]:
        """The components as they are now; incidents list theirs from here too, as the hosted API does."""
        return components_with_maintenance(components_json(self.page, self._active_list, self._updated_at()),
                                           self._busy)

    def _page_json(self):
        return page_json(self.page, self.base_url, self._updated_at())

    def _api_v2_summary(self) -> str:
        active = self._active_list
        return _json({"page": self._page_json(), "components": self._components,
                      "incidents": [self._incident_json(i) for i in active],
                      "scheduled_maintenances": [self._maintenance_json(m) for m in [
                          *active_maintenances(self._maintenances, self.now),
                          *upcoming_maintenances(self._maintenances, self.now)]],
                      "status": status_json(active)})

    def _api_v2_status(self) -> str:
        return _json({"page": self._page_json(), "status": status_json(self._active_list)})

    def _api_v2_components(self) -> str:
        return _json({"page": self._page_json(), "components": self._components})

    def _api_v2_incidents(self) -> str:
        recent = self.store.public_incidents(self.page, limit=RECENT_INCIDENTS_API)
        return _json({"page": self._page_json(), "incidents": [self._incident_json(i) for i in recent]})

    def _api_v2_incidents_unresolved(self) -> str:
        return _json({"page": self._page_json(), "incidents": [self._incident_json(i) for i in self._active_list]})

    def _api_v2_scheduled_maintenances(self) -> str:
        """The most recent maintenances, any status, newest first."""
        return self._maintenances_json(self._maintenances[:RECENT_MAINTENANCES_API])

    def _api_v2_scheduled_maintenances_upcoming(self) -> str:
        return self._maintenances_json(upcoming_maintenances(self._maintenances, self.now))

    def _api_v2_scheduled_maintenances_active(self) -> str:
        return self._maintenances_json(active_maintenances(self._maintenances, self.now))

    # --- HTML and feed ------------------------------------------------------------------

    def _context(self, root: str = "", **extra) -> dict:
        zone = self.page.zone
        subscribe_url = None
        if self.subscribe:
            subscribe_url = f"{self.base_url}subscribe" if self.static else f"{root}subscribe"
        return dict(page=self.page, root=root, now=self.now, history_days=HISTORY_DAYS,
                    subscribe_url=subscribe_url,
                    when=lambda moment: local_time(moment, zone) if moment else "", iso=machine_time,
                    ago=lambda moment: minutes_ago(moment, self.now), state_title=_STATE_TITLE.get, **extra)

    def _template(self, name: str, **context) -> str:
        names = {c.id: c.name for c in self.page.components}
        return _ENV.get_template(f"status/{name}").render(
            component_names=lambda ids: ", ".join(names.get(i, i) for i in ids), **context)

    def _index(self) -> str:
        active, history = self._active_list, self._history_list
        states = with_maintenance(component_states(self.page, active), self._busy)
        rows, group = [], object()
        bars = uptimes(self.page, history, self.now)
        for component in self.page.components:
            if component.group != group and component.group:
                rows.append({"group": component.group})
            group = component.group
            bar, percent = bars[component.id]
            rows.append({"component": component, "state": states[component.id], "bar": bar, "percent": percent})
        status = status_json(active)
        recent = [i for i in history if not i.active][:5]
        return self._template("overview.html", **self._context(
            active=active, rows=rows, status={**status, "description": DESCRIPTION[status["indicator"]]},
            recent=recent, maintenance_now=active_maintenances(self._maintenances, self.now),
            maintenance_next=upcoming_maintenances(self._maintenances, self.now)))

    def _history(self) -> str:
        zone = self.page.zone
        months: OrderedDict[str, list] = OrderedDict()
        # Dates, not datetimes: the window's first day may be on summer time and today on winter time.
        first = (self.now - timedelta(days=HISTORY_DAYS)).astimezone(zone).date().replace(day=1)
        cursor = self.now.astimezone(zone).date().replace(day=1)
        while cursor >= first:  # every month of the window, newest first, even empty ones
            months[f"{cursor:%B %Y}"] = []
            cursor = (cursor - timedelta(days=1)).replace(day=1)
        for incident in self._history_list:
            key = f"{incident.started_at.astimezone(zone):%B %Y}"
            months.setdefault(key, []).append(incident)
        maintenance: dict[str, list] = {}
        for window in self._maintenances:
            maintenance.setdefault(f"{window.window.start.astimezone(zone):%B %Y}", []).append(window)
        return self._template("history.html", **self._context(months=list(months.items()), maintenance=maintenance))

    def _incident(self, public_id: str) -> str | None:
        found = self.store.public_incidents(self.page, public_id=public_id)
        if not found:
            return None
        incident = found[0]
        postmortem = Markup(_POSTMORTEM.render(_HTML_COMMENT.sub("", incident.postmortem))) \
            if incident.postmortem else None
        return self._template("incident.html", **self._context("../", incident=incident, postmortem=postmortem))

    def _feed(self) -> str:
        """The newest incidents with all their updates, and any older one still open."""
        recent = self.store.public_incidents(self.page, limit=FEED_ENTRIES)
        listed = {i.id for i in recent}
        incidents = recent + [i for i in self._active_list if i.id not in listed]
        maintenances = [self._maintenance_json(m) for m in self._maintenances[:FEED_ENTRIES]]
        updated = max([self.changed_at, *(i.updated_at for i in incidents),
                       *(datetime.fromisoformat(m["updated_at"]) for m in maintenances)])
        return self._template("feed.atom.xml", **self._context(base_url=self.base_url, incidents=incidents,
                                                               updated_at=updated, maintenances=maintenances))

    def message(self, heading: str, text: str, root: str = "", form_action: str | None = None,
                button: str = "") -> str:
        """A small page for the subscription steps."""
        return self._template("message.html", **self._context(root, heading=heading, text=text,
                                                              form_action=form_action, button=button))


def _json(data) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
