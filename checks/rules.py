"""The rules. Each takes (document, profile, context) and yields findings; RULES lists them."""
from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from incidents.document import IncidentDocument
from incidents.profiles import Profile
from incidents.sections import ACTION_SECTIONS, WHYS_SECTIONS, sections_for
from incidents.taxonomy import known_terms, suggest
from incidents.timeline import TIMELINE_TAGS

if TYPE_CHECKING:  # only named: `incident-desk check` without a config or history never loads these modules
    from incidents.config_model import RepoConfig
    from incidents.similar import Similar

ERROR, WARNING = "error", "warning"

# User-facing sentences, one per code; tests compare against these.
MISSING_SECTION = "The {section} section is missing: add a `## {section}` heading."
DUPLICATE_SECTION = "The {section} section appears again here; only the first one (line {first}) is read."
EMPTY_SECTION = "The {section} section is empty or still holds the template's guidance: fill it in."
TIMELINE_UNPARSED_ENTRY = (
    "This timeline line is not an entry: write `HH:MM - what happened` under a date heading "
    "such as `**June 25, 2021:**`, or `YYYY-MM-DD HH:MM - what happened`."
)
TIMELINE_OUT_OF_ORDER = (
    "This timeline entry ({at}) is earlier than the one above it ({previous}): keep the timeline in order."
)
TIMELINE_MISSING_TIMEZONE = (
    "Timeline times have no UTC offset and the repository config sets no `timezone`, so UTC is "
    "assumed: set `timezone` in the config or write an offset such as `14:05 -05:00`."
)
TIMELINE_UNKNOWN_TAG = "Unknown timeline tag [{tag}]: use one of {tags}."
TOO_FEW_WHYS = "The five whys have {count} step(s); this profile asks for at least {minimum}, as a numbered list."
ROOT_CAUSE_TOO_LONG = "The root cause takes {count} sentences: say it in one or two."
ACTION_WITHOUT_OWNER = "Action item \"{text}\" has no owner: name one with @login."
ACTION_WITHOUT_DUE_DATE = "Action item \"{text}\" has no due date: add `due YYYY-MM-DD`."
UNKNOWN_TAXONOMY_TERM = "{term} is not a taxonomy term{hint}; add it under `taxonomy` in the config if it is yours."
MISSING_TAXONOMY = (
    "No taxonomy term: end the {section} with a line such as `Taxonomy: MISSING_TEST` "
    "or a tree such as `Taxonomy: DATA_QUALITY < FAILED_MIGRATION`."
)
RECURRENCE_NOT_CHECKED = (
    "Past incidents look similar ({refs}) and the Recurrence section names none of them: say whether they had the "
    "same root cause, what was tried then, and why this happened again."
)
RECURRENCE_SECTION = "Recurrence"
COMMIT_INSTEAD_OF_MERGE_REQUEST = "The {role} is given as a commit ({ref}): link the merge request instead."

_QUOTE_LIMIT = 60


@dataclass(frozen=True)
class Finding:
    """One thing to fix (error) or to consider (warning) in an incident document."""

    code: str
    severity: str  # "error" | "warning"
    section: str | None
    line: int | None
    message: str

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Context:
    """What the rules need besides the document: the known taxonomy terms; the similar past incidents
    (incidents.similar) and the repository the document is in (None: not known, as for `incident-desk check`)."""

    terms: frozenset[str]
    similar: tuple[Similar, ...] = ()
    home: str | None = None


Rule = Callable[[IncidentDocument, Profile, Context], Iterable[Finding]]


def effective_profile(profile: Profile, config: RepoConfig | None) -> Profile:
    """The profile with the repository's `actions.*` settings applied over it."""
    if config is None:
        return profile
    owner, due_date = config.actions.require_owner, config.actions.require_due_date
    if owner is None and due_date is None:
        return profile
    return dataclasses.replace(
        profile,
        require_owner=profile.require_owner if owner is None else owner,
        require_due_date=profile.require_due_date if due_date is None else due_date,
    )


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


# --- rules ----------------------------------------------------------------------------

