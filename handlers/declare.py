"""Declaring and keeping incidents: the `incident` label (or GitLab's incident type) makes an issue an
incident, and every change to it is reflected in its labels, the store and one summary comment."""
from __future__ import annotations

from checks import review
from forges.events import ISSUE, IssueEvent
from handlers.router import Router
from incidents.lifecycle import declared_in_form, is_incident, label_changes, track
from incidents.summary import SUMMARY_MARKER, UNTRACKED_NOTE, render_config_errors, render_summary

router = Router()


@router.register(ISSUE, "opened", "reopened", "labeled", "unlabeled", "edited")
def keep_incident_in_shape(event: IssueEvent, forge, store, config):
    """An incident issue is in the store, labelled with its state and postmortem state, and has one
    summary comment showing its postmortem's findings. An unchanged issue costs no write."""
    if not is_incident(event.labels, event.is_incident_type, forge.labels):
        return
    document, findings = review(event.body, config.config)
    known = store.get_incident(event.platform, event.repository, event.number)
    incident = track(known, platform=event.platform, repository=event.repository, number=event.number,
                     title=event.title, url=event.url, labels=event.labels, declared_by=event.actor.login,
                     reported_at=event.created_at, scheme=forge.labels, form=declared_in_form(document),
                     labels_added=event.labels_added)
    complete = not any(f.severity == "error" for f in findings)
    add, remove = label_changes(event.labels, incident, complete, forge.labels)
    if add:
        forge.add_labels(event.repository, event.number, add)
    for label in remove:
        forge.remove_label(event.repository, event.number, label)
    if incident != known:
        store.save_incident(incident)
    forge.upsert_marked_comment(event.repository, event.number, SUMMARY_MARKER,
                                render_summary(incident, findings, forge.command_prefix))
    if config.errors and config.claim_warning():
        forge.comment(event.repository, event.number, render_config_errors(config.path, config.errors))


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
