"""An alert notification as an incident: its title, its body with the table of alerts, its severity and
components, its detection and resolution times, and its timeline entries (issue 17).

The notice is alerts.events.AlertNotice; the domain may not import `alerts`, so it is read through the
Notice and AlertLike protocols below, which AlertNotice and Alert satisfy. Every text a sender wrote goes
through incidents.text.escape; a link is made only of an http(s) address.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import quote, urlsplit

from incidents.config_model import AlertsConfig
from incidents.model import Severity, parse_severity
from incidents.section_edits import GENERATED_END, GENERATED_START
from incidents.summary import declared_header
from incidents.text import escape

PAGERDUTY = "pagerduty"  # the source of PagerDuty's notices (alerts/payloads.py)
FIRING = "firing"
TABLE_KEY = "alerts"
TABLE_START, TABLE_END = GENERATED_START.format(key=TABLE_KEY), GENERATED_END.format(key=TABLE_KEY)
MAX_ROWS = 50
TABLE_HEADER = ("| Alert | Status | Started | Ended | Labels | Summary | Links |",
                "| --- | --- | --- | --- | --- | --- | --- |")
_WORST_FIRST = tuple(Severity)  # major-outage first
_COMPONENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")  # as the config's component ids


class AlertLike(Protocol):
    """What this module reads of alerts.events.Alert."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def labels(self) -> Mapping[str, str]: ...
    @property
    def annotations(self) -> Mapping[str, str]: ...
    @property
    def starts_at(self) -> datetime | None: ...
    @property
    def ends_at(self) -> datetime | None: ...
    @property
    def url(self) -> str: ...
    @property
    def dashboard_url(self) -> str: ...
    @property
    def panel_url(self) -> str: ...
    @property
    def silence_url(self) -> str: ...


