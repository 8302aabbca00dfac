"""Which repository an alert lands in: the operator's INCIDENT_DESK_ALERT_ROUTES, as data.

    team=payments -> github:acme/payments; team=search,env=prod -> gitlab:search/app; * -> github:acme/incidents

Routes are separated by `;` or new lines and tried in order; the first whose matchers all hold wins. A matcher
is Alertmanager's: `label=value`, `label!=value`, `label=~regex`, `label!~regex` (the regex matches the whole
value), with the value optionally in double quotes (then `,`, `;`, `=` and `->` may appear in it, and `\\"` is a
quote). A label the alert does not have has the empty value, as in Alertmanager. `*` matches every alert.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

PLATFORMS = ("github", "gitlab")
OPERATORS = ("=~", "!~", "!=", "=")  # longest first: `=~` is not `=` followed by `~…`

_SPACE = re.compile(r"[ \t]*")
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATOR = re.compile("|".join(re.escape(op) for op in OPERATORS))
_QUOTED = re.compile(r'"((?:[^"\\\n]|\\.)*)"')
_BARE = re.compile(r"(?:(?!->)[^,;=\"\s])*")  # `=` and the rest need quotes
_ARROW = re.compile(r"[ \t]*->[ \t]*")
_TARGET = re.compile(r"(?P<platform>[A-Za-z]+):(?P<repository>[^\s;]+)")
_REPOSITORY = {"github": (re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"), "owner/name"),
               "gitlab": (re.compile(r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+"), "group/project (subgroups allowed)")}
_END = re.compile(r"[ \t\r]*(?:[;\n]|$)")
_SEPARATORS = re.compile(r"[\s;]*")
_STAR = re.compile(r"[ \t]*\*")
_COMMA = re.compile(r"[ \t]*,")
_UNQUOTE = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Matcher:
    """One `label <op> value` condition."""

    label: str
    operator: str  # one of OPERATORS
    value: str
    pattern: re.Pattern[str] | None = field(default=None, compare=False, repr=False)  # for =~ and !~

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the alert's labels satisfy this condition (a missing label is the empty value)."""
        actual = str(labels.get(self.label, ""))
        if self.operator in ("=", "!="):
            return (actual == self.value) == (self.operator == "=")
        assert self.pattern is not None  # parse_routes compiles every regex matcher
        return (self.pattern.fullmatch(actual) is not None) == (self.operator == "=~")


@dataclass(frozen=True)
class Route:
    """Alerts whose labels satisfy every matcher (none: `*`, every alert) go to this repository."""

    matchers: tuple[Matcher, ...]
    platform: str  # one of PLATFORMS
    repository: str  # owner/name on GitHub, group/…/project on GitLab

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(matcher.matches(labels) for matcher in self.matchers)


class _Reader:
    """The text and where parsing is in it; errors name the route and what was expected."""

    def __init__(self, text: str) -> None:
        self.text, self.at, self.number, self.start = text, 0, 0, 0

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        found = pattern.match(self.text, self.at)
        if found is not None:
            self.at = found.end()
        return found

    def error(self, problem: str) -> ValueError:
        line = self.text[self.start:].split(";")[0].split("\n")[0].strip()
        return ValueError(f"INCIDENT_DESK_ALERT_ROUTES, route {self.number} ({line!r}): {problem}. "
                          "Write routes as `label=value,label=~regex -> github:owner/name`, separated by `;`, "
                          "with `* -> platform:repository` for every other alert.")


def parse_routes(text: str) -> tuple[Route, ...]:
    """The routes of INCIDENT_DESK_ALERT_ROUTES, in order; none for an empty text. Raises ValueError."""
    reader, routes = _Reader(text or ""), list[Route]()
    while reader.at < len(reader.text):
        reader.take(_SEPARATORS)
        if reader.at >= len(reader.text):
            break
        reader.number, reader.start = reader.number + 1, reader.at
        if routes and not routes[-1].matchers:
            raise reader.error("it comes after a `*` route, so it would never be used")
        routes.append(_route(reader))
    return tuple(routes)


def _route(reader: _Reader) -> Route:
    matchers: tuple[Matcher, ...] = ()
    if not reader.take(_STAR):
        matchers = _matchers(reader)
    if not reader.take(_ARROW):
        raise reader.error("expected `->` and a repository after the matchers (a value with spaces goes in quotes: "
                           "`service=\"Checkout API\"`)")
    target = reader.take(_TARGET)
    if target is None:
        raise reader.error("expected `github:owner/name` or `gitlab:group/project` after `->`")
    platform, repository = target["platform"].lower(), target["repository"]
    if platform not in PLATFORMS:
        raise reader.error(f"unknown platform {target['platform']!r}; use github or gitlab")
    shape, description = _REPOSITORY[platform]
    if not shape.fullmatch(repository):
        raise reader.error(f"{repository!r} is not a {platform} repository; write {description}")
    if not reader.take(_END):
        raise reader.error("expected `;` or the end after the repository")
    return Route(matchers, platform, repository)


def _matchers(reader: _Reader) -> tuple[Matcher, ...]:
    matchers = [_matcher(reader)]
    while reader.take(_COMMA):
        matchers.append(_matcher(reader))
    return tuple(matchers)


def _matcher(reader: _Reader) -> Matcher:
    reader.take(_SPACE)
    label = reader.take(_LABEL_NAME)
    if label is None:
        raise reader.error("expected a label name (letters, digits and `_`) or `*`")
    reader.take(_SPACE)
    operator = reader.take(_OPERATOR)
    if operator is None:
        raise reader.error(f"expected =, !=, =~ or !~ after the label {label[0]!r}")
    reader.take(_SPACE)
    quoted = reader.take(_QUOTED)
    bare = None if quoted else reader.take(_BARE)
    value = _UNQUOTE.sub(r"\1", quoted[1]) if quoted else bare[0] if bare else ""
    if operator[0] in ("=", "!="):
        return Matcher(label[0], operator[0], value)
    try:
        return Matcher(label[0], operator[0], value, re.compile(value))
    except re.error as error:
        raise reader.error(f"{value!r} is not a regular expression ({error})") from None


def route(routes: tuple[Route, ...], labels: Mapping[str, str]) -> tuple[str, str] | None:
    """(platform, repository) of the first route the labels match; None when none does."""
    for candidate in routes:
        if candidate.matches(labels):
            return candidate.platform, candidate.repository
    return None
