"""Keep an incident open until every action item is done (reference/002); follow-ups closing tick the items."""
from __future__ import annotations

from datetime import UTC, datetime

from checks import review
from forges.errors import ForgeError
from forges.events import ISSUE, IssueEvent
from handlers.chat_follow import queue_follow
from handlers.context import Context
from handlers.declare import reconcile
from handlers.publication import closed_without_resolving
from handlers.router import Router
from incidents import action_edits
from incidents.action_items import issue_key
from incidents.model import Status
from incidents.repository_config import RepositoryConfig
from incidents.text import escape, truncate_lines

router = Router()

REOPENED = ("Reopened: this incident stays open until every action item is done. Still open:\n\n{items}\n\n"
            "Close the follow-ups or tick the items; a maintainer can close anyway with "
            "`{prefix}close --force <reason>`.")
ALL_DONE = "Every action item of this incident is done."
ALL_DONE_CLOSING = ALL_DONE + " Closing it, as `close_when_actions_done` asks."


def open_actions(forge, document, home_repository: str) -> list:
    """Action items neither ticked nor linked to a closed issue (follow-ups are re-read: they may live
    where the bot gets no hooks)."""
    still_open = []
    for action in document.actions:
        if action.done:
            continue
        key = issue_key(action.linked_issue, home_repository) if action.linked_issue else None
        if key and key[0]:
            try:
                if forge.get_issue(key[0], key[1]).state == "closed":
                    continue
            except ForgeError as exc:
                if exc.status not in (403, 404):
                    raise  # transient: retried; unreadable issues count as open
        still_open.append(action)
    return still_open


@router.register(ISSUE, "closed")
def keep_open_until_actions_done(event: IssueEvent, ctx: Context) -> None:
    """Closing an incident with open action items reopens it and lists them with their owners."""
    forge, store = ctx.forge, ctx.store
    incident = store.get_incident(event.platform, event.repository, event.number)
    if incident is None or not incident.tracking or ctx.issue_now(event).state != "closed":
        return  # not an incident, or reopened since (deliveries of a quick close and reopen can swap)
    now = datetime.now(UTC)
    if incident.forced_close:
        closed = incident.with_changes(closed_at=incident.closed_at or now)
        store.save_incident(closed)
        queue_follow(ctx, closed, ctx.issue(event))
        ctx.jobs.refresh_board(closed)
        return
    document, _ = review(ctx.issue(event).body, ctx.config.file)
    remaining = open_actions(forge, document, event.repository)
    if remaining:
        forge.edit_issue(event.repository, event.number, state="open")
        items = truncate_lines([f"- [ ] {escape(a.text, 200)} (owner: {'@' + a.owner if a.owner else 'nobody'})"
                                for a in remaining], 30)
        forge.comment(event.repository, event.number,
                      REOPENED.format(items="\n".join(items), prefix=forge.command_prefix))
        return
    # A forge auto-close does not resolve, but an unresolved incident closed with nothing open is over.
    changes = {"closed_at": now}
    if incident.resolved_at is None:
        changes["resolved_at"] = now
    closed = incident.with_changes(**changes)
    store.save_incident(closed)
    if incident.status is not Status.RESOLVED:  # the public page must not show it ongoing forever
        closed_without_resolving(store, incident, f"delivery-{event.delivery_id}:closed", ctx.jobs.announce, now)
    queue_follow(ctx, closed, ctx.issue(event), document)
    ctx.jobs.refresh_board(closed)  # closing does not reconcile: the board leaves it out all the same


@router.register(ISSUE, "closed")
def tick_follow_up_actions(event: IssueEvent, ctx: Context) -> None:
    """A closed follow-up issue ticks its action item in every incident that links it."""
    for incident in ctx.store.incidents_following(event.platform, event.repository, event.number):
        # The follow-up may live in a repository with other label names; the incident keeps its own.
        tick_follow_up(ctx, ctx.config_for(incident.repository), incident, f"{event.repository}#{event.number}")


def tick_follow_up(ctx: Context, config: RepositoryConfig, incident, ref: str) -> None:
    """Tick the action item linked to `ref` (`config` is the incident repository's); when it was the last
    open one, say so (and close if asked)."""
    forge, store = ctx.forge, ctx.store
    profile = config.file.get_profile()
    before = forge.get_issue(incident.repository, incident.number)
    body = forge.edit_body(incident.repository, incident.number, lambda text: action_edits.tick_actions(
        text, profile, ref, home_repository=incident.repository))
    document, _ = review(body, config.file)
    if body == before.body or open_actions(forge, document, incident.repository):
        return
    closing = config.file.close_when_actions_done and incident.status is Status.RESOLVED
    forge.comment(incident.repository, incident.number, ALL_DONE_CLOSING if closing else ALL_DONE)
    if closing:
        forge.edit_issue(incident.repository, incident.number, state="closed")
        store.save_incident(incident.with_changes(closed_at=datetime.now(UTC)))
    reconcile(ctx, config, forge.get_issue(incident.repository, incident.number),
              platform=incident.platform, declared_by=incident.commander or "")


def tick_closed_follow_ups(ctx: Context, config: RepositoryConfig, incident) -> None:
    """Re-read the linked follow-ups and tick the closed ones: repositories without the bot send no hooks."""
    forge = ctx.forge
    document, _ = review(forge.get_issue(incident.repository, incident.number).body, config.file)
    for action in document.actions:
        key = issue_key(action.linked_issue, incident.repository) if action.linked_issue else None
        if action.done or not key or not key[0]:
            continue
        try:
            closed = forge.get_issue(key[0], key[1]).state == "closed"
        except ForgeError as exc:
            if exc.status not in (403, 404):
                raise
            continue
        if closed:
            tick_follow_up(ctx, config, incident, f"{key[0]}#{key[1]}")
