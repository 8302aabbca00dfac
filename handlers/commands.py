"""Slash commands in new comments: each takes effect once, if its author may run it; one reply says what happened.

Every command line's outcome is recorded in the store's command ledger as soon as it took effect,
so a retried delivery skips the lines already done and reuses their outcomes in the one reply.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from forges.base import added_logins, labels_after
from forges.errors import ForgeError, TransientForgeError
from forges.events import COMMENT, CommentEvent
from handlers import publication
from handlers.command_run import Refused, Run, Superseded, flush, said_at, setting_of
from handlers.context import Context
from handlers.declare import reconcile
from handlers.replies import render_reply
from handlers.router import Router
from incidents import action_edits, section_edits, timeline_edits
from incidents.command_args import ISSUE_REF
from incidents.command_table import USAGE, render_help
from incidents.commands import Command, CommandError, parse_commands
from incidents.entry_time import FutureEntry, entry_time
from incidents.metrics import impact_lines, incident_metrics
from incidents.model import Link, Status
from incidents.summary import BOT_MARKER, declared_header
from incidents.text import escape
from incidents.timezones import zone
from issue_templates.render import postmortem_skeleton
from store.ledger import REPLY_LINE, Outcome

router = Router()
EFFECTS: dict[str, Callable[[Command, Run], str]] = {}  # command name -> its effect; the reply's text

UNKNOWN_USER = "@{login} is not a user with access to this repository; nothing changed."
REFUSED = "you need {needed}; nothing changed."
FOLLOW_UP_FAILED = "the follow-up issue could not be opened in {repository}; nothing changed."
NO_MERGE_REQUEST = "there is no merge request {ref} that I can read; nothing changed."
OTHER_FORGE = "that merge request is on {host}, and I link those of {here} only; nothing changed."
SHAPED = "in shape"  # the ledger's step: the declared incident's labels, row and summary were written
FOLLOW_UP_BODY = "Follow-up action of incident {incident} ({title}).\n\nOwner: @{owner}{due}\n"


def effect(name):
    def register(function):
        EFFECTS[name] = function
        return function
    return register


@router.register(COMMENT, "created")
def run_commands(event: CommentEvent, ctx: Context) -> None:
    """Commands in a new comment run in order, each once across retries; the author gets one reply."""
    answer_commands(event, ctx, lambda text: str(ctx.forge.comment(
        event.repository, event.number, text, merge_request=event.on_merge_request).id))


def answer_commands(event: CommentEvent, ctx: Context, reply: Callable[[str], str]) -> None:
    """Run the comment's commands; `reply` posts the one answer (on the issue, or in chat) and gives its id."""
    forge, store, config = ctx.forge, ctx.store, ctx.config
    today = said_at(event).astimezone(zone(config.file.timezone)).date()  # `due friday` from the day it was said
    parsed = [item for item in parse_commands(event.comment, today=today, extra_terms=config.file.taxonomy)
              if not _forge_quick_action(item, forge)]
    if not parsed:
        return
    # A merge request is never an incident; on GitLab its number is also some issue's.
    incident = None if event.on_merge_request else store.get_incident(event.platform, event.repository, event.number)
    run = Run(event, ctx, incident)
    run.recorded = store.command_runs(run.comment)
    run.outcomes = {line: r.outcome for line, r in run.recorded.items() if r.outcome and line != REPLY_LINE}
    for item in parsed:
        if item.line not in run.outcomes:  # else it took effect on an earlier attempt: its outcome is reused
            run.finish(item.line, _run_one(item, run))
    flush(run)  # the lines' changes to the issue: one read, one write
    outcomes = run.outcomes
    if REPLY_LINE not in run.recorded:  # the answer first, as soon as every outcome is known
        limit = forge.body_limit - len(BOT_MARKER) - 1
        said = reply(render_reply([(_code(i.raw), outcomes[i.line]) for i in parsed], limit))
        store.record_outcomes(run.comment, {REPLY_LINE: Outcome("💬", said)})
    _shape_declared(run, parsed)
    changed = any(outcome.changed for outcome in outcomes.values())
    if changed and run.incident is not None and run.incident.tracking:
        reconcile(ctx, config, ctx.issue(event), platform=event.platform, declared_by=event.actor.login)


