"""The one reply to a comment's commands, kept under the forge's body limit."""
from __future__ import annotations

from collections import Counter

from store.ledger import Outcome

# Room kept for the closing "not shown" line, and for a forge that counts some characters double.
RESERVE = 1000
LONG = 300  # a message this long (the command list) is written once per reply
SAME = "the same as above."
NOT_SHOWN = "- … and {count} more not shown here ({counts}), so that this reply fits in one comment."


def render_reply(lines: list[tuple[str, Outcome]], limit: int) -> str:
    """One line per command as written (identical ones once, with a count), cut to fit `limit`."""
    counts = Counter((shown, outcome.icon, outcome.message) for shown, outcome in lines)
    written: list[str] = []
    seen: set[str] = set()
    left: Counter[str] = Counter()
    size = 0
    for (shown, icon, message), count in counts.items():  # in the comment's order
        if len(message) > LONG and message in seen:
            message = SAME
        seen.add(message)
        line = f"- {icon} {shown}{f' ×{count}' if count > 1 else ''}: {message}"
        if left or size + len(line) + 1 > limit - RESERVE:
            left[icon] += count  # once one line is left out, so are all after it: the order stays true
            continue
        written.append(line)
        size += len(line) + 1
    if left:
        summary = ", ".join(f"{icon} {count}" for icon, count in left.items())
        written.append(NOT_SHOWN.format(count=sum(left.values()), counts=summary))
    return "\n".join(written)
