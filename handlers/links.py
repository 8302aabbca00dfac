"""Merge requests that caused and fixed incidents (reference/000): linked from their text or by command."""
from __future__ import annotations

from forges.events import MERGE_REQUEST, MergeRequestEvent
from handlers.context import Context
from handlers.declare import reconcile, record_in_timeline
from handlers.router import Router
from incidents.links import incident_references, strongest_role
from incidents.model import Link
from incidents.text import escape

router = Router()

LINK_MARKER = "<!-- incident-desk:link -->"
LINK_COMMENT = "{marker}\nIncident Desk linked this {kind} to:\n\n{items}\n"
MERGED_ENTRY = "{role} merged: {ref} {title}"
COMMITS = "commits"  # a link's source when a commit message references the incident
ROLE_WORDS = {"cause": "the cause of", "fix": "the fix of", "related": "related to"}


@router.register(MERGE_REQUEST, "opened", "edited", "merged", "closed", "reopened")
def link_merge_request(event: MergeRequestEvent, ctx: Context) -> None:
    """A merge request whose title, description or commits reference incidents is linked to them, gets
    one comment linking back, and its merge goes into their timelines; removing the reference unlinks."""
    forge, store = ctx.forge, ctx.store
    messages = event.commit_messages
    if event.commits_changed:  # the API budget: the commits are read only when they can have changed
        messages = tuple(forge.merge_request_commit_messages(event.repository, event.number))
    wanted = referenced_incidents(event, forge, store, messages)
    linked = store.incidents_linked_to(event.platform, event.repository, event.number)
    if not event.commits_changed:  # commits not read this time: what they said still holds
        for incident, link in linked:
            key = (incident.repository, incident.number)
            if link.source == COMMITS:
                role = strongest_role(link.role, wanted[key][1]) if key in wanted else link.role
                wanted[key] = (incident, role, COMMITS)
    touched = []
    for incident, link in linked:
        if link.source != "command" and (incident.repository, incident.number) not in wanted:
            store.remove_link(incident, event.repository, event.number)
            touched.append(incident)
    merged_at = event.merged_at
    if event.merged and merged_at is None:  # GitLab's hook has no merge time; the API has it
        merged_at = forge.get_merge_request(event.repository, event.number).merged_at
    for incident, role, source in wanted.values():
        known = {(l.repository, l.number): l for l in store.links(incident)}.get((event.repository, event.number))
        if known is not None and known.source == "command":
            role, source = known.role, known.source  # an explicit /caused-by or /fixed-by wins over the text
        link = Link(event.repository, event.number, role, source, event.url,
                    event.title, merged_at, event.head_sha, known.check_state if known else None)
        store.save_link(incident, link)
        if merged_at:
            note_merge(forge, ctx.config_for(incident.repository), incident, link)
        touched.append(incident)
    for incident in {(i.repository, i.number): i for i in touched}.values():
        config = ctx.config_for(incident.repository)  # the incident's own label names, not the merge request's
        reconcile(ctx, config, forge.get_issue(incident.repository, incident.number),
                  platform=incident.platform, declared_by=incident.commander or "")
    if wanted:
        items = "\n".join(f"- {ROLE_WORDS[role]} incident {i.repository}#{i.number}: {escape(i.title, 150)}"
                          for i, role, _ in wanted.values())
        kind = forge.merge_request_noun
        forge.upsert_marked_comment(event.repository, event.number, LINK_MARKER,
                                    LINK_COMMENT.format(marker=LINK_MARKER, kind=kind, items=items),
                                    merge_request=True)


def referenced_incidents(event: MergeRequestEvent, forge, store, messages) -> dict:
    """Tracked incidents the text and commit messages reference: (repository, number) -> (incident, role, source),
    the source being `commits` when a commit message says it (so an edit of the text keeps it)."""
    def key(ref):
        return ((ref.repository or event.repository).lower(), ref.number)
    in_commits = {key(ref) for ref in incident_references("", "", messages, event.repository)}
    wanted = {}
    for ref in incident_references(event.title, event.body, messages, event.repository):
        if ref.host and ref.host != forge.web_host:
            continue  # an issue on another forge: not one of ours
        incident = store.get_incident(event.platform, ref.repository or event.repository, ref.number)
        if incident is not None and incident.tracking:
            source = COMMITS if key(ref) in in_commits else "text"
            wanted[(incident.repository, incident.number)] = (incident, ref.role, source)
    return wanted


def note_merge(forge, config, incident, link: Link) -> None:
    """The merge of a linked merge request, in the incident's timeline at the merge time (once)."""
    ref = forge.merge_request_ref(link.repository, link.number, incident.repository)
    record_in_timeline(forge, config, incident.repository, incident.number,
                       MERGED_ENTRY.format(role=link.role.capitalize(), ref=ref, title=link.title)[:300],
                       once=True, at=link.merged_at)
