"""Declaring incidents: the `incident` label (or GitLab's incident type) makes an issue an incident."""
from __future__ import annotations

from forges.events import ISSUE, IssueEvent
from handlers.router import Router
from incidents.lifecycle import is_incident, track
from incidents.summary import SUMMARY_MARKER, UNTRACKED_NOTE, render_summary

router = Router()


@router.register(ISSUE, "opened", "reopened", "labeled", "edited")
def keep_incident_in_shape(event: IssueEvent, forge, store):
    """An incident issue is in the store, carries a status label and has one up-to-date summary comment."""
    if not is_incident(event.labels, event.is_incident_type, forge.labels):
        return
    known = store.get_incident(event.platform, event.repository, event.number)
    incident = track(known, platform=event.platform, repository=event.repository, number=event.number,
                     title=event.title, url=event.url, labels=event.labels, declared_by=event.actor.login,
                     reported_at=event.created_at, scheme=forge.labels)
    if forge.labels.status_of(event.labels) is None:
        forge.add_labels(event.repository, event.number, [forge.labels.status(incident.status)])
    if incident != known:
        store.save_incident(incident)
    forge.upsert_marked_comment(event.repository, event.number, SUMMARY_MARKER,
                                render_summary(incident, command_prefix=forge.command_prefix))


@router.register(ISSUE, "unlabeled")
def stop_tracking(event: IssueEvent, forge, store):
    """Removing the incident label ends tracking, with a short note; the history stays in the store."""
    removed = {label.lower() for label in event.labels_removed}
    if forge.labels.incident.lower() not in removed or is_incident(event.labels, event.is_incident_type,
                                                                   forge.labels):
        return
    incident = store.get_incident(event.platform, event.repository, event.number)
    if incident is None or not incident.tracking:
        return
    store.save_incident(incident.with_changes(tracking=False))
    forge.comment(event.repository, event.number, UNTRACKED_NOTE.format(label=forge.labels.incident))
