"""The incident board (issue 19), pure: one issue per GitHub installation (its account) or GitLab top-level
group, listing the open incidents of every repository there, those resolved in the last 30 days and the
overdue action items. `incident-desk list` prints the same rows.

Like the summary comment, the text has no render time in it: ages are coarse (whole hours, then whole days)
and the stale flag changes only when an incident crosses its reminder interval, so an unchanged board renders
the same text and costs no write. `next_change` says when the text would change by the clock alone.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from incidents.metrics import format_elapsed
from incidents.model import Incident, Status
from incidents.text import escape

BOARD_MARKER = "<!-- incident-desk:board -->"
BOARD_TITLE = "Incident board"
RECENT = timedelta(days=30)
DEFAULT_INTERVAL = timedelta(hours=1)  # reminders.interval's default
PRIVATE_TITLE = "(private incident)"


@dataclass(frozen=True)
class DueAction:
    """An open action item with a due date, as the incident's body last said."""

    text: str
    owner: str | None
    due: date


@dataclass(frozen=True)
class BoardFacts:
    """What the board needs of an incident beyond its row: kept by every reconcile."""

    postmortem_complete: bool = False
    reminder_interval: timedelta = DEFAULT_INTERVAL
    due_actions: tuple[DueAction, ...] = ()


@dataclass(frozen=True)
class OpenRow:
    incident: Incident
    age: str
    stale: bool


@dataclass(frozen=True)
class ResolvedRow:
    incident: Incident
    postmortem_complete: bool


@dataclass(frozen=True)
class OverdueRow:
    incident: Incident
    action: DueAction


@dataclass(frozen=True)
class Board:
    open: tuple[OpenRow, ...] = ()
    resolved: tuple[ResolvedRow, ...] = ()
    overdue: tuple[OverdueRow, ...] = ()


MORE = "…and {n} more: `incident-desk list` shows them all."  # where the forge's body limit cut the board


def board_key(repository: str) -> str:
    """The board an incident belongs to: its repository's owner (a GitHub account, hence one installation) or
    its top-level GitLab group."""
    return repository.split("/", 1)[0].lower()


def board_repository(boards: Sequence[tuple[str, str]], platform: str, repository: str) -> str | None:
    """The configured board repository on `platform` under the same owner or group as `repository`."""
    for board_platform, board_repo in boards:
        if board_platform == platform and board_key(board_repo) == board_key(repository):
            return board_repo
    return None


def _is_open(incident: Incident) -> bool:
    return incident.tracking and incident.status is not Status.RESOLVED and incident.closed_at is None


def _resolved_at(incident: Incident) -> datetime | None:
    return incident.resolved_at or incident.closed_at


def _last_update(incident: Incident, now: datetime) -> datetime:
    return incident.last_update_at or incident.reported_at or now


def build_board(entries: Sequence[tuple[Incident, BoardFacts]], now: datetime, only_open: bool = False) -> Board:
    """The board's rows: open incidents (oldest first), those resolved within 30 days (newest first) and the
    action items past due (a UTC date: the board spans repositories of several timezones)."""
    tracked = [(i, f) for i, f in entries if i.tracking]
    opened = [OpenRow(i, age_words(now - (i.reported_at or now)), now - _last_update(i, now) > f.reminder_interval)
              for i, f in tracked if _is_open(i)]
    opened.sort(key=lambda row: (row.incident.reported_at or now, row.incident.repository, row.incident.number))
    if only_open:
        return Board(open=tuple(opened))
    resolved = [ResolvedRow(i, f.postmortem_complete) for i, f in tracked
                if not _is_open(i) and (at := _resolved_at(i)) is not None and now - at <= RECENT]
    resolved.sort(key=lambda row: _resolved_at(row.incident) or now, reverse=True)
    today = now.astimezone(UTC).date()
    overdue = [OverdueRow(i, a) for i, f in tracked for a in f.due_actions if a.due < today]
    overdue.sort(key=lambda row: (row.action.due, row.incident.repository, row.incident.number))
    return Board(tuple(opened), tuple(resolved), tuple(overdue))


def filter_repository(entries: Sequence[tuple[Incident, BoardFacts]], repository: str | None):
    """Only the entries of one repository (case-insensitive), or all of them."""
    if not repository:
        return list(entries)
    return [(i, f) for i, f in entries if i.repository.lower() == repository.lower()]