class Notice(Protocol):
    """What this module reads of alerts.events.AlertNotice."""

    @property
    def source(self) -> str: ...
    @property
    def group(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def alerts(self) -> Sequence[AlertLike]: ...
    @property
    def group_labels(self) -> Mapping[str, str]: ...
    @property
    def common_labels(self) -> Mapping[str, str]: ...
    @property
    def common_annotations(self) -> Mapping[str, str]: ...
    @property
    def external_url(self) -> str: ...
    @property
    def truncated(self) -> int: ...
    @property
    def at(self) -> datetime | None: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def urgency(self) -> str: ...
    @property
    def responder(self) -> str: ...


# --- reading the notice -----------------------------------------------------------------------

def is_pagerduty(notice: Notice) -> bool:
    return notice.source == PAGERDUTY


def alert_name(notice: Notice) -> str:
    """The group's alert name: commonLabels.alertname; else its alerts' (`A and 2 more` when they differ);
    else PagerDuty's title."""
    common = str(notice.common_labels.get("alertname") or notice.group_labels.get("alertname") or "").strip()
    names = list(dict.fromkeys(str(alert.name).strip() for alert in notice.alerts if str(alert.name).strip()))
    if common or not names:
        return common or notice.title.strip() or "alert"
    return names[0] + (f" and {len(names) - 1} more" if len(names) > 1 else "")


def firing(notice: Notice) -> tuple[AlertLike, ...]:
    """The notice's alerts still firing."""
    return tuple(alert for alert in notice.alerts if alert.status == FIRING)


def _annotation(notice: Notice, key: str) -> str:
    """commonAnnotations[key], else the first alert's that has it."""
    values = [notice.common_annotations.get(key, ""), *(alert.annotations.get(key, "") for alert in notice.alerts)]
    return next((str(value).strip() for value in values if str(value).strip()), "")


def _labels_text(labels: Mapping[str, str], skip: tuple[str, ...] = ("alertname",)) -> str:
    return ", ".join(f"{key}={value}" for key, value in sorted(labels.items()) if key not in skip)


def title_of(notice: Notice) -> str:
    """The issue's title: PagerDuty's incident title; else commonAnnotations.summary; else the alert name and
    the group labels (the common ones when the group has none). One plain line of at most 200 characters: a
    title is not Markdown, so it is not escaped, but it can mention nobody."""
    if is_pagerduty(notice) and notice.title.strip():
        text = notice.title
    else:
        grouped = _labels_text(notice.group_labels or notice.common_labels)
        text = notice.common_annotations.get("summary", "").strip() or \
            alert_name(notice) + (f" ({grouped})" if grouped else "")
    text = " ".join(text.split()).replace("@", "@\u200d")
    return text if len(text) <= 200 else text[:199] + "…"


def service_of(notice: Notice) -> str:
    """PagerDuty's service (its name, the `service` label alerts/payloads.py reads); empty for other senders."""
    return str(notice.common_labels.get("service", "")).strip() if is_pagerduty(notice) else ""


def group_name(notice: Notice) -> str:
    """What fired, as the summary's Source line names it: the title, and PagerDuty's service after it."""
    service = service_of(notice)
    return title_of(notice) + (f" ({service})" if service else "")


def severity_of(notice: Notice, config: AlertsConfig) -> Severity | None:
    """PagerDuty: the `alerts.severity_label` label by `alerts.severity_map` when the map lists its value (with
    `severity_label: priority`, PagerDuty's priority), else its urgency by `alerts.urgency_map`. Else that label
    by that map (case aside): the common one, else the worst of the firing alerts'."""
    if is_pagerduty(notice):
        by_label = _mapped(notice.common_labels.get(config.severity_label, ""), config.severity_map)
        return by_label or _mapped(notice.urgency, config.urgency_map)
    common = notice.common_labels.get(config.severity_label)
    if common:
        return _mapped(common, config.severity_map)
    found = {_mapped(alert.labels.get(config.severity_label, ""), config.severity_map)
             for alert in firing(notice) or notice.alerts}
    return next((severity for severity in _WORST_FIRST if severity in found), None)


def _mapped(value: str, table: Mapping[str, str]) -> Severity | None:
    folded = {str(key).casefold(): target for key, target in table.items()}
    target = folded.get(str(value).strip().casefold())
    return parse_severity(target) if target else None


def components_of(notice: Notice, config: AlertsConfig) -> tuple[str, ...]:
    """The values of the `alerts.component_label` label: the common one, else each firing alert's, in order,
    once each; only values shaped like a component id (letters, digits, `.`, `_`, `-`)."""
    common = notice.common_labels.get(config.component_label)
    values = [common] if common else [alert.labels.get(config.component_label, "")
                                      for alert in firing(notice) or notice.alerts]
    shaped = (str(value).strip() for value in values)
    return tuple(dict.fromkeys(value for value in shaped if _COMPONENT_ID.fullmatch(value)))


def detected_at(notice: Notice, now: datetime | None = None) -> datetime:
    """When the alert started: the earliest startsAt (of the firing alerts, else of all); PagerDuty: the
    event's time. Without either, the notice's time, else `now` (default: the clock)."""
    starts = [alert.starts_at for alert in firing(notice) or notice.alerts if alert.starts_at is not None]
    if starts and not is_pagerduty(notice):
        return min(_utc(start) for start in starts)
    return _utc(notice.at or now or datetime.now(UTC))


def resolved_at(notice: Notice) -> datetime | None:
    """When the group resolved: the latest endsAt; PagerDuty (or no endsAt): the notice's time; None while
    something still fires."""
    if notice.status != "resolved" or firing(notice):
        return None
    ends = [alert.ends_at for alert in notice.alerts if alert.ends_at is not None]
    if ends and not is_pagerduty(notice):
        return max(_utc(end) for end in ends)
    return _utc(notice.at) if notice.at else None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --- links ----------------------------------------------------------------------------------

def web_address(url: str) -> str | None:
    """The URL made safe inside a Markdown link and a table cell, or None when it is not http(s)."""
    url = str(url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return quote(url, safe="/:?#@!$&'*+,;=%~")  # spaces, <>, (), [], |, \ and ` percent-encoded


def link(text: str, url: str, limit: int = 200) -> str:
    """`[text](url)`, or the escaped text alone when the URL is not a web address."""
    address = web_address(url)
    return f"[{escape(text, limit)}]({address})" if address else escape(text, limit)


def source_links(notice: Notice) -> list[str]:
    """The links to where the alert comes from, each once: the rule, dashboard and panel, the sender's page,
    PagerDuty's incident."""
    candidates = [(label, getattr(alert, attribute)) for alert in notice.alerts for label, attribute in
                  (("alert rule", "url"), ("dashboard", "dashboard_url"), ("panel", "panel_url"))]
    candidates += [(f"{notice.source} (the sender)", notice.external_url), ("PagerDuty incident", notice.url)]
    links: dict[str, str] = {}
    for label, url in candidates:
        address = web_address(url)
        if address and address not in links and label not in links.values():
            links[address] = label
    return [f"[{escape(label, 100)}]({address})" for address, label in links.items()]


# --- the issue body ---------------------------------------------------------------------------

def body_of(notice: Notice, skeleton: str) -> str:
    """The incident issue's body: who declared it (the alert, from its source) and what went wrong (its
    description), the runbook and the source links, the table of its alerts between the bot's markers, then
    `skeleton`, the profile's postmortem (issue_templates.render.postmortem_skeleton: a layer above)."""
    what = (notice.title if is_pagerduty(notice) else "") or _annotation(notice, "description") or \
        _annotation(notice, "summary") or alert_name(notice)
    reporter = ("the PagerDuty incident " if is_pagerduty(notice) else "the alert ") + escape(alert_name(notice), 200)
    body = declared_header(reporter, escape(notice.source, 100), what)
    runbook = _annotation(notice, "runbook_url")
    if runbook:
        body += f"**Runbook:** {link(runbook, runbook)}\n\n"  # not a web address: its text, not a link
    links = source_links(notice)
    if links:
        body += "**Source:** " + " · ".join(links) + "\n\n"
    return body + "\n".join((TABLE_START, *alert_table(notice), TABLE_END)) + "\n\n" + skeleton


def alert_table(notice: Notice) -> list[str]:
    """The lines between the markers: a blank line, the table (firing alerts first), a blank line, and a
    note when rows were left out here or by the sender."""
    if not notice.alerts:
        labels = {**notice.common_labels, **({"urgency": notice.urgency} if notice.urgency else {})}
        rows = [_row(escape(alert_name(notice), 200), notice.status, notice.at, None, _labels_text(labels), "",
                     [link("PagerDuty", notice.url)])]
    else:
        ordered = sorted(notice.alerts, key=lambda alert: alert.status != FIRING)  # stable: firing first
        rows = [_alert_row(alert) for alert in ordered[:MAX_ROWS]]
    notes = []
    if len(notice.alerts) > MAX_ROWS:
        notes.append(f"… and {len(notice.alerts) - MAX_ROWS} more alerts.")
    if notice.truncated:
        notes.append(f"{notice.truncated} more alerts were left out by the sender (truncatedAlerts).")
    return ["", *TABLE_HEADER, *rows, "", *([" ".join(notes), ""] if notes else [])]


def _alert_row(alert: AlertLike) -> str:
    links = [link(label, url) for label, url in (("source", alert.url), ("silence", alert.silence_url))
             if web_address(url)]
    return _row(escape(alert.name, 200), alert.status, alert.starts_at, alert.ends_at,
                _labels_text(alert.labels), alert.annotations.get("summary", ""), links)


def _row(name: str, status: str, started: datetime | None, ended: datetime | None, labels: str, summary: str,
         links: list[str]) -> str:
    cells = [name, escape(status, 40), _time(started), _time(ended), escape(labels, 300), escape(summary, 300),
             " ".join(links)]
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def _time(moment: datetime | None) -> str:
    return f"{_utc(moment):%Y-%m-%d %H:%M} UTC" if moment else ""


def with_alert_table(body: str, notice: Notice) -> str:
    """The body with the table between its markers replaced by this notice's; a body without both markers
    (a person removed them) is returned as it is. Line endings are kept."""
    lines = body.split("\n")
    stripped = [line.strip() for line in lines]
    if TABLE_START not in stripped or TABLE_END not in stripped[stripped.index(TABLE_START):]:
        return body
    first = stripped.index(TABLE_START)
    last = stripped.index(TABLE_END, first)
    eol = "\r" if lines[first].endswith("\r") else ""
    lines[first + 1:last] = [line + eol for line in alert_table(notice)]
    return "\n".join(lines)


# --- timeline entries -------------------------------------------------------------------------

def _what(notice: Notice) -> str:
    if is_pagerduty(notice):
        service = f" (service {escape(service_of(notice), 100)})" if service_of(notice) else ""
        return "PagerDuty incident " + escape(notice.title or notice.group, 200) + service
    return f"Alert {escape(alert_name(notice), 200)} from {escape(notice.source, 100)}"


def _summary(notice: Notice) -> str:
    summary = notice.common_annotations.get("summary", "").strip()
    return f": {escape(summary, 300)}" if summary and not is_pagerduty(notice) else ""


def detected_entry(notice: Notice) -> str:
    """The `[detected]` entry's text, at detected_at: which alert fired, from where."""
    urgency = f" (urgency {escape(notice.urgency, 20)})" if is_pagerduty(notice) and notice.urgency else ""
    return f"{_what(notice)} {'triggered' if is_pagerduty(notice) else 'firing'}{urgency}{_summary(notice)}"


def resolved_entry(notice: Notice) -> str:
    """The entry at resolved_at: the alert group (or the PagerDuty incident) resolved."""
    return f"{_what(notice)} resolved"


def acknowledged_entry(notice: Notice) -> str:
    """PagerDuty's acknowledgement, naming the responder (who cannot be pinged by it)."""
    by = f" by {escape(notice.responder, 100)}" if notice.responder.strip() else ""
    return f"{_what(notice)} acknowledged{by}"


def refired_entry(notice: Notice) -> str:
    """The entry when a resolved group fires again and reopens its incident."""
    return f"{_what(notice)} firing again; the incident is reopened{_summary(notice)}"
