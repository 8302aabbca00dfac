"""The command ledger (a mixin of `Store`): what each command line of a comment did.

It lives in the database, not in Redis: it must outlive a Redis flush or an embedded Redis
without persistence, and it must last as long as the incident, since a retry or a forge
redelivery can come hours later and "the later comment wins" needs the settings' history.
Rows of comments older than LEDGER_DAYS are pruned by the hourly sweep (worker.nudges).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, delete, or_, select

from store.models import CommandRunRow

REPLY_LINE = 0  # command lines count from 1; line 0 records the comment's reply
LEDGER_DAYS = 90  # how long a comment's rows are kept: months past any redelivery or retry


@dataclass(frozen=True)
class CommentRef:
    """The comment a command was written in: what its ledger rows are keyed by and ordered by."""

    platform: str
    repository: str
    number: int  # the issue or merge request it is on
    comment_id: int
    commented_at: datetime | None = None
    url: str = ""


@dataclass(frozen=True)
class Outcome:
    """What a finished command did: its reply line's icon and text, and what it changed."""

    icon: str
    message: str
    changed: bool = False  # the issue changed, so the incident is reconciled after the reply
    setting: str | None = None  # the kind of setting it set (only when it took effect)


@dataclass
class CommandRun:
    """A command line as recorded: the steps that took effect, and its outcome once finished."""

    steps: dict = field(default_factory=dict)
    outcome: Outcome | None = None


class LedgerStore:
    """Read and write the ledger; every write is its own transaction, made right after the effect."""

    def command_runs(self, comment: CommentRef) -> dict[int, CommandRun]:
        """The comment's recorded lines by line number (REPLY_LINE: the reply)."""
        with self.session() as s:
            return {row.line: _to_run(row) for row in s.scalars(_rows(comment))}

    def prune_command_runs(self, before: datetime, limit: int = 5000) -> int:
        """Forget the rows of comments written before `before`, at most `limit` of them, oldest first; how many.

        No forge redelivers a comment that old, and a comment arriving now is newer than all of them, so neither
        "once" nor "the later comment wins" needs them any more (GitHub redelivers for days, not months)."""
        with self.session() as s:
            ids = s.scalars(select(CommandRunRow.id).where(CommandRunRow.commented_at.is_not(None),
                                                           CommandRunRow.commented_at < before)
                            .order_by(CommandRunRow.commented_at).limit(limit)).all()
            if ids:
                s.execute(delete(CommandRunRow).where(CommandRunRow.id.in_(ids)))
            return len(ids)

    def record_step(self, comment: CommentRef, line: int, step: str, value) -> None:
        """Note that a step of a command took effect (e.g. the issue it created), before it finishes."""
        with self.session() as s:
            row = self._command_row(s, comment, line)
            row.steps = {**(row.steps or {}), step: value}

    def record_outcomes(self, comment: CommentRef, outcomes: dict[int, Outcome]) -> None:
        """Mark lines finished with their outcomes, in one transaction (a batch of timeline lines)."""
        with self.session() as s:
            for line, outcome in outcomes.items():
                row = self._command_row(s, comment, line)
                row.icon, row.message = outcome.icon, outcome.message
                row.changed, row.setting = outcome.changed, outcome.setting

    def newer_setting(self, comment: CommentRef, setting: str) -> CommentRef | None:
        """The newest comment that set `setting` on the same issue after `comment` was written, if any."""
        if comment.commented_at is None:
            return None  # no time to order by: the command applies
        mine = comment.commented_at
        with self.session() as s:
            row = s.scalars(select(CommandRunRow).where(
                CommandRunRow.platform == comment.platform, CommandRunRow.repository == comment.repository,
                CommandRunRow.number == comment.number, CommandRunRow.setting == setting,
                or_(CommandRunRow.commented_at > mine,
                    and_(CommandRunRow.commented_at == mine, CommandRunRow.comment_id > comment.comment_id)),
            ).order_by(CommandRunRow.commented_at.desc(), CommandRunRow.comment_id.desc())).first()
            return CommentRef(row.platform, row.repository, row.number, row.comment_id, row.commented_at,
                              row.comment_url) if row else None

    @staticmethod
    def _command_row(s, comment: CommentRef, line: int) -> CommandRunRow:
        row = s.scalars(_rows(comment).where(CommandRunRow.line == line)).first()
        if row is None:
            row = CommandRunRow(platform=comment.platform, repository=comment.repository,
                                comment_id=comment.comment_id, line=line, number=comment.number,
                                commented_at=comment.commented_at, comment_url=comment.url, steps={})
            s.add(row)
        return row


def _rows(comment: CommentRef):
    return select(CommandRunRow).where(CommandRunRow.platform == comment.platform,
                                       CommandRunRow.repository == comment.repository,
                                       CommandRunRow.comment_id == comment.comment_id)


def _to_run(row: CommandRunRow) -> CommandRun:
    outcome = Outcome(row.icon, row.message or "", bool(row.changed), row.setting) if row.icon else None
    return CommandRun(dict(row.steps or {}), outcome)
