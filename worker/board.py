"""The incident board job (issue 19): one "Incident board" issue per GitHub account or GitLab top-level group, in
the repository INCIDENT_DESK_BOARD_REPOSITORIES names, rewritten in place from the store. Reconciles ask for it
through `worker.deferred.refresh_board` (at most one write a minute); an unchanged text costs no write (its
digest is kept with the board), and the board asks for itself again when the clock alone would change it (an age
step, a stale flag, an incident leaving the 30 days, an action item falling due).

A new board issue is opened only when the old one is gone: its edit answered 404 or 410, or it was transferred or
deleted (`handlers.board.forget_moved_board`). Any other refusal (403: no permission; 422: too long, say) is
logged with its reason and said once on the board issue, where a person can act, and the same text is not sent
again until the board changes."""
from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from forges import forge_class
from forges.errors import ForgeError, TransientForgeError
from incident_desk.logs import log_event
from incidents.board import BOARD_TITLE, board_repository, build_board, next_change, render_board
from store import BoardIssue
from worker.bootstrap import Runtime, forge_for, runtime
from worker.deferred import BOARD_DELAY, board_job_id, refresh_board
from worker.queue import KEY_PREFIX, deliveries_queue
from worker.retry import is_transient, retry_delay, retry_later

__all__ = ["BOARD_DUE_JOB", "board_due", "update_board"]

log = logging.getLogger("incident_desk.board")
BOARD_DUE_JOB = "worker.board.board_due"
GONE = (404, 410)  # deleted (GitHub answers 410) or no longer there: a new board issue
CANNOT_SAY = (401, 403)  # the bot may not write there: a comment would be refused as well
REFUSED_MARKER = "<!-- incident-desk:board-refused -->"
REFUSED = ("{marker}\nIncident Desk could not update this board: the forge refused the edit ({status}). It shows the "
           "incidents as last written, and is rewritten here as soon as an edit goes through.\n\n~~~\n{reason}\n~~~")


class EditRefused(Exception):
    """The forge refused the board issue's edit for a reason other than its being gone."""

    def __init__(self, error: ForgeError):
        super().__init__(str(error))
        self.error = error


def update_board(platform: str, owner: str, installation_id: int | None = None, attempt: int = 1) -> str:
    """Write the board of `owner` (an account or group) when its text changed; "written", "unchanged",
    "refused" (the forge refused the edit of a board issue still there) or "no board". A transient error tries
    again later."""
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
    text = render_board(build_board(entries, now), limit=forge_class(platform).body_limit)
    digest = hashlib.sha256(text.encode()).hexdigest()
    _schedule_next(rt, platform, owner, installation_id, next_change(entries, now) - now)
    known = rt.store.board_issue(platform, owner)
    if known is not None and known.repository == repository and known.digest == digest:
        return "unchanged"
    refusals = Refusals(rt.conn, platform, owner)
    if refusals.same_text(known, digest):
        return "refused"
    forge = forge_for(rt, platform, installation_id)
    try:
        number = _write(forge, repository, known, text)
    except EditRefused as refused:
        assert known is not None  # only an edit of the known issue is refused this way
        refusals.told(forge, known, digest, refused.error)
        return "refused"
    refusals.clear()
    rt.store.set_board_issue(platform, owner, BoardIssue(repository, number, digest, now))
    log_event(log, platform=platform, repository=repository, number=number, outcome="board written")
    return "written"


def _write(forge, repository: str, known: BoardIssue | None, text: str) -> int:
    """Edit the known board issue in place; open it when there is none (or it is gone); its number.
    EditRefused when the forge refuses the edit of an issue that is still there."""
    if known is not None and known.repository == repository:
        try:
            forge.edit_issue(repository, known.number, body=text)
            return known.number
        except ForgeError as exc:
            if isinstance(exc, TransientForgeError):
                raise
            if exc.status not in GONE:
                raise EditRefused(exc) from exc
            # deleted or no longer there: a new board issue below
    return forge.create_issue(repository, BOARD_TITLE, text).number


class Refusals:
    """The board's last refused edit, kept in Redis: its status, the text's digest and the issue."""

    def __init__(self, conn, platform: str, owner: str):
        self.conn, self.platform = conn, platform
        self.key = f"{KEY_PREFIX}:board-refused:{platform}:{owner.lower()}"

    def same_text(self, known: BoardIssue | None, digest: str) -> bool:
        """Whether this very text was refused for this issue already (sending it again would be refused too)."""
        kept = self.conn.hgetall(self.key)
        return known is not None and kept.get(b"digest") == digest.encode() and \
            kept.get(b"issue") == f"{known.repository}#{known.number}".encode()

    def told(self, forge, known: BoardIssue, digest: str, error: ForgeError) -> None:
        """Log the refusal with its reason; say it on the board issue, once per kind of refusal, unless the bot
        may not write there at all."""
        before = self.conn.hget(self.key, "status")
        self.conn.hset(self.key, mapping={"status": str(error.status), "digest": digest,
                                          "issue": f"{known.repository}#{known.number}"})
        said = dict(platform=self.platform, repository=known.repository, number=known.number)
        log_event(log, **said, outcome="board refused", status=error.status, reason=str(error)[:500])
        if error.status in CANNOT_SAY or before == str(error.status).encode():
            return
        reason = str(error)[:500].replace("~~~", "~ ~ ~")  # kept inside its fence
        text = REFUSED.format(marker=REFUSED_MARKER, status=error.status, reason=reason)
        try:
            forge.upsert_marked_comment(known.repository, known.number, REFUSED_MARKER, text)
        except ForgeError as exc:
            log_event(log, **said, outcome="board refusal not said", reason=str(exc)[:500])

    def clear(self) -> None:
        self.conn.delete(self.key)


def _schedule_next(rt: Runtime, platform: str, owner: str, installation_id: int | None, delay) -> None:
    """The board's clock: when its text would change with no event, ask for its update again."""
    deliveries_queue(rt.conn).enqueue_in(max(delay, BOARD_DELAY), BOARD_DUE_JOB, platform, owner, installation_id,
                                         job_id=board_job_id(platform, owner) + "-due")


def board_due(platform: str, owner: str, installation_id: int | None = None) -> bool:
    """The clock's turn: the board's debounced update, like any change."""
    rt = runtime()
    return refresh_board(rt.conn, platform, f"{owner}/board", installation_id)