def missing_sections(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Every section the profile requires has a heading."""
    for name in profile.required:
        if name not in doc.sections:
            yield Finding("missing-section", ERROR, name, None, MISSING_SECTION.format(section=name))


def duplicate_sections(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """A section written twice is probably a paste; only the first is read."""
    for section in doc.duplicate_sections:
        first = doc.sections[section.name].line if section.name in doc.sections else section.line
        yield Finding("duplicate-section", WARNING, section.name, section.line,
                      DUPLICATE_SECTION.format(section=section.name, first=first))


def empty_sections(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """A required section says something beyond the template's guidance."""
    for name in profile.required:
        section = doc.sections.get(name)
        if section is not None and section.is_placeholder:
            yield Finding("empty-section", ERROR, name, section.line, EMPTY_SECTION.format(section=name))


def timeline_unparsed_entries(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Every line that looks like a timeline entry can be read as one."""
    for unparsed in doc.unparsed_timeline:
        yield Finding("timeline-unparsed-entry", ERROR, "Timeline", unparsed.line, TIMELINE_UNPARSED_ENTRY)


def timeline_in_order(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Timeline entries are chronological."""
    previous: datetime | None = None
    for entry in doc.timeline:
        if entry.at is None:
            continue
        if previous is not None and entry.at < previous:
            yield Finding("timeline-out-of-order", ERROR, "Timeline", entry.line, TIMELINE_OUT_OF_ORDER.format(
                at=entry.at.isoformat(" ", "minutes"), previous=previous.isoformat(" ", "minutes")))
        previous = entry.at


def timeline_timezone(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Times without an offset need the repository's timezone; once per document."""
    if doc.timezone_configured:
        return
    for entry in doc.timeline:
        if not entry.has_offset:
            yield Finding("timeline-missing-timezone", WARNING, "Timeline", entry.line, TIMELINE_MISSING_TIMEZONE)
            return


def timeline_tags(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Tags are the ones the metrics understand."""
    for entry in doc.timeline:
        if entry.tag is not None and entry.tag not in TIMELINE_TAGS:
            yield Finding("timeline-unknown-tag", WARNING, "Timeline", entry.line,
                          TIMELINE_UNKNOWN_TAG.format(tag=_quote(entry.tag), tags=", ".join(TIMELINE_TAGS)))


def enough_whys(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """The five whys go deep enough (only once their section is written)."""
    section = doc.section(*sections_for(profile, WHYS_SECTIONS))
    if doc.whys:
        section = doc.sections.get(_section_of_line(doc, doc.whys[0].line) or "", section)
    if profile.min_whys <= 0 or section is None or section.is_placeholder:
        return
    if len(doc.whys) < profile.min_whys:
        yield Finding("too-few-whys", ERROR, section.name, section.line,
                      TOO_FEW_WHYS.format(count=len(doc.whys), minimum=profile.min_whys))


_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|etc|vs|approx|cf|incl|no|fig)\.", re.I)
_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")


def count_sentences(text: str) -> int:
    """Sentences in a short text; abbreviations and dotted names (v1.9, api.example.com) are not ends."""
    text = _ABBREVIATIONS.sub("", text)
    return len([part for part in _SENTENCE_END.split(text) if part.strip()])


def short_root_cause(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """The root cause fits in one or two sentences."""
    if doc.root_cause is None:
        return
    count = count_sentences(doc.root_cause)
    if count > 2:
        yield Finding("root-cause-too-long", ERROR, "Root cause", doc.root_cause_line,
                      ROOT_CAUSE_TOO_LONG.format(count=count))


def action_owners(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Each action item names who will do it."""
    if not profile.require_owner:
        return
    section = doc.section(*sections_for(profile, ACTION_SECTIONS))
    for action in doc.actions:
        if action.owner is None:
            yield Finding("action-without-owner", ERROR, section.name if section else None, action.line,
                          ACTION_WITHOUT_OWNER.format(text=_quote(action.text)))


def action_due_dates(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Each open action item has a deadline, when the profile asks for one."""
    if not profile.require_due_date:
        return
    section = doc.section(*sections_for(profile, ACTION_SECTIONS))
    for action in doc.actions:
        if action.due is None and not action.done:
            yield Finding("action-without-due-date", ERROR, section.name if section else None, action.line,
                          ACTION_WITHOUT_DUE_DATE.format(text=_quote(action.text)))


def taxonomy_terms(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Taxonomy terms come from reference/001's list or the repository's own."""
    if doc.taxonomy is None:
        return
    section = _section_of_line(doc, doc.taxonomy.line)
    for term in doc.taxonomy.terms:
        if term not in ctx.terms:
            close = suggest(term, ctx.terms)
            hint = f" (did you mean {close}?)" if close else ""
            yield Finding("unknown-taxonomy-term", ERROR, section, doc.taxonomy.line,
                          UNKNOWN_TAXONOMY_TERM.format(term=_quote(term), hint=hint))


def taxonomy_present(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """Profiles that ask for a taxonomy get one."""
    if not profile.asks_for_taxonomy or doc.taxonomy is not None:
        return
    name = next((n for n in ("Conclusion", "Root cause") if n in profile.required), "Conclusion")
    section = doc.sections.get(name)
    yield Finding("missing-taxonomy", WARNING, name, section.line if section else None,
                  MISSING_TAXONOMY.format(section=name))


def merge_requests_not_commits(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """The cause and the fix are merge requests, never bare commits (reference/000)."""
    lines_with_mr = {ref.line for ref in doc.merge_requests}
    for ref in doc.commits:
        if ref.role is not None and ref.line not in lines_with_mr:
            yield Finding("commit-instead-of-merge-request", ERROR, ref.section, ref.line,
                          COMMIT_INSTEAD_OF_MERGE_REQUEST.format(role=ref.role, ref=ref.ref))


def recurrence_checked(doc: IncidentDocument, profile: Profile, ctx: Context) -> Iterator[Finding]:
    """In profiles with a Recurrence section, it names at least one of the similar past incidents there are."""
    if RECURRENCE_SECTION not in profile.required or not ctx.similar:
        return
    from incidents.similar import named_in, reference  # past incidents given: a bot's reconcile, `check --history`

    section = doc.sections.get(RECURRENCE_SECTION)
    text = section.text if section is not None else ""
    if any(named_in(text, found.incident, ctx.home) for found in ctx.similar):
        return
    refs = ", ".join(reference(found.incident, ctx.home) for found in ctx.similar)
    yield Finding("recurrence-not-checked", WARNING, RECURRENCE_SECTION, section.line if section else None,
                  RECURRENCE_NOT_CHECKED.format(refs=refs))


def recurrence_findings(doc: IncidentDocument, profile: Profile, findings: Iterable[Finding],
                        similar: Iterable[Similar], home: str | None) -> list[Finding]:
    """`findings` (run_checks') with the recurrence warning for these similar incidents, in run_checks' order."""
    ctx = Context(terms=frozenset(), similar=tuple(similar), home=home)
    return sort_findings([*findings, *recurrence_checked(doc, profile, ctx)])


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Errors first, then by line (whole-document findings first), then by code."""
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.line or 0, f.code))


def _section_of_line(doc: IncidentDocument, line: int) -> str | None:
    name = None
    for section in sorted(doc.sections.values(), key=lambda s: s.line):
        if section.line > line:
            break
        name = section.name
    return name


RULES: tuple[Rule, ...] = (
    missing_sections,
    duplicate_sections,
    empty_sections,
    timeline_unparsed_entries,
    timeline_in_order,
    timeline_timezone,
    timeline_tags,
    enough_whys,
    short_root_cause,
    action_owners,
    action_due_dates,
    taxonomy_terms,
    taxonomy_present,
    merge_requests_not_commits,
    recurrence_checked,
)


def run_checks(doc: IncidentDocument, profile: Profile, config: RepoConfig | None = None,
               similar: Iterable[Similar] = (), home: str | None = None) -> list[Finding]:
    """All findings for a document, errors first, then by line (whole-document findings first)."""
    profile = effective_profile(profile, config)
    ctx = Context(terms=config.taxonomy_terms() if config is not None else known_terms())
    ctx = dataclasses.replace(ctx, similar=tuple(similar), home=home)
    findings = [finding for rule in RULES for finding in rule(doc, profile, ctx)]
    return sorted(findings, key=lambda f: (f.severity != ERROR, f.line or 0, f.code))
