"""The summary comment: one per incident, rendered from state alone (DESIGN "Summary comment").

The text has no render time in it, so the same state renders the same text and an
unchanged incident costs no write.
"""
from __future__ import annotations

from collections.abc import Sequence

from incidents.document import DECLARED_LABEL
from incidents.model import Incident, Status
from incidents.text import GITHUB_BODY_LIMIT, escape, truncate_lines

SUMMARY_MARKER = "<!-- incident-desk:summary -->"
BOT_MARKER = "<!-- incident-desk -->"  # on every other comment the bot writes
MAX_FINDINGS = 50

NEXT_STEP = {
    Status.INVESTIGATING: "Find the cause and post updates with `{cmd}status identified <what we know>`.",
    Status.IDENTIFIED: "Ship the fix or a workaround, then `{cmd}status monitoring <what changed>`.",
    Status.MONITORING: "When the fix holds, `{cmd}status resolved <summary>`.",
    Status.RESOLVED: "Write the postmortem in the issue body and close the action items.",
}
UNTRACKED_NOTE = "This issue is no longer tracked as an incident (the `{label}` label was removed)."


def render_summary(incident: Incident, findings: Sequence = (), command_prefix: str = "/",
                   links: Sequence = (), metrics_lines: Sequence[str] = (), open_actions: Sequence = ()) -> str:
    """The summary comment's Markdown for this incident's state.

    `links` are (reference as written, Link) pairs; `metrics_lines` come from incidents.metrics.
    """
    severity = incident.severity.title if incident.severity else "unknown"
    components = ", ".join(f"`{escape(c, 60)}`" for c in incident.components) or "none named"
    lines = [
        SUMMARY_MARKER,
        f"### Incident summary: {escape(incident.title, 200)}",
        "",
        f"**Status:** {incident.status.value} · **Severity:** {severity} · **Components:** {components}",
        "",
        f"**Commander:** {_person(incident.commander)} · "
        f"**Operations lead:** {_person(incident.operations_lead)} · "
        f"**Communications:** {_person(incident.communications_lead)}",
    ]
    if links:
        lines += ["", "**Linked merge requests:**"]
        lines += truncate_lines([
            f"- {link.role}: [{escape(ref, 100)}]({link.url}) {escape(link.title, 120)}"
            + (f" (merged {link.merged_at:%Y-%m-%d %H:%M} UTC)" if link.merged_at else " (not merged)")
            for ref, link in links], 30)
    if metrics_lines:
        lines += ["", "**Metrics:**", *metrics_lines]
    if findings:
        ordered = sorted(findings, key=lambda f: (f.severity != "error", f.line or 0))
        items = [
            f"- [ ] **{f.severity}** `{f.code}`" + (f" ({escape(f.section, 80)})" if f.section else "")
            + f": {escape(f.message, 300)}"
            for f in ordered
        ]
        lines += ["", "**Postmortem to-do:**", *truncate_lines(items, MAX_FINDINGS)]
    if open_actions:
        lines += ["", "**Open action items:**"]
        lines += truncate_lines([f"- [ ] {escape(a.text, 200)} ({_person(a.owner)})" for a in open_actions], 30)
    next_step = NEXT_STEP[incident.status].format(cmd=command_prefix)
    lines += ["", f"**Next step:** {next_step}"]
    text = "\n".join(lines) + "\n"
    return text if len(text) < GITHUB_BODY_LIMIT else text[: GITHUB_BODY_LIMIT - 100] + "\n\n… (cut)\n"


def _person(login: str | None) -> str:
    return f"@{login}" if login else "unassigned"


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
DECLARED_HEADER = "Declared by @{login} from {origin}.\n\n" + DECLARED_LABEL + "{what}\n\n"


def postmortem_template_header(login: str, origin: str, what: str) -> str:
    """The top of an incident opened with `/incident`: who declared it, from where, and what went wrong."""
    return DECLARED_HEADER.format(login=login, origin=origin, what=escape(what, 2000))
