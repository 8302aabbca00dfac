"""What a command's effect works with (`Run`): the comment, the ledger's steps, and timeline batches."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from forges.base import BodyTooLong, ConcurrentEdit
from forges.events import CommentEvent
from handlers.context import Context
from incidents import timeline_edits
from incidents.commands import Command
from incidents.model import Incident
from incidents.text import escape
from store.ledger import CommandRun, CommentRef, Outcome

NOT_AN_INCIDENT = "this issue is not an incident; run it on the incident, or declare one with `{prefix}incident`."
TOO_LONG = "the issue body is full ({reason}), so this was not written; here it is so it is not lost: {text}"
BUSY = "the issue body kept changing while I tried to write; please run it again."
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


@dataclass
class Run:
    """What a command's effect may use: the comment's event, the handler context and the incident."""

    event: CommentEvent
    ctx: Context
    incident: Incident | None = None
    recorded: dict = field(default_factory=dict)  # the command ledger: line -> CommandRun
    batching: bool = False  # while True, timeline entries wait for one body edit (see flush)
    entry: tuple | None = None  # the entry the current batched line waits to write
    pending: list = field(default_factory=list)  # (line, outcome, entry) of the batch so far
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

    def edit_body(self, change, text_if_lost: str):
        try:
            body = self.forge.edit_body(self.event.repository, self.event.number, change,
                                        known=self.ctx.issue(self.event).body)
        except BodyTooLong as exc:
            raise Refused(TOO_LONG.format(reason=exc, text=escape(text_if_lost, 2000))) from exc
        except ConcurrentEdit as exc:
            raise Refused(BUSY) from exc
        self.ctx.issue_changed(self.event, body=body)
        return body

    def add_to_timeline(self, at: datetime, text: str, tag: str | None = None):
        if self.batching:
            self.entry = (at, text, tag)
            return
        self.write_timeline([(at, text, tag)])

    def write_timeline(self, entries: list[tuple]) -> None:
        """Write timeline entries (at, text, tag) in one body edit."""
        def change(body):
            for at, text, tag in entries:
                body = timeline_edits.add_timeline_entry(body, self.profile, at, text, tag, self.timezone)
            return body
        self.edit_body(change, "\n".join(f"{at:%Y-%m-%d %H:%M} - {text}" for at, text, _ in entries))
        self.save(last_update_at=datetime.now(UTC))

    def once(self, command: Command, step: str, do) -> None:
        """Do a step that must not be repeated (a body edit) unless an earlier attempt of this line did it."""
        if step not in self._steps(command):
            do()
            self._note(command, step, True)

    def opened_issue(self, command: Command, repository: str, create):
        """The issue this line opened on an earlier attempt, else the one `create` opens, recorded at once."""
        step = f"opened {repository}"
        number = self._steps(command).get(step)
        if number is not None:
            return self.forge.get_issue(repository, number)
        issue = create()
        self._note(command, step, issue.number)
        return issue

    def _steps(self, command: Command) -> dict:
        return self.recorded[command.line].steps if command.line in self.recorded else {}

    def _note(self, command: Command, step: str, value) -> None:
        self.store.record_step(self.comment, command.line, step, value)
        self.recorded.setdefault(command.line, CommandRun()).steps[step] = value

    def unless_superseded(self, command: Command, history: tuple | None = None) -> None:
        """Refuse a setting a newer comment already made; its `history` entry still goes in the timeline."""
        setting = setting_of(command)
        newer = self.store.newer_setting(self.comment, setting) if setting else None
        if newer is None:
            return
        message = SUPERSEDED.format(url=newer.url, what=setting)
        if history:
            at = self.event.commented_at or datetime.now(UTC)
            self.once(command, "timeline", lambda: self.add_to_timeline(at, *history))
            message += IN_HISTORY.format(at=at)
        raise Superseded(message, changed=bool(history))


def setting_of(command: Command) -> str | None:
    if command.name == "publish" and command.args.get("postmortem"):
        return None  # the postmortem snapshot is not a setting; publishing it again refreshes it
    return SETTINGS.get(command.name)


def record(run: Run, done: dict, outcomes: dict) -> None:
    """Mark lines finished in the ledger, and in `outcomes` (line -> Outcome)."""
    run.store.record_outcomes(run.comment, done)
    outcomes.update(done)


def flush(run: Run, outcomes: dict) -> None:
    """Write the waiting timeline entries in one body edit, then record their lines as done."""
    held, run.pending = run.pending, []
    if not held:
        return
    try:
        run.write_timeline([entry for _, _, entry in held])
        done = {line: outcome for line, outcome, _ in held}
    except Refused:  # too long together: one at a time, so the entries that fit are written
        done = {line: _write_one(run, outcome, entry) for line, outcome, entry in held}
    record(run, done, outcomes)


def _write_one(run: Run, outcome: Outcome, entry: tuple) -> Outcome:
    try:
        run.write_timeline([entry])
        return outcome
    except Refused as exc:
        return Outcome("⚠️", str(exc))
