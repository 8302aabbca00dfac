"""The bot's Markdown in other platforms' terms (pure): Slack mrkdwn, and Markdown safe to announce through Apprise.

The bot's Markdown is what it writes in issue comments: `**bold**`, `*italic*`, `` `code` ``, `[label](url)`, with
user text already through `incidents.text.escape` (Markdown specials backslash-escaped, `@` followed by a zero-width
joiner). Slack's mrkdwn has no backslash escapes and acts on `&`, `<` and `>` (`<!channel>`, `<@U…>`, `<url|label>`),
so these three are always sent as entities: no mention, ping or link can be formed from text. A formatting character
that was escaped in the Markdown (user text, literally `*` or `_`) is sent as a look-alike that Slack never formats,
since mrkdwn has no way to say "literally".
"""
from __future__ import annotations

import re

ZWJ = "\u200d"

# What Slack acts on, as its documentation asks them escaped.
_SLACK_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# mrkdwn's formatting characters, when the Markdown meant them literally.
_LOOKALIKES = {"*": "\u2217", "_": "\u02cd", "~": "\u223c", "`": "\u02cb"}

_TOKEN = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`)(?P<code_text>.+?)(?<!`)(?P=ticks)(?!`))"
    r"|\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|\[(?P<label>(?:\\.|[^\]\\])*)\]\((?P<url>[^()\s]+)\)"
    r"|\*\*(?P<bold>(?:\\.|[^\\])+?)\*\*"
    r"|(?<![\w*])\*(?P<italic>(?=\S)(?:\\.|[^\\*])+?(?<=\S))\*(?![\w*])"
    r"|(?P<special>[&<>])",
    re.S,
)
_SAFE_URL = re.compile(r"^(?:https?://|mailto:)[^\s<>|]+$", re.I)


def _slack_text(text: str) -> str:
    """Literal text for mrkdwn: the three entities escaped."""
    return "".join(_SLACK_ENTITIES.get(ch, ch) for ch in text)


def _slack_url(url: str) -> str:
    return url.replace("&", "&amp;")  # `<`, `>`, `|` and spaces are refused by _SAFE_URL


def _literal(match: re.Match) -> str:
    """A token's text with its formatting dropped (labels hold no links: `]` ends one)."""
    if match.group("code") is not None:
        return match.group("code_text")
    for kind in ("escaped", "bold", "italic"):
        if match.group(kind) is not None:
            return match.group(kind) if kind == "escaped" else _TOKEN.sub(_literal, match.group(kind))
    return match.group("special")


def _plain(markdown: str) -> str:
    """A link's label for mrkdwn: escapes undone, formatting dropped, every character literal."""
    text = _TOKEN.sub(_literal, markdown)
    return "".join(_SLACK_ENTITIES.get(ch, _LOOKALIKES.get(ch, ch)) for ch in text)


def _token_to_mrkdwn(match: re.Match) -> str:
    if match.group("code") is not None:
        code = match.group("code_text").replace("`", _LOOKALIKES["`"])
        return f"`{_slack_text(code)}`"
    if match.group("escaped") is not None:
        ch = match.group("escaped")
        return _SLACK_ENTITIES.get(ch, _LOOKALIKES.get(ch, ch))
    if match.group("url") is not None:
        label, url = _plain(match.group("label")), match.group("url")
        return f"<{_slack_url(url)}|{label}>" if _SAFE_URL.match(url) else label
    if match.group("bold") is not None:
        return f"*{to_mrkdwn(match.group('bold'))}*"
    if match.group("italic") is not None:
        return f"_{to_mrkdwn(match.group('italic'))}_"
    return _SLACK_ENTITIES[match.group("special")]


def to_mrkdwn(markdown: str) -> str:
    """The bot's Markdown as Slack mrkdwn: bold `*b*`, italic `_i_`, links `<url|label>`, code spans kept,
    backslash escapes undone, `&` `<` `>` as entities. A link to anything but http(s) or mailto keeps its label only."""
    return _TOKEN.sub(_token_to_mrkdwn, markdown)


# `<@123>`, `<@&456>`, `<#789>` (Discord), `<!here>` (Slack), `<at>name</at>` (Teams): a `<` that could open one.
_ANGLE_MENTION = re.compile(r"<(?=[@#!&]|at>)", re.I)
_AT_MENTION = re.compile(r"@(?=[\w-])")


def announcement_markdown(markdown: str) -> str:
    """Markdown for Apprise targets (Discord, Teams, Matrix, Mattermost, ...) that pings nobody: every `@name`
    (`@everyone`, `@here`, `@channel`, `@all`, `@room`, a user) and every `<@…>`/`<at>` gets a zero-width joiner
    after its first character, which keeps it readable and stops the mention. Applying it twice changes nothing."""
    return _ANGLE_MENTION.sub("<" + ZWJ, _AT_MENTION.sub("@" + ZWJ, markdown))


_SLACK_CONTROL = re.compile(r"<(?P<inner>[^<>]*)>")


def _control_to_plain(match: re.Match) -> str:
    inner = match.group("inner")
    target, _, label = inner.partition("|")
    if target.startswith(("@", "#")):
        return (target[0] + label.lstrip("@#")) if label else target
    if target.startswith("!"):
        if target.startswith("!subteam^"):
            return label or "@group"
        return label or "@" + target[1:].split("^")[0]
    return label or target


def from_mrkdwn(text: str) -> str:
    """A Slack message's text in plain words: `<@U1|ana>` → `@ana` (`<@U1>` → `@U1`), `<#C1|ops>` → `#ops`,
    `<!here>` → `@here`, `<url|label>` → `label`, `<url>` → `url`, and the entities undone."""
    plain = _SLACK_CONTROL.sub(_control_to_plain, text)
    return plain.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
