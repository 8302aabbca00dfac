"""Blog-post drafts of a postmortem (reference/002), made on the queue: render, then deliver as a draft PR/MR."""
from __future__ import annotations

import logging
from dataclasses import replace

from forges.errors import ForgeError, TransientForgeError
from handlers.blog import BLOG_MARKER
from incident_desk.logs import log_event
from issue_templates.blog import BlogTemplateError
from worker.bootstrap import Runtime, forge_for, open_context, runtime
from worker.jobs import count_job
from worker.retry import is_transient, retry_delay, retry_later

__all__ = ["draft_blog_post"]

log = logging.getLogger("incident_desk.blog")

DRAFTED = "{marker}\nBlog draft: {url} <!-- job: {job} -->"
IN_COMMENT = ("{marker}\nHere is the blog draft (set `blog.repository` and `blog.path` in the config to get it "
              "as a draft pull/merge request instead). <!-- job: {job} -->\n\n"
              "<details><summary>{path}</summary>\n\n````markdown\n{text}\n````\n\n</details>\n")
FAILED = "{marker}\nThe blog draft could not be made: {reason} <!-- job: {job} -->"
PRIVATE = "{marker}\nThis incident is confidential, so it gets no public blog draft."
PR_BODY = ("Draft write-up of incident {incident} ({url}), made by Incident Desk.\n\n"
           "Edit it here; requesting the draft again updates this branch.")


def draft_blog_post(platform: str, repository: str, number: int, installation_id: int | None = None,
                    attempt: int = 1) -> str:
    """Render the incident's public write-up and open or update its draft; retried on transient errors."""
    rt = runtime()
    forge = forge_for(rt, platform, installation_id)
    job = _job_id()
    say = lambda text: forge.upsert_marked_comment(repository, number, BLOG_MARKER, text)  # noqa: E731
    try:
        outcome = _draft(rt, forge, repository, number, say, job)
    except Exception as exc:
        if not is_transient(exc):
            if isinstance(exc, (BlogTemplateError, ForgeError)):
                say(FAILED.format(marker=BLOG_MARKER, reason=str(exc), job=job))
            raise
        if attempt >= rt.settings.max_attempts:
            reason = exc if isinstance(exc, TransientForgeError) else "the database was unavailable"
            say(FAILED.format(marker=BLOG_MARKER, reason=f"{reason} (after {attempt} tries)", job=job))
            raise
        retry_later(rt.conn, draft_blog_post, (platform, repository, number, installation_id), attempt,
                    retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds))
        return "retry scheduled"
    if outcome != "confidential":
        count_job(rt.conn, platform, "blog", outcome)
        log_event(log, platform=platform, repository=repository, number=number, outcome=outcome, job=job)
    return outcome


def _draft(rt: Runtime, forge, repository: str, number: int, say, job: str) -> str:
    """Draft the post of a tracked, public incident: in a comment, or as a draft merge request."""
    ctx = open_context(rt, forge, repository)
    config = ctx.config.file
    issue = forge.get_issue(repository, number)
    if ctx.labels.is_private(issue.labels, issue.confidential):
        say(PRIVATE.format(marker=BLOG_MARKER))
        return "confidential"
    incident = rt.store.get_incident(forge.platform, repository, number)
    if incident is None:
        raise ForgeError(f"{repository}#{number} is not a tracked incident")
    post, text = _render(forge, rt.store, config, incident, issue)
    if not config.blog.repository:
        say(IN_COMMENT.format(marker=BLOG_MARKER, job=job, path=post.slug + ".md", text=text))
        return "commented"
    url = _deliver(forge, rt.store, config, incident, post, text)
    say(DRAFTED.format(marker=BLOG_MARKER, url=url, job=job))
    return "drafted"


def _render(forge, store, config, incident, issue):
    from incidents.action_items import issue_key
    from incidents.document import parse_document
    from incidents.metrics import incident_metrics
    from issue_templates.blog import render_blog_post
    from issue_templates.blog_context import blog_context

    profile = config.get_profile()
    document = parse_document(issue.body, profile, config.timezone)
    links = store.links(incident)
    metrics = incident_metrics(incident, links, document.timeline)

    def issue_url_of(ref: str) -> str | None:
        key = issue_key(ref, incident.repository)
        return forge.issue_url(key[0], key[1]) if key and key[0] else (ref if ref.startswith("http") else None)

    template = forge.read_file(incident.repository, config.blog.template) if config.blog.template else None
    post = render_blog_post(blog_context(incident, document, links, metrics, issue_url_of=issue_url_of), template)
    return post, post.text


def _deliver(forge, store, config, incident, post, text) -> str:
    """Branch, file and draft PR/MR in the blog repository; every step is safe to repeat."""
    from incidents.model import BlogDraft
    from issue_templates.blog import draft_path

    draft = store.blog_draft(incident) or BlogDraft(
        repository=config.blog.repository, path=draft_path(config.blog.path, post),
        branch=f"incident-desk/postmortem-{incident.number}")
    base = forge.default_branch(draft.repository)
    forge.ensure_branch(draft.repository, draft.branch, base)
    forge.put_file(draft.repository, draft.branch, draft.path, text,
                   f"Postmortem draft for {incident.repository}#{incident.number}")
    merge_request = forge.find_merge_request(draft.repository, draft.branch) or forge.open_draft_merge_request(
        draft.repository, draft.branch, base, f"Postmortem: {incident.title}",
        PR_BODY.format(incident=f"{incident.repository}#{incident.number}", url=incident.url))
    store.save_blog_draft(incident, replace(draft, merge_request=merge_request.number, url=merge_request.url))
    return merge_request.url


def _job_id() -> str:
    from rq import get_current_job

    job = get_current_job()
    return job.id if job else "-"