def _shape_declared(run: Run, parsed) -> None:
    """The incidents this comment declared, put in shape after the reply, each once across retries.

    The bot's own "opened" hook is ignored, so a new incident gets its labels, store row and summary here."""
    event = run.event
    for item in parsed:
        steps = run.recorded[item.line].steps if item.line in run.recorded else {}
        number = steps.get(f"opened {event.repository}")
        if not (isinstance(item, Command) and item.name == "incident" and number):
            continue
        issue = run.declared.get(item.line) or run.forge.get_issue(event.repository, number)
        run.once(item, SHAPED, lambda issue=issue: reconcile(
            run.ctx, run.config, issue, platform=event.platform, declared_by=event.actor.login,
            installation_id=event.installation_id, remind=True))


def _forge_quick_action(item, forge) -> bool:
    """An error on a bare name the forge runs as its own quick action: not ours to report."""
    return (isinstance(item, CommandError) and item.name in forge.own_quick_actions
            and not item.raw.lower().startswith(forge.command_prefix.strip().lower()))


def _code(raw: str) -> str:
    """The command as written, in a code span (no Markdown or mention works there; backticks would end it)."""
    text = " ".join(raw.replace("`", "'").split())
    return f"`{text[:119] + '…' if len(text) > 120 else text}`"


def _run_one(item, run: Run) -> Outcome:
    prefix = run.forge.command_prefix
    if isinstance(item, CommandError):
        usage_line = USAGE.get(item.name or "")
        usage = f" Usage: `{usage_line.format(prefix=prefix)}`" if usage_line else \
            f" `{prefix}help` lists the commands."
        return Outcome("❓", f"{item.message}{usage}")
    needed = run.permissions.refusal(item.name, run.event.actor.login, run.event.repository, run.incident)
    if needed:
        return Outcome("⛔", REFUSED.format(needed=needed))
    try:
        message = EFFECTS[item.name](item, run)
    except Superseded as exc:
        return Outcome("⏭️", str(exc), changed=exc.changed)
    except Refused as exc:
        return Outcome("⚠️", str(exc))
    return Outcome("✅", message, changed=item.name not in ("help", "incident"), setting=setting_of(item))


@effect("help")
def show_help(command: Command, run: Run) -> str:
    return "the commands:\n\n" + render_help(run.forge.command_prefix)


@effect("incident")
def declare_incident(command: Command, run: Run) -> str:
    """A new incident issue, with the requester as commander and operations lead, linked both ways."""
    event = run.event
    origin = f"{event.repository}#{event.number}" if not event.on_merge_request else event.url
    issue = open_incident_issue(run, command, f"@{event.actor.login}", origin, [event.actor.login])
    run.declared[command.line] = issue  # put in shape once the reply is out (_shape_declared)
    return f"declared incident #{issue.number}: {issue.url}"


def open_incident_issue(run: Run, command: Command, reporter: str, origin: str, assignees: list[str]):
    """The incident issue this `/incident` line opens in the event's repository (once across retries): the
    template's header and skeleton, the declaration in the timeline, the incident and status labels."""
    what = command.args["text"]
    body = declared_header(reporter, origin, what) + postmortem_skeleton(run.profile)
    body = timeline_edits.add_timeline_entry(body, run.profile, run.said_at,
                                             f"Declared an incident by {reporter}", None, run.timezone)
    labels = [run.labels.incident, run.labels.status(Status.INVESTIGATING)]
    return run.opened_issue(command, run.event.repository, lambda marker: run.forge.create_issue(
        run.event.repository, what[:200], body + marker, labels=labels, assignees=assignees, incident=True),
        run.labels.incident)


@effect("status")
def set_status(command: Command, run: Run) -> str:
    incident = run.incident_or_refuse()
    status, message = command.args["status"], command.args["message"]
    text = f"Status: {status.value}" + (f" - {message}" if message else "")
    tag = "resolved" if status is Status.RESOLVED else None
    run.unless_superseded(command, history=(text, tag))
    now = run.said_at
    changes = {"status": status}
    if status is Status.RESOLVED and incident.resolved_at is None:
        changes["resolved_at"] = now
    _swap_label(run, run.labels.status_labels, run.labels.status(status))
    incident = run.save(**changes)
    run.once(command, "timeline", lambda: run.add_to_timeline(now, text, tag))
    public = publication.status_changed(run.store, incident, message, run.key(command), run.announce, now)
    return f"status is now **{status.value}**." + (" Posted on the status page." if public else "")


