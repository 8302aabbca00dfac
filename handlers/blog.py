"""Blog-post drafts on request: the CTO adds the `blog-draft` label (reference/002); the work is queued."""
from __future__ import annotations

from forges.events import ISSUE, IssueEvent
from handlers.router import Router
from incidents.lifecycle import is_incident
from worker.blog import BLOG_MARKER, QUEUED

router = Router()

NOT_AN_INCIDENT = "Blog drafts are written for incidents; this issue is not one, so nothing was queued."
NOT_ALLOWED = ("@{login}, only {who} may request blog drafts, so the `{label}` label was removed. Ask one of them, "
               "or a maintainer can allow you with `blog.allowed_users` in the config.")


def queue_draft(forge, incident, request_blog_draft) -> str:
    """Queue the draft job; the incident's blog comment says so until the job replaces it with the link."""
    job = request_blog_draft(incident)
    forge.upsert_marked_comment(incident.repository, incident.number, BLOG_MARKER,
                                QUEUED.format(marker=BLOG_MARKER, job=job))
    return job


@router.register(ISSUE, "labeled")
def request_draft_by_label(event: IssueEvent, forge, store, config, permissions, request_blog_draft):
    """The blog-draft label from an allowed person queues a draft; from anyone else it is taken off again."""
    label = forge.labels.blog_draft.lower()
    if label not in {added.lower() for added in event.labels_added}:
        return
    if not is_incident(event.labels, event.is_incident_type, forge.labels):
        forge.comment(event.repository, event.number, NOT_AN_INCIDENT)
        return
    if permissions.refusal("blog", event.actor.login, event.repository):
        blog = config.config.blog
        who = ", ".join([f"`{u}`" for u in blog.allowed_users] + [f"`{t}`" for t in blog.allowed_teams]) \
            or "repository admins"
        forge.remove_label(event.repository, event.number, forge.labels.blog_draft)
        forge.comment(event.repository, event.number,
                      NOT_ALLOWED.format(login=event.actor.login, who=who, label=forge.labels.blog_draft))
        return
    incident = store.get_incident(event.platform, event.repository, event.number)
    if incident is not None:
        queue_draft(forge, incident, request_blog_draft)
