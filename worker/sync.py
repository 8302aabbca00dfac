"""Rebuilding the store from the issues (`incident-desk sync`): the issue is the source of truth."""
from __future__ import annotations

from checks import review
from forges.errors import ForgeError
from handlers.context import Context
from handlers.declare import reconcile
from incidents.links import parse_merge_request_ref
from incidents.model import Incident, Link, Status
from incidents.summary import SUMMARY_MARKER, read_summary

_RESOLVED = ("Status: resolved",)


def sync_repository(ctx: Context, repository: str) -> int:
    """Restore every incident issue of the repository (the context's); returns how many."""
    forge, store, config, labels = ctx.forge, ctx.store, ctx.config, ctx.labels
    issues = forge.list_issues(repository, labels.incident)
    for issue in issues:
        summary = forge.find_marked_comment(repository, issue.number, SUMMARY_MARKER)
        shown = read_summary(summary.body if summary else None)
        document, _ = review(issue.body, config.file)
        resolved = [e.at for e in document.timeline if e.at and (e.tag == "resolved" or e.text.startswith(_RESOLVED))]
        status = labels.status_of(issue.labels) or Status.INVESTIGATING
        incident = Incident(
            platform=forge.platform, repository=repository, number=issue.number, title=issue.title, url=issue.url,
            status=status, commander=shown.commander, operations_lead=shown.operations_lead,
            communications_lead=shown.communications_lead, reported_at=issue.created_at,
            resolved_at=min(resolved) if resolved else None,
            closed_at=issue.closed_at if issue.state == "closed" else None,
            private=labels.is_private(issue.labels, issue.confidential))
        store.save_incident(incident)
        _restore_links(ctx, repository, incident, shown.links)
        reconcile(ctx, config, issue, platform=forge.platform, declared_by=incident.commander or "")
    return len(issues)


def _restore_links(ctx: Context, repository: str, incident: Incident, found) -> None:
    """The summary's linked merge requests, read again from the forge (gone ones are skipped)."""
    for role, url in found:
        ref = parse_merge_request_ref(url, repository, ctx.forge.merge_request_syntax)
        if ref is None:
            continue
        try:
            merge_request = ctx.forge.get_merge_request(ref.repository or repository, ref.number)
        except ForgeError as exc:
            if exc.status != 404:
                raise
            continue
        ctx.store.save_link(incident, Link(merge_request.repository, merge_request.number, role, "text",
                                           merge_request.url, merge_request.title, merge_request.merged_at,
                                           merge_request.head_sha))
