"""Blog-post drafts on request: the CTO adds the `blog-draft` label (reference/002); the work is queued."""
from __future__ import annotations

from forges.events import ISSUE, IssueEvent
from handlers.context import Context
from handlers.router import Router
from incidents.lifecycle import is_incident

router = Router()

# The incident's one blog comment: "queued" here, replaced by the draft job (worker.blog) with the outcome.
BLOG_MARKER = "<!-- incident-desk:blog -->"
QUEUED = "{marker}\nDrafting the public write-up of this incident… <!-- job: {job} -->"

NOT_AN_INCIDENT = "Blog drafts are written for incidents; this issue is not one, so nothing was queued."
NOT_ALLOWED = ("@{login}, only {who} may request blog drafts, so the `{label}` label was removed. Ask one of them, "
               "or a maintainer can allow you with `blog.allowed_users` in the config.")


def queue_draft(ctx: Context, incident) -> str:
    """Queue the draft job; the incident's blog comment says so until the job replaces it with the link."""
    job = ctx.jobs.request_blog_draft(incident)
    ctx.forge.upsert_marked_comment(incident.repository, incident.number, BLOG_MARKER,
                                QUEUED.format(marker=BLOG_MARKER, job=job))
    return job


@router.register(ISSUE, "labeled")
def request_draft_by_label(event: IssueEvent, ctx: Context) -> None:
    """The blog-draft label from an allowed person queues a draft; from anyone else it is taken off again."""
    forge, labels = ctx.forge, ctx.labels
    if labels.blog_draft.lower() not in {added.lower() for added in event.labels_added}:
        return
    if not is_incident(event.labels, event.is_incident_type, labels):
        forge.comment(event.repository, event.number, NOT_AN_INCIDENT)
        return
    if ctx.permissions.refusal("blog", event.actor.login, event.repository):
        blog = ctx.config.file.blog
        who = ", ".join([f"`{u}`" for u in blog.allowed_users] + [f"`{t}`" for t in blog.allowed_teams]) \
            or "repository admins"
        forge.remove_label(event.repository, event.number, labels.blog_draft)
        forge.comment(event.repository, event.number,
                      NOT_ALLOWED.format(login=event.actor.login, who=who, label=labels.blog_draft))
        return
    incident = ctx.store.get_incident(event.platform, event.repository, event.number)
    if incident is not None:
        queue_draft(ctx, incident)
