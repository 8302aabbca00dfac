"""From install to first incident (issue 19): labels on install and one onboarding pull/merge request per
repository (one job per repository, `worker.onboarding_jobs`), and the config re-read as soon as a push to the
default branch changes it."""
from __future__ import annotations

import logging

from forges.base import Forge
from forges.events import INSTALLATION, MERGE_REQUEST, PUSH, InstallationEvent, MergeRequestEvent, PushEvent
from handlers.context import Context
from handlers.router import Router
from incident_desk.logs import log_event
from incidents.label_catalog import product_labels
from incidents.model import Severity, Status
from incidents.repository_config import RepositoryConfig
from issue_templates.render import onboarding_files
from store.onboarding import DECLINED, MERGED, OPENED, Onboarding

router = Router()
log = logging.getLogger("incident_desk.onboarding")

ONBOARDING_BRANCH = "incident-desk/onboarding"
TITLE = "Set up Incident Desk"
COMMIT = "Incident Desk: the incident issue template and a commented config"
BODY = """Incident Desk is installed on this repository. Merging this {noun} adds:

{files}

What the bot will do here, once merged:

- **An issue labelled `{incident}` is an incident** (opening one from the new template labels it). The bot keeps
  one summary comment on it up to date: status, severity, commander, the timeline and what the postmortem still
  misses.
- **Commands in comments run the incident**: `{p}status identified`, `{p}severity major-outage`,
  `{p}commander @alice`, `{p}timeline …`, `{p}action …` — `{p}help` lists them. Each is answered in one reply.
- **Labels show the state**: `{status}`, `{severity}`, `{postmortem}` and the others it created on install.
- **The commander is reminded** to post an update while the incident is unresolved, and after it is resolved,
  action items past due and an unwritten postmortem are nudged.
- **Nothing is published** (status page, chat, blog) unless the config file turns it on.

The config file is every setting commented out at its default; a change applies as soon as it is pushed to
the default branch. Not now? Close this {noun} unmerged: the bot will not open it again, and still works with
the defaults here.
"""


def ensure_labels(forge: Forge, repository: str, config: RepositoryConfig) -> list[str]:
    """Create every label the product uses that the repository lacks, with its colour and description; a
    label a team already has (any case) is never renamed or recoloured. Returns the names created."""
    existing = {name.lower() for name in forge.list_labels(repository)}
    created = []
    for spec in product_labels(config.labels, config.file.components):
        if spec.name.lower() in existing:
            continue
        if forge.create_label(repository, spec.name, spec.colour, spec.description):
            created.append(spec.name)
    return created


def open_onboarding(ctx: Context, repository: str, config: RepositoryConfig) -> str:
    """The repository's one onboarding pull/merge request: never a second, none where a config file is or
    after it was declined, none when the deployment turned onboarding off. Returns what happened."""
    forge, platform = ctx.forge, ctx.forge.platform
    if not ctx.onboarding:
        return "off"
    known = ctx.store.onboarding(platform, repository)
    if known is not None:
        return f"already {known.state}"
    if forge.read_file(repository, config.path) is not None:
        return "configured"
    found = forge.find_merge_request(repository, ONBOARDING_BRANCH)
    if found is None:
        found = _open(forge, repository, config)
    ctx.store.record_onboarding(Onboarding(platform, repository, OPENED, found.number, found.url))
    return "opened"


def _open(forge: Forge, repository: str, config: RepositoryConfig):
    base = forge.default_branch(repository)
    files = onboarding_files(forge.platform, config.path, config.file.components, config.labels.incident)
    added = [path for path in files if forge.read_file(repository, path) is None]  # a team's own template stays
    forge.ensure_branch(repository, ONBOARDING_BRANCH, base)
    for path in added:
        forge.put_file(repository, ONBOARDING_BRANCH, path, files[path], COMMIT)
    labels = config.labels
    body = BODY.format(noun=forge.merge_request_noun, p=forge.command_prefix,
                       files="\n".join(f"- `{path}`" for path in added),
                       incident=labels.incident, status=labels.status(Status.INVESTIGATING),
                       severity=labels.severity(Severity.MAJOR_OUTAGE), postmortem=labels.postmortem_incomplete)
    return forge.open_merge_request(repository, ONBOARDING_BRANCH, base, TITLE, body)


def set_up(ctx: Context, repository: str) -> tuple[list[str], str]:
    """A repository the bot was just given (the App installed, `setup gitlab`): its labels, then its onboarding
    pull/merge request. Returns the labels created and what happened to the onboarding request."""
    config = ctx.config_for(repository)
    created = ensure_labels(ctx.forge, repository, config)
    outcome = open_onboarding(ctx, repository, config)
    log_event(log, platform=ctx.forge.platform, repository=repository, labels_created=len(created),
              onboarding=outcome)
    return created, outcome


@router.register(INSTALLATION, "added")
def set_up_repositories(event: InstallationEvent, ctx: Context) -> None:
    """The repositories the App was just given: one set-up job each (`set_up`, on the queue), so one repository's
    retry or refusal is its own and an installation of hundreds is not one long job. A redelivered event queues
    nothing new: a repository's set-up is asked for once per installation."""
    queued = sum(ctx.jobs.set_up_repository(event.platform, repository, event.installation_id)
                 for repository in event.repositories)
    log_event(log, platform=event.platform, installation=event.installation_id,
              repositories=len(event.repositories), set_up_queued=queued)


@router.register(MERGE_REQUEST, "closed", "merged")
def remember_onboarding_answer(event: MergeRequestEvent, ctx: Context) -> None:
    """The onboarding pull/merge request closed unmerged is "no thanks", remembered so it is never reopened;
    merged, it is done."""
    if event.source_branch != ONBOARDING_BRANCH:
        return
    known = ctx.store.onboarding(event.platform, event.repository)
    if known is None or known.number != event.number:
        return  # someone else's branch of that name
    state = MERGED if event.merged else DECLINED
    ctx.store.record_onboarding(Onboarding(event.platform, event.repository, state, known.number, known.url))


@router.register(PUSH, "pushed")
def refresh_config_on_push(event: PushEvent, ctx: Context) -> None:
    """A push to the default branch that touches the config file (or may: more commits than the forge lists)
    drops the cached config, so the next event applies the new file and warns once if it has problems."""
    if event.deleted or not event.branch or event.branch != event.default_branch:
        return
    if event.all_listed and ctx.config.path not in event.paths:
        return
    ctx.forget_config(event.repository)
