"""Merge requests that caused and fixed incidents (reference/000): linked from their text or by command."""
from __future__ import annotations

from forges.events import MERGE_REQUEST, MergeRequestEvent
from handlers.context import Context
from handlers.declare import reconcile, record_in_timeline
from handlers.router import Router
from incidents.linking import LINK_MARKER, LinkPlan, merge_note, plan_links, references_to_look_up
from incidents.model import Incident, Link

router = Router()

__all__ = ["link_merge_request", "note_merge", "router"]


@router.register(MERGE_REQUEST, "opened", "edited", "merged", "closed", "reopened")
def link_merge_request(event: MergeRequestEvent, ctx: Context) -> None:
    """A merge request whose title, description or commits reference incidents is linked to them, gets
    one comment linking back, and its merge goes into their timelines; removing the reference unlinks.
    What changes is computed by incidents.linking.plan_links; this reads what it needs and applies it."""
    forge, store = ctx.forge, ctx.store
    messages = event.commit_messages
    if event.commits_changed:  # the API budget: the commits are read only when they can have changed
        messages = tuple(forge.merge_request_commit_messages(event.repository, event.number))
    references = references_to_look_up(event.title, event.body, messages, event.repository, forge.web_host)
    found = [(ref, store.get_incident(event.platform, ref.repository, ref.number)) for ref in references]
    linked = store.incidents_linked_to(event.platform, event.repository, event.number)
    merged_at = event.merged_at
    if event.merged and merged_at is None:  # GitLab's hook has no merge time; the API has it
        merged_at = forge.get_merge_request(event.repository, event.number).merged_at
    apply_link_plan(ctx, event, plan_links(event, found, linked, merged_at=merged_at,
                                           syntax=forge.merge_request_syntax))


def apply_link_plan(ctx: Context, event: MergeRequestEvent, plan: LinkPlan) -> None:
    """The plan's writes, in order: unlink, link (with the merge in the timeline), reconcile, comment back."""
    forge, store = ctx.forge, ctx.store
    for incident in plan.unlink:
        store.remove_link(incident, event.repository, event.number)
    for change in plan.save:
        store.save_link(change.incident, change.link)
        if change.merge_note:  # merged: into the incident's timeline at the merge time (once)
            record_in_timeline(forge, ctx.config_for(change.incident.repository), change.incident.repository,
                               change.incident.number, change.merge_note, once=True, at=change.link.merged_at)
    for incident in plan.reconcile:
        config = ctx.config_for(incident.repository)  # the incident's own label names, not the merge request's
        reconcile(ctx, config, forge.get_issue(incident.repository, incident.number),
                  platform=incident.platform, declared_by=incident.commander or "")
    if plan.comment:
        forge.upsert_marked_comment(event.repository, event.number, LINK_MARKER, plan.comment, merge_request=True)


def note_merge(forge, config, incident: Incident, link: Link) -> None:
    """The merge of a linked merge request, in the incident's timeline at the merge time (once)."""
    record_in_timeline(forge, config, incident.repository, incident.number,
                       merge_note(incident, link, forge.merge_request_syntax), once=True, at=link.merged_at)
