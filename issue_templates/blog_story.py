"""The blog draft's account of an incident in customers' words (reference/002): the impact window,
the timeline entries people wrote (never the bot's bookkeeping), durations a reader understands,
the summary line and plain-text front matter values.

Pure: values in, text out.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import NamedTuple

from incidents.metrics import Metrics, format_elapsed
from incidents.timeline import TimelineEntry

MOMENT_FORMAT = "%Y-%m-%d %H:%M UTC"
TIMELINE_ENTRY = "{time}: {text}"
SUMMARY_DURATION = "It lasted {duration}."
SUMMARY_MAX_CHARS = 200
UNDER_A_MINUTE = "under a minute"
ONE_MINUTE = "1 minute"
MINUTES = "{n} minutes"

# The impact window, one sentence per moment the incident has.
STARTED = "The problem started at {at}."
LEARNED = "We learned of the problem at {at}."
DETECTED = "We detected it at {at}."
MITIGATED = "We limited its impact at {at}."
RESOLVED = "Everything was working normally again at {at}."

# What the bot writes into a timeline (handlers/declare.py, handlers/commands.py, handlers/links.py):
# declarations, role changes, status changes, forced closes and merges are bookkeeping, not the story.
# A status change's message is a person's words, so it stays.
_STATUS = re.compile(r"^Status: [a-z]+(?: - (?P<message>.+)| \(label set by @[\w.\[\]-]+\))?$", re.S)
_BOOKKEEPING = (
    re.compile(r"^Declared an incident by @"),
    re.compile(r"^(?:Commander|Operations lead|Communications lead): @[\w.\[\]-]+$"),
    re.compile(r"^Closed by @[\w.\[\]-]+ although actions are open"),
    re.compile(r"^(?:Fix|Cause|Related) merged: "),
)

# Front matter values are read by site generators and themes that may print them unescaped:
# no HTML (script and style with their content), no template delimiters.
_RAW_ELEMENT = re.compile(r"<(script|style|iframe|template|textarea)\b.*?(?:</\1\s*>|$)", re.I | re.S)
_HTML = re.compile(r"<!--.*?(?:-->|$)|</?[A-Za-z!?][^<>]*>", re.S)
_BREAK = re.compile(r"</?(?:br|p|div|li|ul|ol|tr|td|th|h[1-6]|hr|blockquote|pre)\b[^<>]*>", re.I)  # a space
_TEMPLATE = re.compile(r"\{[{%#]|[}%#]\}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def moment(at: datetime | None) -> str | None:
    """A moment for readers anywhere: in UTC, named as such."""
    if at is None:
        return None
    return (at.astimezone(UTC) if at.tzinfo else at).strftime(MOMENT_FORMAT)


def customer_duration(seconds: float | None) -> str | None:
    """How long, as a customer reads it: `under a minute`, `12 minutes`, then `1.3 hours`, `1.5 days`."""
    if seconds is None or seconds < 0:
        return None
    if seconds < 60:
        return UNDER_A_MINUTE
    if seconds < 3600:  # whole minutes: `0.4 minutes` or `12.5 minutes` read as a lab report
        minutes = int(seconds / 60 + 0.5)  # half-up, as the references round
        return ONE_MINUTE if minutes == 1 else MINUTES.format(n=minutes)
    return format_elapsed(seconds)


def incident_duration(metrics: Metrics) -> tuple[str | None, bool, str | None, str | None]:
    """(how long, whether measured from the report, start, end): impact to resolved when
    known, else report to resolved, else nothing."""
    for start, since_report in ((metrics.impact_start, False), (metrics.reported, True)):
        seconds = _span(start.at, metrics.resolved.at)
        if seconds is not None:
            return customer_duration(seconds), since_report, moment(start.at), moment(metrics.resolved.at)
    return None, False, None, None


def _span(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from start to end. Timeline entries keep only the minute, so a `[resolved]` entry can
    read a few seconds before the report it followed: within a minute that is "under a minute"."""
    if start is None or end is None:
        return None
    seconds = (end - start).total_seconds()
    return max(seconds, 0.0) if seconds > -60 else None


def people_text(entry: TimelineEntry) -> str | None:
    """What a person wrote in a timeline entry; None for the bot's bookkeeping."""
    text = " ".join(entry.text.split())
    status = _STATUS.match(text)
    if status:
        return status.group("message") or None
    if any(pattern.match(text) for pattern in _BOOKKEEPING):
        return None
    return text or None


class StoryLine(NamedTuple):
    """A timeline entry as the post tells it: when (None if the entry has no time) and what."""

    time: str | None
    text: str


def story_lines(timeline: Iterable[TimelineEntry]) -> tuple[StoryLine, ...]:
    """The entries people wrote, without their tags and without the bot's bookkeeping."""
    lines = ((moment(entry.at), people_text(entry)) for entry in timeline)
    return tuple(StoryLine(at, text) for at, text in lines if text)


def timeline_story(window_text: str | None, lines: Iterable[StoryLine]) -> str | None:
    """What happened as one text (for templates that print `what_happened`): window, then the entries."""
    paragraphs = [window_text] + [TIMELINE_ENTRY.format(time=line.time, text=line.text) if line.time else line.text
                                  for line in lines]
    return "\n\n".join(p for p in paragraphs if p) or None


def window(metrics: Metrics) -> str | None:
    """The impact window in sentences: started (or learned of), detected, mitigated, resolved."""
    started, reported = moment(metrics.impact_start.at), moment(metrics.reported.at)
    sentences = [STARTED.format(at=started)] if started else []
    if reported:
        sentences.append((DETECTED if started else LEARNED).format(at=reported))
    for at, sentence in ((metrics.mitigated.at, MITIGATED), (metrics.resolved.at, RESOLVED)):
        if at is not None:
            sentences.append(sentence.format(at=moment(at)))
    return " ".join(sentences) or None


def summary(prose: str | None, title: str, duration: str | None) -> str:
    """One or two plain sentences: the first of what people wrote happened (or the title), and how long."""
    first = _SENTENCE_END.split(prose.split("\n\n")[0])[0] if prose else title
    if len(first) > SUMMARY_MAX_CHARS:
        first = first[: SUMMARY_MAX_CHARS - 1].rstrip() + "…"
    if first and first[-1] not in ".!?…":
        first += "."
    return f"{first} {SUMMARY_DURATION.format(duration=duration)}" if duration else first


def strip_markup(text: str) -> str:
    """Plain text on one line: HTML tags and comments out (script and style with their content),
    template delimiters (`{{ }}`, `{% %}`, `{# #}`) out, control characters out."""
    text, before = _CONTROL.sub("", str(text or "")), None
    while text != before:  # taking one piece out can join two halves into a new one
        before = text
        text = _TEMPLATE.sub(" ", _HTML.sub("", _BREAK.sub(" ", _RAW_ELEMENT.sub(" ", text))))
    return " ".join(text.split())
