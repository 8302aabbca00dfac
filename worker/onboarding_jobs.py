"""A repository's set-up on install (issue 19), one job per repository: its missing labels, then its onboarding
pull/merge request (`handlers.onboarding.set_up`). The installation's delivery only queues these jobs
(`worker.deferred.set_up_repository`, once per installation and repository), so a transient error retries this
repository alone, with the one retry policy, and a refusal stops no other repository."""
from __future__ import annotations

import logging

from handlers.onboarding import set_up
from incident_desk.logs import log_event
from worker.bootstrap import forge_for, open_context, runtime
from worker.deferred import forget_set_up
from worker.jobs import count_job
from worker.retry import is_transient, log_reason, retry_delay, retry_later

__all__ = ["set_up_repository"]

log = logging.getLogger("incident_desk.onboarding")


def set_up_repository(platform: str, repository: str, installation_id: int | None = None, attempt: int = 1) -> str:
    """Set the repository up; what happened to its onboarding request, or "retry scheduled". Safe to run
    twice: labels it has are skipped, the onboarding request is opened once."""
    rt = runtime()
    said = dict(platform=platform, repository=repository, installation=installation_id, attempt=attempt)
    try:
        _created, outcome = set_up(open_context(rt, forge_for(rt, platform, installation_id), repository),
                                   repository)
    except Exception as exc:
        if is_transient(exc) and attempt < rt.settings.max_attempts:
            delay = retry_delay(attempt, getattr(exc, "retry_after", None), rt.settings.retry_base_seconds)
            retry_later(rt.conn, set_up_repository, (platform, repository, installation_id), attempt, delay)
            log_event(log, **said, onboarding="retry", retry_in_s=round(delay, 2), reason=log_reason(exc))
            return "retry scheduled"
        forget_set_up(rt.conn, platform, repository, installation_id)  # a later delivery may try it again
        count_job(rt.conn, platform, "set-up", "failed")
        log_event(log, **said, onboarding="failed", reason=log_reason(exc))
        raise  # in RQ's failed registry with this reason (an empty repository has no branch to start from, say)
    count_job(rt.conn, platform, "set-up", outcome)
    return outcome
