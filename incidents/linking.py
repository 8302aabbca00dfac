"""What a merge request event should change in its links to incidents (compute, then act).

Two steps around the store's answers, so the handler only reads and writes:

1. `references_to_look_up`: which incidents the title, description and commit messages point at
   (on this forge), each with its role and whether a commit message says it.
2. `plan_links`: given the incidents those references found and the links the merge request already
   has, a `LinkPlan`: links to remove and save, the merge notes for the timelines, the incidents to
   reconcile and the one comment linking back. `handlers/links.py` applies it.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from incidents.forge_facts import MergeRequestSyntax
from incidents.links import incident_references, on_this_forge, strongest_role
from incidents.model import Incident, Link
from incidents.text import escape

LINK_MARKER = "<!-- incident-desk:link -->"
LINK_COMMENT = "{marker}\nIncident Desk linked this {kind} to:\n\n{items}\n"
MERGED_ENTRY = "{role} merged: {ref} {title}"
COMMITS = "commits"  # a link's source when a commit message references the incident
TEXT = "text"  # ... when the title or description does
COMMAND = "command"  # ... when `/caused-by` or `/fixed-by` made it: the text never overrides it
ROLE_WORDS = {"cause": "the cause of", "fix": "the fix of", "related": "related to"}


class MergeRequestLike(Protocol):
    """What linking reads of a merge request event (forges.events.MergeRequestEvent)."""

    @property
    def repository(self) -> str: ...
    @property
    def number(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def head_sha(self) -> str | None: ...
    @property
    def commits_changed(self) -> bool: ...


@dataclass(frozen=True)
class Reference:
    """An incident a merge request points at: where to look it up, in which role, and from where."""

    repository: str
    number: int
    role: str  # fix | cause | related
    source: str  # text | commits


@dataclass(frozen=True)
class LinkChange:
    """A link to save for an incident, and the timeline entry its merge gets (None: not merged)."""

    incident: Incident
    link: Link
    merge_note: str | None = None


@dataclass(frozen=True)
class LinkPlan:
    """Everything a merge request event changes, in the order the handler applies it."""

    unlink: tuple[Incident, ...] = ()  # incidents whose link to this merge request goes
    save: tuple[LinkChange, ...] = ()
    reconcile: tuple[Incident, ...] = ()  # each touched incident once: its summary and metrics follow
    comment: str | None = None  # the merge request's back-link comment (starts with LINK_MARKER)


def references_to_look_up(title: str, body: str, messages: Sequence[str], home: str,
                          web_host: str) -> list[Reference]:
    """The incidents the text and commit messages reference on this forge (a URL to another forge's issue
    is not one of ours), the source being `commits` when a commit message says it."""
    def key(ref):
        return ((ref.repository or home).lower(), ref.number)
    in_commits = {key(ref) for ref in incident_references("", "", messages, home)}
    return [Reference(ref.repository or home, ref.number, ref.role, COMMITS if key(ref) in in_commits else TEXT)
            for ref in incident_references(title, body, messages, home)
            if on_this_forge(ref.host, web_host)]


def plan_links(merge_request: MergeRequestLike, found: Sequence[tuple[Reference, Incident | None]],
               linked: Sequence[tuple[Incident, Link]], *, merged_at: datetime | None,
               syntax: MergeRequestSyntax) -> LinkPlan:
    """Link the merge request to the tracked incidents its references found; unlink those it no longer
    references (never a link made by command); note a merge in the incidents' timelines.

    `found` pairs each reference with the stored incident (None when there is none); `linked` is what
    the store links to this merge request now; `merged_at` its merge time (None: not merged).
    """
    wanted = _wanted(merge_request, found, linked)
    unlink = tuple(incident for incident, link in linked
                   if link.source != COMMAND and (incident.repository, incident.number) not in wanted)
    stored = {(incident.repository, incident.number): link for incident, link in linked}
    save = tuple(_link_change(merge_request, incident, role, source, stored.get(key), merged_at, syntax)
                 for key, (incident, role, source) in wanted.items())
    touched = [*unlink, *(change.incident for change in save)]
    return LinkPlan(unlink=unlink, save=save,
                    reconcile=tuple({(i.repository, i.number): i for i in touched}.values()),
                    comment=back_link_comment(wanted.values(), syntax.noun) if wanted else None)


def _wanted(merge_request: MergeRequestLike, found: Sequence[tuple[Reference, Incident | None]],
            linked: Sequence[tuple[Incident, Link]]) -> dict[tuple[str, int], tuple[Incident, str, str]]:
    """(repository, number) -> (incident, role, source) of every incident the merge request should link."""
    wanted = {(incident.repository, incident.number): (incident, ref.role, ref.source)
              for ref, incident in found if incident is not None and incident.tracking}
    if not merge_request.commits_changed:  # commits not read this time: what they said still holds
        for incident, link in linked:
            key = (incident.repository, incident.number)
            if link.source == COMMITS:
                role = strongest_role(link.role, wanted[key][1]) if key in wanted else link.role
                wanted[key] = (incident, role, COMMITS)
    return wanted


def _link_change(merge_request: MergeRequestLike, incident: Incident, role: str, source: str,
                 known: Link | None, merged_at: datetime | None, syntax: MergeRequestSyntax) -> LinkChange:
    if known is not None and known.source == COMMAND:
        role, source = known.role, known.source  # an explicit /caused-by or /fixed-by wins over the text
    link = Link(merge_request.repository, merge_request.number, role, source, merge_request.url,
                merge_request.title, merged_at, merge_request.head_sha, known.check_state if known else None)
    return LinkChange(incident, link, merge_note(incident, link, syntax) if merged_at else None)


def merge_note(incident: Incident, link: Link, syntax: MergeRequestSyntax) -> str:
    """The timeline entry for the merge of a linked merge request (written at its merge time)."""
    ref = syntax.ref(link.repository, link.number, incident.repository)
    return MERGED_ENTRY.format(role=link.role.capitalize(), ref=ref, title=link.title)[:300]


def back_link_comment(wanted, noun: str) -> str:
    """The one comment on the merge request naming the incidents it is linked to, as (incident, role, _)."""
    items = "\n".join(f"- {ROLE_WORDS[role]} incident {i.repository}#{i.number}: {escape(i.title, 150)}"
                      for i, role, _ in wanted)
    return LINK_COMMENT.format(marker=LINK_MARKER, kind=noun, items=items)


__all__ = [
    "COMMAND", "COMMITS", "LINK_COMMENT", "LINK_MARKER", "MERGED_ENTRY", "ROLE_WORDS", "TEXT", "LinkChange",
    "LinkPlan", "MergeRequestLike", "Reference", "back_link_comment", "merge_note", "plan_links",
    "references_to_look_up",
]