def age_words(delta: timedelta) -> str:
    """"<1 h", "5 h" below two days, then "3 d": coarse, so the text changes at most once an hour."""
    hours = max(int(delta.total_seconds() // 3600), 0)
    if hours < 1:
        return "<1 h"
    return f"{hours} h" if hours < 48 else f"{hours // 24} d"


def _next_age_step(reported: datetime, now: datetime) -> datetime:
    hours = max(int((now - reported).total_seconds() // 3600), 0)
    return reported + (timedelta(hours=hours + 1) if hours < 48 else timedelta(days=hours // 24 + 1))


def next_change(entries: Sequence[tuple[Incident, BoardFacts]], now: datetime) -> datetime:
    """When the board's text changes by the clock alone (an age step, a stale flag, a resolved incident leaving
    the 30 days, an action item falling due); at most a day away."""
    moments = [now + timedelta(days=1)]
    midnight = datetime.combine(now.astimezone(UTC).date() + timedelta(days=1), time(), UTC)
    for incident, facts in entries:
        if not incident.tracking:
            continue
        if _is_open(incident):
            moments.append(_next_age_step(incident.reported_at or now, now))
            moments.append(_last_update(incident, now) + facts.reminder_interval)
        elif (at := _resolved_at(incident)) is not None:
            moments.append(at + RECENT)
        if facts.due_actions:
            moments.append(midnight)
    later = [moment for moment in moments if moment > now]
    return min(later) if later else now + timedelta(days=1)


# ---------------------------------------------------------------- the Markdown


def _cell(text: str, limit: int = 120) -> str:
    return escape(text, limit)  # `|` included: a table cell stays one cell


def _title(incident: Incident) -> str:
    title = PRIVATE_TITLE if incident.private else _cell(incident.title)
    return f"[{_cell(incident.repository, 80)}#{incident.number}]({incident.url})" + f" {title}"


def _when(at: datetime | None) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if at else "—"


def _who(login: str | None) -> str:
    return f"`{login}`" if login else "unassigned"  # a code span: the board pings no one


def render_board(board: Board, limit: int | None = None) -> str:
    """The board issue's body; under `limit` characters (the forge's body limit: GitHub refuses a longer one)
    by leaving out the rows past what fits, open incidents last, and saying how many."""
    rows = ([_open_line(r) for r in board.open], [_resolved_line(r) for r in board.resolved],
            [_overdue_line(r) for r in board.overdue])
    text = _board_text(board, *rows)
    if limit is None or len(text) <= limit:
        return text
    room = limit - (len(text) - sum(len(line) + 1 for section in rows for line in section)) - 3 * (len(MORE) + 12)
    opened = _fit(room, [rows[0]])[0]
    return _board_text(board, opened, *_fit(room - sum(len(line) + 1 for line in opened), list(rows[1:])))


def _fit(room: int, sections: list[list[str]]) -> list[list[str]]:
    """The first rows of each section that fit in `room` characters together, taken in turn."""
    kept: list[list[str]] = [[] for _ in sections]
    spent, grew = 0, True
    while grew:
        grew = False
        for taken, section in zip(kept, sections, strict=True):
            if len(taken) < len(section) and spent + len(section[len(taken)]) + 1 <= room:
                spent += len(section[len(taken)]) + 1
                taken.append(section[len(taken)])
                grew = True
    return kept


def _board_text(board: Board, opened: list[str], resolved: list[str], overdue: list[str]) -> str:
    lines = [BOARD_MARKER, "Kept current by Incident Desk: edits to this issue are overwritten.", "",
             f"## Open incidents ({len(board.open)})", ""]
    if board.open:
        lines += ["| Incident | Status | Severity | Commander | Age | Last update (UTC) | Open actions |",
                  "|---|---|---|---|---|---|---|", *opened, *_more(len(board.open) - len(opened))]
    else:
        lines.append("No open incidents.")
    lines += ["", f"## Resolved in the last 30 days ({len(board.resolved)})", ""]
    if board.resolved:
        lines += ["| Incident | Resolved (UTC) | TTR | Postmortem |", "|---|---|---|---|", *resolved,
                  *_more(len(board.resolved) - len(resolved))]
    else:
        lines.append("None.")
    lines += ["", f"## Overdue action items ({len(board.overdue)})", ""]
    lines += [*overdue, *_more(len(board.overdue) - len(overdue))] if board.overdue else ["None."]
    return "\n".join(lines) + "\n"


def _more(left_out: int) -> list[str]:
    return ["", MORE.format(n=left_out)] if left_out else []


def _open_line(row: OpenRow) -> str:
    incident = row.incident
    severity = incident.severity.title if incident.severity else "unknown"
    stale = " ⚠️ no update for longer than the reminder interval" if row.stale else ""
    return (f"| {_title(incident)} | {incident.status.value} | {severity} | {_who(incident.commander)} | "
            f"{row.age} | {_when(incident.last_update_at or incident.reported_at)}{stale} | {incident.open_actions} |")


def _resolved_line(row: ResolvedRow) -> str:
    incident = row.incident
    postmortem = _postmortem(row)
    return (f"| {_title(incident)} | {_when(_resolved_at(incident))} | {format_elapsed(incident.ttr_seconds)} | "
            f"{postmortem} |")


def _postmortem(row: ResolvedRow) -> str:
    return "complete" if row.postmortem_complete else "incomplete"


def _overdue_line(row: OverdueRow) -> str:
    text = "an action item of a private incident" if row.incident.private else _cell(row.action.text, 200)
    return (f"- {_title(row.incident)}: {text} ({_who(row.action.owner)}) — due {row.action.due.isoformat()}")


# ---------------------------------------------------------------- `incident-desk list`


def board_json(board: Board) -> dict:
    """The board as plain data (`incident-desk list --format json`)."""
    def ref(incident: Incident) -> dict:
        return {"platform": incident.platform, "repository": incident.repository, "number": incident.number,
                "title": incident.title, "url": incident.url}

    return {
        "open": [{**ref(r.incident), "status": r.incident.status.value,
                  "severity": r.incident.severity.value if r.incident.severity else None,
                  "commander": r.incident.commander, "age": r.age,
                  "last_update": _when(r.incident.last_update_at or r.incident.reported_at),
                  "open_actions": r.incident.open_actions, "stale": r.stale} for r in board.open],
        "resolved": [{**ref(r.incident), "resolved": _when(_resolved_at(r.incident)),
                      "ttr_seconds": r.incident.ttr_seconds, "ttr": format_elapsed(r.incident.ttr_seconds),
                      "postmortem": _postmortem(r)} for r in board.resolved],
        "overdue": [{**ref(r.incident), "action": r.action.text, "owner": r.action.owner,
                     "due": r.action.due.isoformat()} for r in board.overdue],
    }


def board_table(board: Board) -> str:
    """The board as plain text columns (`incident-desk list`)."""
    lines = [f"{'INCIDENT':<40} {'STATUS':<14} {'SEVERITY':<22} {'COMMANDER':<16} {'AGE':>5}  LAST UPDATE"]
    for row in board.open:
        incident = row.incident
        severity = incident.severity.value if incident.severity else "unknown"
        flag = "  STALE" if row.stale else ""
        lines.append(f"{_ref(incident):<40} {incident.status.value:<14} {severity:<22} "
                     f"{(incident.commander or '-'):<16} {row.age:>5}  "
                     f"{_when(incident.last_update_at or incident.reported_at)}{flag}")
    if board.resolved:
        lines += ["", f"{'RESOLVED (30 DAYS)':<40} {'RESOLVED':<17} {'TTR':<14} POSTMORTEM"]
        lines += [f"{_ref(r.incident):<40} {_when(_resolved_at(r.incident)):<17} "
                  f"{format_elapsed(r.incident.ttr_seconds):<14} {_postmortem(r)}" for r in board.resolved]
    if board.overdue:
        lines += ["", f"{'OVERDUE ACTION ITEM':<40} {'DUE':<11} {'OWNER':<16} TEXT"]
        lines += [f"{_ref(r.incident):<40} {r.action.due.isoformat():<11} {(r.action.owner or '-'):<16} "
                  f"{' '.join(r.action.text.split())[:80]}" for r in board.overdue]
    return "\n".join(lines) + "\n"


def _ref(incident: Incident) -> str:
    return f"{incident.repository}#{incident.number}"[:40]
