"""The incident board (issue 19): every reconcile keeps what the board shows of the incident beyond its row and
asks for the board's (debounced) update; the board itself is written by the job `worker.board.update_board`.
A board issue transferred or deleted by hand is forgotten, so that update opens a new one."""
from __future__ import annotations

from forges.events import ISSUE, IssueEvent
from handlers.context import Context
from handlers.router import Router
from incidents.board import BoardFacts, DueAction
from incidents.model import Incident
from incidents.repository_config import RepositoryConfig

router = Router()


def keep_board(ctx: Context, config: RepositoryConfig, incident: Incident, document, findings) -> None:
    """Save the incident's postmortem state, reminder interval and open action items with a due date; then the
    board's update is asked for (the job finds nothing to write when nothing it shows changed)."""
    due = tuple(DueAction(a.text, a.owner, a.due) for a in document.actions if not a.done and a.due is not None)
    complete = not any(f.severity == "error" for f in findings)
    ctx.store.save_board_facts(incident, BoardFacts(complete, config.file.reminders.interval, due))
    ctx.jobs.refresh_board(incident)


@router.register(ISSUE, "transferred", "deleted")
def forget_moved_board(event: IssueEvent, ctx: Context) -> None:
    """The board issue moved to another repository (an edit would follow it there) or deleted: forgotten, and the
    board's update asked for, which opens a new board issue in the board repository."""
    if ctx.store.forget_board_issue(event.platform, event.repository, event.number):
        ctx.jobs.refresh_board_at(event.platform, event.repository, event.installation_id)
