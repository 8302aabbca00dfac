"""What someone typed after `/incident` in chat, in an issue comment's terms (issue 16).

`/incident db is down` declares; `/incident status identified …` in an incident's channel is the comment
`/desk status identified …` on its issue (chat.slack_events.command_name tells which): one command table,
one parser. Chat mentions (`<@U123>`) become
the forge logins the repository's `slack.users` maps them to; nothing typed in chat can mention anyone else.
"""
from __future__ import annotations

import re
from collections.abc import Callable

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
# `… in group/project` or `… in github:owner/repo` at the end of a declaration names its repository.
_COMMAND_SPAN = re.compile(r"`/(?:desk )?(?!incident\b)")  # a command in a code span, as the forge spells it
_TARGET = re.compile(r"^(?P<what>.*\S)\s+in\s+(?P<repository>(?:(?:github|gitlab):)?[\w.-]+(?:/[\w.-]+)+)\s*$",
                     re.IGNORECASE | re.DOTALL)
NOT_A_LOGIN = "(someone not mapped)"  # an unmapped mention: no forge login can be read from it


def declaration(text: str) -> tuple[str, str | None]:
    """What went wrong, and the repository named by a trailing `in group/project` (None: the default)."""
    text = " ".join(text.split())
    found = _TARGET.match(text)
    if found is None:
        return text, None
    return found["what"], found["repository"]


def as_comment(text: str, login_of: Callable[[str], str | None]) -> str:
    """The comment that runs what was typed: `/desk <text>`, each chat mention as its forge login."""
    def mention(found: re.Match) -> str:
        login = login_of(found[1])
        return f"@{login}" if login else NOT_A_LOGIN
    one_line = " ".join(MENTION.sub(mention, text).split())
    return "/desk " + one_line.lstrip("/")


def as_typed_in_chat(reply: str) -> str:
    """A reply's commands (`/status …`, `/desk status …`) as they are typed in chat: `/incident status …`."""
    return _COMMAND_SPAN.sub("`/incident ", reply)
