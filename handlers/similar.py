"""Similar past incidents on every reconcile (issue 18): the store's incidents of the repository group compared with
the issue (incidents.similar), and the Recurrence check's warning when the document names none of them."""
from __future__ import annotations

from checks.rules import Finding, recurrence_findings
from forges.base import Issue
from handlers.context import Context
from incidents.document import IncidentDocument
from incidents.lifecycle import declared_in_form
from incidents.model import Incident
from incidents.repository_config import RepositoryConfig
from incidents.similar import Similar, Subject, eligible, find_similar, repository_group


def look_back(ctx: Context, config: RepositoryConfig, issue: Issue, platform: str, document: IncidentDocument,
              findings: list[Finding], known: Incident | None) -> tuple[tuple[Similar, ...], list[Finding]]:
    """The similar past incidents of the issue's repository group, and `findings` with the recurrence warning;
    `known` is the stored incident (None when new)."""
    subject = Subject(title=issue.title, taxonomy=document.taxonomy.terms if document.taxonomy else (),
                      components=_components(config, issue, document, known), root_cause=document.root_cause)
    key = (platform, issue.repository, issue.number)
    private = config.labels.is_private(issue.labels, issue.confidential)
    reported_at = known.reported_at if known is not None else None
    candidates = [past for past in ctx.store.group_incidents(platform, repository_group(issue.repository))
                  if eligible(past, key, private, reported_at)]
    similar = find_similar(subject, candidates)
    return similar, recurrence_findings(document, config.file.get_profile(), findings, similar, issue.repository)


def _components(config: RepositoryConfig, issue: Issue, document: IncidentDocument,
                known: Incident | None) -> tuple[str, ...]:
    """The components as reconciling will see them: labels first, then the store's, then the form's."""
    return config.labels.components_of(issue.labels) or (known.components if known else ()) \
        or declared_in_form(document)[1]
