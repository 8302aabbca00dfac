"""Rebuilding the store from the issues (`incident-desk sync`): the issue is the source of truth."""
from __future__ import annotations

from forges.errors import ForgeError
from handlers.declare import reconcile
from incidents.links import parse_merge_request_ref
from incidents.model import Incident, Link, Status
from incidents.summary import SUMMARY_MARKER, read_summary

_RESOLVED = ("Status: resolved",)


def sync_repository(forge, store, config, repository: str) -> int:
    """Restore every incident issue of the repository; returns how many."""
    from checks import review

    issues = forge.list_issues(repository, forge.labels.incident)
    for issue in issues:
        summary = forge.find_marked_comment(repository, issue.number, SUMMARY_MARKER)
        shown = read_summary(summary.body if summary else None)
        document, _ = review(issue.body, config.config)
        resolved = [e.at for e in document.timeline if e.at and (e.tag == "resolved" or e.text.startswith(_RESOLVED))]
        status = forge.labels.status_of(issue.labels) or Status.INVESTIGATING
        incident = Incident(
            platform=forge.platform, repository=repository, number=issue.number, title=issue.title, url=issue.url,
            status=status, commander=shown.commander, operations_lead=shown.operations_lead,
            communications_lead=shown.communications_lead, reported_at=issue.created_at,
            resolved_at=min(resolved) if resolved else None,
            closed_at=issue.closed_at if issue.state == "closed" else None,
            private=issue.confidential or forge.labels.private.lower() in {label.lower() for label in issue.labels})
        store.save_incident(incident)
        for role, url in shown.links:
            ref = parse_merge_request_ref(url, repository, forge.merge_request_syntax)
            if ref is None:
                continue
            try:
                merge_request = forge.get_merge_request(ref.repository or repository, ref.number)
            except ForgeError as exc:
                if exc.status != 404:
                    raise
                continue
            store.save_link(incident, Link(merge_request.repository, merge_request.number, role, "text",
                                           merge_request.url, merge_request.title, merge_request.merged_at,
                                           merge_request.head_sha))
        reconcile(forge, store, config, issue, platform=forge.platform, declared_by=incident.commander or "")
    return len(issues)
