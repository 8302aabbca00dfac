"""What a command's effect works with (`Run`): the comment, the ledger's steps, and the changes to the issue,
which wait to be written together: the lines of one comment cost one read and one write of the issue."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from forges.base import BodyTooLong, Issue, IssueChange
from forges.events import CommentEvent
from handlers.context import Context
from incidents import timeline_edits
from incidents.commands import Command
from incidents.model import Incident
from incidents.text import escape
from store.ledger import CommandRun, CommentRef, Outcome

CLOCK_SKEW = timedelta(minutes=5)  # another service's clock (the forge's, Slack's) against ours
OPENED_MARKER = "\n\n<!-- incident-desk:opened {key} -->"  # ends the body of an issue the bot opens
NOT_AN_INCIDENT = "this issue is not an incident; run it on the incident, or declare one with `{prefix}incident`."
TOO_LONG = "the issue body is full ({reason}), so this was not written; here it is so it is not lost: {text}"
SUPERSEDED = "not applied: a [newer comment]({url}) already set the {what}, and the later comment wins."
IN_HISTORY = " It is in the timeline at {at:%H:%M} UTC, when it was written."
# What each command sets, per incident: of two comments setting the same thing, the later one wins.
SETTINGS = {"status": "status", "severity": "severity", "component": "components", "commander": "commander",
            "ops-lead": "operations lead", "comms": "communications lead", "taxonomy": "taxonomy",
            "publish": "publication", "unpublish": "publication", "workaround": "workaround"}


class Refused(Exception):
    """A command that cannot take effect; the message goes in the reply and nothing changes."""


class Superseded(Refused):
    """A setting a newer comment already made; `changed` when its history still went in the timeline."""

    def __init__(self, message: str, changed: bool = False):
        super().__init__(message)
        self.changed = changed


def said_at(event: CommentEvent) -> datetime:
    """When the comment was written (never later than now, whatever the forge's clock): a delivery run late,
    after an outage, records its commands at that time, not at the worker's."""
    now = datetime.now(UTC)
    return min(event.commented_at, now) if event.commented_at else now


@dataclass
class Pending:
    """A finished line whose changes to the issue wait for the comment's one write."""

    line: int
    outcome: Outcome
    changes: list[IssueChange]
    lost: list[str]  # what it writes to the body, said in the reply if the body has no room for it
    steps: list[str]  # ledger steps it takes once written


@dataclass
class Run:
    """What a command's effect may use: the comment's event, the handler context and the incident."""

    event: CommentEvent
    ctx: Context
    incident: Incident | None = None
    recorded: dict = field(default_factory=dict)  # the command ledger: line -> CommandRun
    outcomes: dict = field(default_factory=dict)  # line -> Outcome of the lines finished, this attempt or before
    changes: list = field(default_factory=list)  # the current line's changes to the issue (IssueChange)
    lost: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    pending: list = field(default_factory=list)  # Pending lines, written by `flush`
    declared: dict = field(default_factory=dict)  # line -> the incident issue it opened in this attempt

    @property
    def forge(self):
        return self.ctx.forge

    @property
    def store(self):
        return self.ctx.store

    @property
    def config(self):
        return self.ctx.config

    @property
    def labels(self):
        return self.ctx.labels

    @property
    def permissions(self):
        return self.ctx.permissions

    def announce(self, update_id: int) -> None:
        """Queue a public update's notifications."""
        self.ctx.jobs.announce(update_id)

    def key(self, command: Command) -> str:
        """What makes a public update from this command written once, however often the delivery runs."""
        return f"comment-{self.event.comment_id}:{command.raw}"

    @property
    def comment(self) -> CommentRef:
        e = self.event
        return CommentRef(e.platform, e.repository, e.number, e.comment_id, e.commented_at, e.comment_url)

    @property
    def said_at(self) -> datetime:
        return said_at(self.event)

    @property
    def profile(self):
        return self.config.file.get_profile()

    @property
    def timezone(self) -> str | None:
        return self.config.file.timezone

    def incident_or_refuse(self):
        if self.incident is None or not self.incident.tracking:
            raise Refused(NOT_AN_INCIDENT.format(prefix=self.forge.command_prefix))
        return self.incident

    def save(self, **changes) -> Incident:
        """The incident with `changes`, saved; the run works with it from now on."""
        self.incident = self.incident_or_refuse().with_changes(**changes)
        self.store.save_incident(self.incident)
        return self.incident

    def change_issue(self, change: IssueChange, text_if_lost: str = "") -> None:
        """A change to the event's issue, written with the comment's others once its lines have run."""
        self.changes.append(change)
        if text_if_lost:
            self.lost.append(text_if_lost)

    def edit_body(self, change, text_if_lost: str) -> None:
        self.change_issue(lambda issue: replace(issue, body=change(issue.body)), text_if_lost)

    def add_to_timeline(self, at: datetime, text: str, tag: str | None = None) -> None:
        self.edit_body(lambda body: timeline_edits.add_timeline_entry(body, self.profile, at, text, tag,
                                                                       self.timezone), f"{at:%Y-%m-%d %H:%M} - {text}")
        last, said = self.incident_or_refuse().last_update_at, self.said_at
        self.save(last_update_at=said if last is None or said > last else last)  # a late comment is no newer

    def finish(self, line: int, outcome: Outcome) -> None:
        """The line is done: recorded now, or once its changes to the issue are written."""
        changes, lost, steps = self.changes, self.lost, self.steps
        self.changes, self.lost, self.steps = [], [], []
        if changes:
            self.pending.append(Pending(line, outcome, changes, lost, steps))
        else:
            record(self, {line: outcome})

    def write_issue(self, changes: list[IssueChange], lost: list[str]) -> Issue:
        """The changes in one read and one write; the context sees the issue as written."""
        try:
            issue = self.forge.update_issue(self.event.repository, self.event.number, *changes)
        except BodyTooLong as exc:
            raise Refused(TOO_LONG.format(reason=exc, text=escape("\n".join(lost), 2000))) from exc
        self.ctx.issue_written(self.event, issue)
        return issue

    def current_issue(self) -> Issue:
        """The issue with the finished lines' changes written."""
        flush(self)
        return self.ctx.issue(self.event)

    def once(self, command: Command, step: str, do) -> None:
        """Do a step that must not be repeated (a body edit) unless an earlier attempt of this line did it.
        A step that changes the issue is noted once the change is written."""
        if step in self._steps(command):
            return
        queued = len(self.changes)
        do()
        if len(self.changes) > queued:
            self.steps.append(step)
        else:
            self.note_step(command.line, step, True)

    def opened_issue(self, command: Command, repository: str, create: Callable[[str], Issue],
                     label: str | None = None) -> Issue:
        """The issue this line opened on an earlier attempt, else the one `create` opens, recorded at once.

        With `label`, one the new issue carries: `create` gets a hidden marker to end the body with, and the
        intent is noted before it runs, since a forge has no idempotency key. A re-run that finds the intent
        but no issue (the forge made it, its answer was lost) takes the bot's issue with that label carrying
        the marker, if there is one, before opening another."""
        step = f"opened {repository}"
        number = self._steps(command).get(step)
        if number is not None:
            return self.forge.get_issue(repository, number)
        marker = ""
        if label is not None:
            marker, opening = self._opened_marker(command, repository), f"opening {repository}"
            noted = self._steps(command).get(opening)
            if noted is None:
                self.note_step(command.line, opening, datetime.now(UTC).isoformat())
            elif (found := self._marked_issue(repository, label, marker, datetime.fromisoformat(noted))) is not None:
                self.note_step(command.line, step, found.number)
                return found
        issue = create(marker)
        self.note_step(command.line, step, issue.number)
        return issue

    def _opened_marker(self, command: Command, repository: str) -> str:
        ref = self.comment
        key = f"{ref.platform}:{ref.repository}#{ref.number}:{ref.comment_id}:{command.line}:{repository}"
        return OPENED_MARKER.format(key=hashlib.sha256(key.encode()).hexdigest()[:24])

    def _marked_issue(self, repository: str, label: str, marker: str, noted: datetime) -> Issue | None:
        """The bot's issue with `label` and `marker`, among those updated since the intent was noted."""
        return next((issue for issue in self.forge.list_issues(repository, label, since=noted - CLOCK_SKEW)
                     if marker in issue.body and issue.author.lower() == self.forge.bot_login.lower()), None)

    def _steps(self, command: Command) -> dict:
        return self.recorded[command.line].steps if command.line in self.recorded else {}

    def note_step(self, line: int, step: str, value) -> None:
        """Record in the ledger that a step of the line took effect."""
        self.store.record_step(self.comment, line, step, value)
        self.recorded.setdefault(line, CommandRun()).steps[step] = value

    def unless_superseded(self, command: Command, history: tuple | None = None) -> None:
        """Refuse a setting a newer comment already made; its `history` entry still goes in the timeline."""
        setting = setting_of(command)
        newer = self.store.newer_setting(self.comment, setting) if setting else None
        if newer is None:
            return
        message = SUPERSEDED.format(url=newer.url, what=setting)
        if history:
            at = self.said_at
            self.once(command, "timeline", lambda: self.add_to_timeline(at, *history))
            message += IN_HISTORY.format(at=at)
        raise Superseded(message, changed=bool(history))


def setting_of(command: Command) -> str | None:
    if command.name == "publish" and command.args.get("postmortem"):
        return None  # the postmortem snapshot is not a setting; publishing it again refreshes it
    return SETTINGS.get(command.name)


def record(run: Run, done: dict) -> None:
    """Mark lines finished in the ledger, and in the run's outcomes (line -> Outcome)."""
    run.store.record_outcomes(run.comment, done)
    run.outcomes.update(done)


def flush(run: Run) -> None:
    """Write the finished lines' changes to the issue in one read and one write, then record them as done."""
    held, run.pending = run.pending, []
    if not held:
        return
    try:
        run.write_issue([change for p in held for change in p.changes], [text for p in held for text in p.lost])
        done = {p.line: _written(run, p) for p in held}
    except Refused:  # too long together: a line at a time, so the lines that fit are written
        done = {p.line: _write_one(run, p) for p in held}
    record(run, done)


def _write_one(run: Run, pending: Pending) -> Outcome:
    try:
        run.write_issue(pending.changes, pending.lost)
        return _written(run, pending)
    except Refused as exc:  # the body has no room: the line's other changes (labels, people) still go in
        run.write_issue([_keeping_body(change) for change in pending.changes], [])
        return Outcome("⚠️", str(exc))


def _written(run: Run, pending: Pending) -> Outcome:
    for step in pending.steps:
        run.note_step(pending.line, step, True)
    return pending.outcome


def _keeping_body(change: IssueChange) -> IssueChange:
    return lambda issue: replace(change(issue), body=issue.body)
