"""The summary comment: one per incident, rendered from state alone (DESIGN "Summary comment").

The text has no render time in it, so the same state renders the same text and an
unchanged incident costs no write.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from incidents.document import DECLARED_LABEL
from incidents.model import AlertGroup, Incident, Status
from incidents.text import escape, truncate_lines

SUMMARY_MARKER = "<!-- incident-desk:summary -->"
BOT_MARKER = "<!-- incident-desk -->"  # on every other comment the bot writes
MAX_FINDINGS = 50

NEXT_STEP = {
    Status.INVESTIGATING: "Find the cause and post updates with `{cmd}status identified <what we know>`.",
    Status.IDENTIFIED: "Ship the fix or a workaround, then `{cmd}status monitoring <what changed>`.",
    Status.MONITORING: "When the fix holds, `{cmd}status resolved <summary>`.",
    Status.RESOLVED: "Write the postmortem in the issue body and close the action items.",
}
# The role line's words and the Incident fields they show, in order; read back by read_summary.
ROLES = (("Commander", "commander"), ("Operations lead", "operations_lead"),
         ("Communications", "communications_lead"))
LINKS_HEADING = "**Linked merge requests:**"
UNTRACKED_NOTE = "This issue is no longer tracked as an incident (the `{label}` label was removed)."


def render_summary(incident: Incident, findings: Sequence = (), command_prefix: str = "/",
                   links: Sequence = (), metrics_lines: Sequence[str] = (), open_actions: Sequence = (),
                   body_limit: int | None = None, chat_channel: tuple[str, str] | None = None,
                   alert: AlertGroup | None = None, today: date | None = None,
                   similar_lines: Sequence[str] = ()) -> str:
    """The summary comment's Markdown for this incident's state, cut to the forge's `body_limit`.

    `links` are (reference as written, Link) pairs; `metrics_lines` come from incidents.metrics;
    `chat_channel` is the incident's channel as (name, link); `alert` the alert group that opened it;
    with `today` (the repository's date), an open action item past its due date is marked overdue.
    `similar_lines` the similar past incidents (incidents.similar.similar_lines).
    """
    lines = _head_lines(incident, chat_channel, alert)
    if links:
        lines += ["", LINKS_HEADING, *truncate_lines([_link_line(ref, link) for ref, link in links], 30)]
    if metrics_lines:
        lines += ["", "**Metrics:**", *metrics_lines]
    if findings:
        ordered = sorted(findings, key=lambda f: (f.severity != "error", f.line or 0))
        lines += ["", "**Postmortem to-do:**", *truncate_lines([_finding_line(f) for f in ordered], MAX_FINDINGS)]
    if open_actions:
        lines += ["", "**Open action items:**"]
        lines += truncate_lines([_action_line(a, today) for a in open_actions], 30)
    if similar_lines:
        lines += ["", *similar_lines]
    next_step = NEXT_STEP[incident.status].format(cmd=command_prefix)
    lines += ["", f"**Next step:** {next_step}"]
    text = "\n".join(lines) + "\n"
    return text if body_limit is None or len(text) < body_limit else text[: body_limit - 100] + "\n\n… (cut)\n"


def _head_lines(incident: Incident, chat_channel: tuple[str, str] | None, alert: AlertGroup | None) -> list[str]:
    """The title, status, severity, components and roles; the chat channel and the alert that opened it."""
    severity = incident.severity.title if incident.severity else "unknown"
    components = ", ".join(f"`{escape(c, 60)}`" for c in incident.components) or "none named"
    lines = [
        SUMMARY_MARKER,
        f"### Incident summary: {escape(incident.title, 200)}",
        "",
        f"**Status:** {incident.status.value} · **Severity:** {severity} · **Components:** {components}",
        "",
        " · ".join(f"**{role}:** {_person(getattr(incident, field))}" for role, field in ROLES),
    ]
    if chat_channel:
        lines += ["", f"**Chat:** [#{escape(chat_channel[0], 80)}]({chat_channel[1]})"]
    if alert is not None:
        lines += ["", alert_line(alert)]
    return lines


def _action_line(action, today: date | None) -> str:
    """An open action item's line; past its due date it says so (issue 18)."""
    line = f"- [ ] {escape(action.text, 200)} ({_person(action.owner)})"
    if today is not None and action.due is not None and action.due < today:
        line += f" — **overdue** (due {action.due.isoformat()})"
    return line


def alert_line(alert: AlertGroup) -> str:
    """Where the incident came from: the alert, its group and source, and when the alert detected it."""
    name = escape(alert.name or "an alert", 120)
    shown = f"[{name}]({alert.url})" if alert.url.startswith(("https://", "http://")) else name
    detected = f" · detected by alert at {alert.detected_at:%Y-%m-%d %H:%M} UTC" if alert.detected_at else ""
    group = " ".join(alert.group.split())[:120].replace("`", "'")  # a code span: no Markdown escapes show there
    return f"**Source:** {shown} (`{group}` from {escape(alert.source, 40)}){detected}"


def _link_line(ref: str, link) -> str:
    merged = f" (merged {link.merged_at:%Y-%m-%d %H:%M} UTC)" if link.merged_at else " (not merged)"
    return f"- {link.role}: [{escape(ref, 100)}]({link.url}) {escape(link.title, 120)}{merged}"


def _finding_line(finding) -> str:
    section = f" ({escape(finding.section, 80)})" if finding.section else ""
    return f"- [ ] **{finding.severity}** `{finding.code}`{section}: {escape(finding.message, 300)}"


def _person(login: str | None) -> str:
    return f"@{login}" if login else "unassigned"


class SummaryLink(NamedTuple):
    """A merge request line of the summary: its role and its web address."""

    role: str
    url: str


@dataclass(frozen=True)
class SummaryReading:
    """What a summary comment says about the roles and links (for `incident-desk sync`)."""

    commander: str | None = None
    operations_lead: str | None = None
    communications_lead: str | None = None
    links: tuple[SummaryLink, ...] = ()


_ROLE_PART = re.compile(r"\*\*(?P<role>[^*]+):\*\* (?:@(?P<login>\S+)|unassigned)")
_LINK_LINE = re.compile(r"- (?P<role>cause|fix|related): \[(?:\\.|[^\]\\])*\]\((?P<url>\S+?)\) ")


def read_summary(text: str | None) -> SummaryReading:
    """The roles and links a summary comment rendered by `render_summary` shows; nothing for other text."""
    lines = (text or "").splitlines()
    return SummaryReading(**_read_roles(lines), links=_read_links(lines))


def _read_roles(lines: list[str]) -> dict[str, str]:
    fields = dict(ROLES)
    for line in lines:
        if line.startswith(f"**{ROLES[0][0]}:**"):  # the one role line: user text there is escaped
            parts = (_ROLE_PART.fullmatch(part) for part in line.split(" · "))
            return {fields[m["role"]]: m["login"] for m in parts if m and m["login"] and m["role"] in fields}
    return {}


def _read_links(lines: list[str]) -> tuple[SummaryLink, ...]:
    if LINKS_HEADING not in lines:
        return ()
    links = []
    for line in lines[lines.index(LINKS_HEADING) + 1:]:
        if not line:
            break
        match = _LINK_LINE.match(line)
        if match:
            links.append(SummaryLink(match["role"], match["url"]))
    return tuple(links)


CONFIG_ERRORS = ("**Incident Desk could not use part of `{path}`**; the defaults apply there until it is "
                 "fixed:\n\n{items}\n")


def render_config_errors(path: str, errors) -> str:
    """The one comment per config version that names each bad key and value."""
    items = truncate_lines([_config_error(error) for error in errors], 20)
    return CONFIG_ERRORS.format(path=path, items="\n".join(items))


def _config_error(error) -> str:
    path = error.path.replace("`", "'")
    where = f"`{path}`" if path else "The file"
    got = "" if error.value is None else f" (got {escape(repr(error.value), 80)})"
    return f"- {where}: {escape(error.message, 300)}{got}"


# A paragraph, not a heading: a profile may have its own "What went wrong" section (CDS's
# blameless questions), and a heading here would be read as that section already answered.
DECLARED_HEADER = "Declared by {reporter} from {origin}.\n\n" + DECLARED_LABEL + "{what}\n\n"


def postmortem_template_header(login: str, origin: str, what: str) -> str:
    """The top of an incident opened with `/incident`: who declared it, from where, and what went wrong."""
    return declared_header(f"@{login}", origin, what)


def declared_header(reporter: str, origin: str, what: str) -> str:
    """The same, with the declarer as written (`@login`, or a chat name already escaped)."""
    return DECLARED_HEADER.format(reporter=reporter, origin=origin, what=escape(what, 2000))
