"""The incident board job (issue 19): one "Incident board" issue per GitHub account or GitLab top-level group, in
the repository INCIDENT_DESK_BOARD_REPOSITORIES names, rewritten in place from the store. Reconciles ask for it
through `worker.deferred.refresh_board` (at most one write a minute); an unchanged text costs no write (its
digest is kept with the board), and the board asks for itself again when the clock alone would change it (an age
step, a stale flag, an incident leaving the 30 days, an action item falling due)."""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from forges.errors import ForgeError, TransientForgeError
from incident_desk.logs import log_event
from incidents.board import BOARD_TITLE, board_repository, build_board, next_change, render_board
from store import BoardIssue
from worker.bootstrap import Runtime, forge_for, runtime
from worker.deferred import BOARD_DELAY, board_job_id, refresh_board
from worker.queue import deliveries_queue
from worker.retry import is_transient, retry_delay, retry_later

__all__ = ["BOARD_DUE_JOB", "board_due", "update_board"]

log = logging.getLogger("incident_desk.board")
BOARD_DUE_JOB = "worker.board.board_due"


def update_board(platform: str, owner: str, installation_id: int | None = None, attempt: int = 1) -> str:
    """Write the board of `owner` (an account or group) when its text changed; "written", "unchanged" or
    "no board". A transient error tries again later."""
    rt = runtime()
    try:
        return _update(rt, platform, owner, installation_id)
    except Exception as exc:
        if not is_transient(exc) or attempt >= rt.settings.max_attempts:
            raise
        retry_later(rt.conn, update_board, (platform, owner, installation_id), attempt,
                    retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds))
        return "retry scheduled"


def _update(rt: Runtime, platform: str, owner: str, installation_id: int | None) -> str:
    repository = board_repository(rt.settings.board_repositories, platform, f"{owner}/board")
    if repository is None:
        return "no board"
    now = datetime.now(UTC)
    entries = rt.store.board_entries(platform, owner)
    text = render_board(build_board(entries, now))
    digest = hashlib.sha256(text.encode()).hexdigest()
    _schedule_next(rt, platform, owner, installation_id, next_change(entries, now) - now)
    known = rt.store.board_issue(platform, owner)
    if known is not None and known.repository == repository and known.digest == digest:
        return "unchanged"
    forge = forge_for(rt, platform, installation_id)
    number = _write(forge, repository, known, text)
    rt.store.set_board_issue(platform, owner, BoardIssue(repository, number, digest, now))
    log_event(log, platform=platform, repository=repository, number=number, outcome="board written")
    return "written"


def _write(forge, repository: str, known: BoardIssue | None, text: str) -> int:
    """Edit the known board issue in place; open it when there is none (or it is gone); its number."""
    if known is not None and known.repository == repository:
        try:
            forge.edit_issue(repository, known.number, body=text)
            return known.number
        except ForgeError as exc:
            if isinstance(exc, TransientForgeError):
                raise
            # deleted or moved: a new board issue below
    return forge.create_issue(repository, BOARD_TITLE, text).number


def _schedule_next(rt: Runtime, platform: str, owner: str, installation_id: int | None, delay) -> None:
    """The board's clock: when its text would change with no event, ask for its update again."""
    deliveries_queue(rt.conn).enqueue_in(max(delay, BOARD_DELAY), BOARD_DUE_JOB, platform, owner, installation_id,
                                         job_id=board_job_id(platform, owner) + "-due")


def board_due(platform: str, owner: str, installation_id: int | None = None) -> bool:
    """The clock's turn: the board's debounced update, like any change."""
    rt = runtime()
    return refresh_board(rt.conn, platform, f"{owner}/board", installation_id)
