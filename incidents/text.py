"""Making user text safe to echo in a bot comment."""
from __future__ import annotations

import re

_MENTION = re.compile(r"@(?=[\w-])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>|~])")  # `#` only matters at a line start


def escape(text: str, limit: int = 300) -> str:
    """One line of user text, shortened, that cannot ping anyone, open HTML or break Markdown."""
    text = " ".join(str(text).split())
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    # A zero-width joiner after @ keeps the text readable but stops the mention.
    return _MENTION.sub("@\u200d", text)


def truncate_lines(lines: list[str], max_items: int) -> list[str]:
    """Keep the first `max_items` lines and say how many were cut."""
    if len(lines) <= max_items:
        return lines
    return lines[:max_items] + [f"- … and {len(lines) - max_items} more"]