@effect("publish")
def publish(command: Command, run: Run) -> str:
    incident = run.incident_or_refuse()
    run.unless_superseded(command)
    try:
        if command.args.get("postmortem"):
            body = run.current_issue().body
            return publication.publish_postmortem(run.store, incident, body, run.profile, run.timezone,
                                                  run.config.path)
        return publication.publish(run.store, incident, run.key(command), run.announce, run.config.path)
    except ValueError as exc:
        raise Refused(str(exc)) from exc


@effect("unpublish")
def unpublish(command: Command, run: Run) -> str:
    incident = run.incident_or_refuse()
    run.unless_superseded(command)
    return publication.unpublish(run.store, incident)


@effect("workaround")
def workaround(command: Command, run: Run) -> str:
    incident = run.incident_or_refuse()
    run.unless_superseded(command)
    try:
        return publication.set_workaround(run.store, incident, command.args["text"], run.key(command),
                                          run.announce, run.config.path)
    except ValueError as exc:
        raise Refused(str(exc)) from exc


@effect("severity")
def set_severity(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    run.unless_superseded(command)
    severity = command.args["severity"]
    _swap_label(run, run.labels.severity_labels, run.labels.severity(severity))
    run.save(severity=severity)
    return f"severity is now **{severity.title}**."


@effect("component")
def set_components(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    run.unless_superseded(command)
    components = tuple(sorted(set(command.args["components"])))
    wanted = [run.labels.component(c) for c in components]
    wanted_names = {label.lower() for label in wanted}
    run.change_issue(lambda issue: replace(issue, labels=labels_after(issue.labels, wanted, [
        label for label in run.labels.component_labels(issue.labels) if label.lower() not in wanted_names])))
    run.save(components=components)
    return "affected components: " + ", ".join(f"`{c}`" for c in components) + "."


ROLES = {"commander": ("commander", "Commander"), "ops-lead": ("operations_lead", "Operations lead"),
         "comms": ("communications_lead", "Communications lead")}


@effect("commander")
@effect("ops-lead")
@effect("comms")
def assign_role(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    field, title = ROLES[command.name]
    login = command.args["login"]
    if run.permissions.level(run.event.repository, login) == "none":
        raise Refused(UNKNOWN_USER.format(login=escape(login, 60)))
    run.unless_superseded(command, history=(f"{title}: @{login}", None))
    run.save(**{field: login})
    if command.name == "commander":
        run.change_issue(lambda issue: replace(issue, assignees=(*issue.assignees,
                                                                 *added_logins(issue.assignees, [login]))))
    now = run.said_at
    run.once(command, "timeline", lambda: run.add_to_timeline(now, f"{title}: @{login}"))
    return f"{title.lower()} is now @{login}."


@effect("timeline")
def add_timeline(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    args = command.args
    try:
        when = entry_time(args["date"], args["time"], args["offset"], run.timezone, run.said_at)
    except FutureEntry as exc:
        raise Refused(str(exc)) from exc
    run.add_to_timeline(when.at, args["text"], args["tag"])
    return f"added to the timeline at {when.at:%Y-%m-%d %H:%M}" + (f" ({when.note})." if when.note else ".")


@effect("action")
def add_action(command: Command, run: Run) -> str:
    incident = run.incident_or_refuse()
    args = command.args
    link = None
    if args["repository"]:
        _require(run, args["repository"], "write")  # opening an issue there is writing to it
        due = f", due {args['due']:%Y-%m-%d}" if args["due"] else ""
        body = FOLLOW_UP_BODY.format(incident=f"{incident.repository}#{incident.number}",
                                     title=escape(incident.title, 200), owner=args["owner"] or "unassigned",
                                     due=due)
        try:
            follow_up = run.opened_issue(command, args["repository"], lambda _marker: run.forge.create_issue(
                args["repository"], args["text"][:200], body, assignees=[args["owner"]] if args["owner"] else []))
        except ForgeError as exc:
            if isinstance(exc, TransientForgeError):
                raise
            raise Refused(FOLLOW_UP_FAILED.format(repository=escape(args["repository"], 100))) from exc
        link = f"{args['repository']}#{follow_up.number}"
    run.once(command, "action item", lambda: run.edit_body(lambda body: action_edits.add_action_item(
        body, run.profile, args["text"], args["owner"], args["due"], link), args["text"]))
    return "action item added" + (f", follow-up issue {link}" if link else "") + "."


@effect("caused-by")
@effect("fixed-by")
def link_by_command(command: Command, run: Run) -> str:
    """Link a merge request explicitly; only merge requests, never commits (the parser refuses those)."""
    from handlers.links import note_merge
    from incidents.links import on_this_forge, parse_merge_request_ref

    incident = run.incident_or_refuse()
    ref = parse_merge_request_ref(command.args["ref"], run.event.repository, run.forge.merge_request_syntax)
    if ref is None:
        raise Refused(ISSUE_REF.format(value=escape(command.args["ref"], 100)))
    if not on_this_forge(ref.host, run.forge.web_host):  # the same path on this forge is another merge request
        raise Refused(OTHER_FORGE.format(host=escape(ref.host or "", 100), here=run.forge.web_host))
    repository = ref.repository or run.event.repository
    _require(run, repository, "read")  # before reading it: nothing of a repository they cannot read is shown
    try:
        merge_request = run.forge.get_merge_request(repository, ref.number)
    except ForgeError as exc:
        if isinstance(exc, TransientForgeError):
            raise
        raise Refused(NO_MERGE_REQUEST.format(ref=escape(command.args["ref"], 100))) from exc
    role = "cause" if command.name == "caused-by" else "fix"
    link = Link(merge_request.repository, merge_request.number, role, "command", merge_request.url,
                merge_request.title, merge_request.merged_at, merge_request.head_sha)
    run.store.save_link(incident, link)
    if link.merged_at:
        note_merge(run.forge, run.config, incident, link)
    shown = run.forge.merge_request_ref(link.repository, link.number, run.event.repository)
    return f"linked {shown} as the {role}" + (" (merged)." if link.merged_at else " (not merged yet).")


@effect("blog")
def request_blog(command: Command, run: Run) -> str:
    from handlers.blog import queue_draft

    incident = run.incident_or_refuse()
    job = queue_draft(run.ctx, incident)
    return f"blog draft queued (job `{job}`)."


@effect("taxonomy")
def set_taxonomy(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    run.unless_superseded(command)
    terms = command.args["terms"]
    run.edit_body(lambda body: section_edits.set_taxonomy(body, run.profile, terms), " < ".join(terms))
    return "taxonomy: " + " < ".join(terms) + "."


@effect("postmortem")
def fill_postmortem(command: Command, run: Run) -> str:
    """The profile's missing sections, and (profiles with an Impact section) its time lines."""
    incident = run.incident_or_refuse()
    skeleton = postmortem_skeleton(run.profile)
    run.edit_body(lambda body: section_edits.fill_postmortem(body, run.profile, skeleton), "the postmortem sections")
    if "Impact" not in run.profile.required:
        return "the postmortem's sections are in the body; fill them in."
    links = run.store.links(incident)
    run.edit_body(lambda body: section_edits.set_generated_lines(body, run.profile, "Impact", "impact",
                                                                 _impact_lines(run, incident, links, body)),
                  "the impact times")
    return "the postmortem's sections are in the body, with the impact times; fill in the rest."


def _impact_lines(run: Run, incident, links, body: str) -> list[str]:
    """The Impact section's time lines, from the timeline of `body` (as it is when written)."""
    from incidents.document import parse_document

    timeline = parse_document(body, run.profile, run.timezone).timeline
    return impact_lines(incident_metrics(incident, links, timeline), run.timezone).splitlines()


@effect("close")
def force_close(command: Command, run: Run) -> str:
    run.incident_or_refuse()
    reason = command.args["reason"]
    now = run.said_at
    text = f"Closed by @{run.event.actor.login} although actions are open" + (f": {reason}" if reason else "")
    run.once(command, "timeline", lambda: run.add_to_timeline(now, text))
    run.save(forced_close=True, closed_at=now)
    run.change_issue(lambda issue: replace(issue, state="closed"))
    return "closed, with the open actions recorded as accepted."


def _require(run: Run, repository: str, needed: str) -> None:
    """A command naming another repository acts there only for people with `needed` access to it."""
    refusal = run.permissions.elsewhere(run.event.actor.login, run.event.repository, repository, needed)
    if refusal:
        raise Refused(REFUSED.format(needed=refusal))


def _swap_label(run: Run, labels_of_kind, wanted: str) -> None:
    """Put `wanted` on the issue and take off the other labels of its kind (of the labels when written)."""
    run.change_issue(lambda issue: replace(issue, labels=labels_after(
        issue.labels, [wanted], [label for label in labels_of_kind(issue.labels) if label.lower() != wanted.lower()])))
