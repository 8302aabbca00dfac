"""The incident board (issue 19): every reconcile keeps what the board shows of the incident beyond its row and
asks for the board's (debounced) update; the board itself is written by the job `worker.board.update_board`."""
from __future__ import annotations

from handlers.context import Context
from incidents.board import BoardFacts, DueAction
from incidents.model import Incident
from incidents.repository_config import RepositoryConfig


def keep_board(ctx: Context, config: RepositoryConfig, incident: Incident, document, findings) -> None:
    """Save the incident's postmortem state, reminder interval and open action items with a due date; then the
    board's update is asked for (the job finds nothing to write when nothing it shows changed)."""
    due = tuple(DueAction(a.text, a.owner, a.due) for a in document.actions if not a.done and a.due is not None)
    complete = not any(f.severity == "error" for f in findings)
    ctx.store.save_board_facts(incident, BoardFacts(complete, config.file.reminders.interval, due))
    ctx.jobs.refresh_board(incident)
