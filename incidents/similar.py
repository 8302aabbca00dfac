"""Similar past incidents (the security template's Recurrence section, reference/004): which past incidents of the
same repository group share the taxonomy term or tree prefix, the components, or a similar title or root cause.

The text similarity is word overlap (the Dice coefficient of the two texts' words, stop words left out), where two
words match when they are equal or close spellings of one another (the standard library's difflib ratio, as
`taxonomy.suggest` uses it): "timeout"/"timeouts", "deploy"/"deployed". Word order does not count. Why not rapidfuzz
(installable here, not yet a dependency): titles and root causes are a sentence or two and at most a group's
newest 500 incidents are compared (store/similar.py; with 20-word root causes about 20 ms), so its speed is not
needed, and its order-free scorer (`token_set_ratio`) gives 100 whenever one text's words are a subset of the
other's, so a one-word overlap with a short title would list noise. Why not the databases' full-text search:
SQLite FTS5 and PostgreSQL tsvector differ in syntax and ranking (the two deployments would list different
incidents) and each needs its own virtual table or index.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from functools import lru_cache

from incidents.metrics import format_elapsed
from incidents.model import Incident
from incidents.text import escape

MAX_SIMILAR = 3
TEXT_THRESHOLD = 0.5  # word overlap at or above this is "similar"
WORD_CUTOFF = 0.8  # how close two spellings must be to count as one word
HEADING = "**Similar past incidents:**"

_WORD = re.compile(r"[a-z0-9]+")
STOP_WORDS = frozenset({
    "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "did", "do", "for", "from", "had", "has", "have",
    "in", "into", "is", "it", "its", "no", "not", "of", "on", "or", "our", "so", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "to", "too", "was", "we", "were", "what", "when", "which", "while",
    "who", "why", "will", "with", "would", "after", "before", "because", "during", "again",
})


@dataclass(frozen=True)
class Subject:
    """What the incident at hand shows: its title, taxonomy terms, components and root cause."""

    title: str
    taxonomy: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    root_cause: str | None = None


@dataclass(frozen=True)
class Similar:
    """A past incident found similar, why, and how strongly (higher first)."""

    incident: Incident
    reasons: tuple[str, ...]
    score: float


def repository_group(repository: str) -> str:
    """The group a repository belongs to: a GitHub owner, a GitLab group (or subgroup) path."""
    return repository.rsplit("/", 1)[0] if "/" in repository else repository


@lru_cache(maxsize=4096)
def words(text: str | None) -> frozenset[str]:
    """The words of a text that carry meaning: lower case, no stop words, no single letters."""
    return frozenset(w for w in _WORD.findall((text or "").lower()) if len(w) > 1 and w not in STOP_WORDS)


def text_similarity(first: str | None, second: str | None) -> float:
    """Word overlap of two texts from 0 to 1 (Dice: twice the matched words over all words); close spellings match."""
    left, right = words(first), words(second)
    if not left or not right:
        return 0.0
    total = len(left) + len(right)
    matched = len(left & right)
    rest, pool = sorted(left - right), sorted(right - left)
    if 2 * (matched + min(len(rest), len(pool))) < TEXT_THRESHOLD * total:
        return 2 * matched / total  # close spellings could not lift it to similar: spare difflib
    for word in rest:
        found = next((other for other in pool if close_words(word, other)), None)
        if found is not None:
            pool.remove(found)
            matched += 1
    return 2 * matched / total


@lru_cache(maxsize=65536)  # a group's vocabulary is small: most pairs are asked again and again
def close_words(first: str, second: str) -> bool:
    """Two spellings of one word (`timeout`/`timeouts`): the same first letter and difflib's ratio at WORD_CUTOFF.
    A ratio needs lengths within that ratio of each other, so most pairs never reach difflib."""
    if first[0] != second[0] or 2 * min(len(first), len(second)) < WORD_CUTOFF * (len(first) + len(second)):
        return False
    return SequenceMatcher(None, first, second).ratio() >= WORD_CUTOFF


def taxonomy_terms(taxonomy: str | None) -> tuple[str, ...]:
    """The terms of a stored taxonomy (`A < B < C`)."""
    return tuple(t.strip() for t in (taxonomy or "").split("<") if t.strip())


def shared_prefix(first: Sequence[str], second: Sequence[str]) -> tuple[str, ...]:
    """The terms two taxonomy trees share from their principal failure on."""
    shared: list[str] = []
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        shared.append(a)
    return tuple(shared)


def compare(subject: Subject, past: Incident) -> Similar | None:
    """Why `past` is like the subject, or None when it is not."""
    reasons: list[str] = []
    score = 0.0
    prefix = shared_prefix(subject.taxonomy, taxonomy_terms(past.taxonomy))
    if prefix:
        reasons.append(f"taxonomy `{' < '.join(prefix)}`")
        score += 2 * len(prefix)
    components = sorted(set(subject.components) & set(past.components))
    if components:
        reasons.append("components " + ", ".join(f"`{escape(c, 60)}`" for c in components))
        score += len(components)
    for what, mine, theirs in (("title", subject.title, past.title),
                               ("root cause", subject.root_cause, past.root_cause)):
        similarity = text_similarity(mine, theirs)
        if similarity >= TEXT_THRESHOLD:
            reasons.append(f"similar {what}")
            score += 2 * similarity
    return Similar(past, tuple(reasons), score) if reasons else None


def eligible(past: Incident, key: tuple[str, str, int], private: bool, reported_at: datetime | None) -> bool:
    """Whether `past` may be listed for the incident `key` (platform, repository, number; `private`, reported at
    `reported_at`, None when new): another tracked incident reported before it; a private one only for a private
    incident (its title would show)."""
    if (past.platform, past.repository, past.number) == key or not past.tracking or (past.private and not private):
        return False
    return reported_at is None or past.reported_at is None or past.reported_at < reported_at


def find_similar(subject: Subject, candidates: Iterable[Incident], limit: int = MAX_SIMILAR) -> tuple[Similar, ...]:
    """Up to `limit` similar incidents, the most similar first (ties: the newest first)."""
    found = [s for s in (compare(subject, past) for past in candidates) if s is not None]
    found.sort(key=lambda s: (-s.score, -(s.incident.reported_at.timestamp() if s.incident.reported_at else 0),
                              s.incident.repository, -s.incident.number))
    return tuple(found[:limit])


def reference(past: Incident, home: str | None) -> str:
    """How the incident is written from `home`: `#12` in the same repository, else `owner/repo#12`."""
    return f"#{past.number}" if home == past.repository else f"{past.repository}#{past.number}"


def named_in(text: str, past: Incident, home: str | None) -> bool:
    """Whether a text names the past incident: its address, `owner/repo#12`, or `#12` (from its own repository, or
    when the home is not known, as for `incident-desk check`)."""
    names = [re.escape(f"{past.repository}#{past.number}")]
    if home is None or home == past.repository:
        names.append(re.escape(f"#{past.number}"))
    if past.url and re.search(re.escape(past.url.rstrip("/")) + r"(?![\w-])", text):
        return True
    return re.search(rf"(?<![\w/.#-])(?:{'|'.join(names)})(?!\d)", text) is not None


def actions_state(past: Incident) -> str:
    """Its corrective actions' state: `2 of 3 done`, `all 2 done`, `none recorded`."""
    total = past.open_actions + past.done_actions
    if total == 0:
        return "none recorded"
    return f"all {total} done" if past.open_actions == 0 else f"{past.done_actions} of {total} done"


def similar_lines(similar: Sequence[Similar], home: str | None) -> list[str]:
    """The summary comment's lines: each incident with its TTR, its corrective actions' state and why it is listed."""
    if not similar:
        return []
    lines = [HEADING]
    for found in similar:
        past = found.incident
        ref = escape(reference(past, home), 200)
        shown = f"[{ref}]({past.url})" if past.url.startswith(("https://", "http://")) else ref
        ttr = format_elapsed(past.ttr_seconds) if past.ttr_seconds is not None else "not recorded"
        lines.append(f"- {shown} {escape(past.title, 120)} · TTR {ttr} · corrective actions: "
                     f"{actions_state(past)} ({'; '.join(found.reasons)})")
    return lines


__all__ = [
    "HEADING", "MAX_SIMILAR", "STOP_WORDS", "TEXT_THRESHOLD", "Similar", "Subject", "actions_state", "close_words",
    "compare", "eligible", "find_similar", "named_in", "reference", "repository_group", "shared_prefix",
    "similar_lines", "taxonomy_terms", "text_similarity", "words",
]
