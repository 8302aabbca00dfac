"""Bodies and helpers the edit tests share (tests/unit/test_*_edits.py, tests/unit/test_editing.py)."""
import difflib
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

from incidents.profiles import PROFILES

DOCUMENTS = Path(__file__).parent / "documents"
DEFAULT = PROFILES["timeline-rca-actions"]
ICSC = PROFILES["impact-cause-solution-conclusion"]
FULL = PROFILES["full"]
NEW_YORK = ZoneInfo("America/New_York")
UTC = UTC


def read(name):
    return (DOCUMENTS / name).read_text()


def added_lines(before, after):
    """The lines an edit added, and check it removed none."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert not [line for line in diff if line.startswith("- ")], "an edit removed a line"
    return [line[2:] for line in diff if line.startswith("+ ")]


def timeline_lines(body):
    """The Timeline section's non-blank lines, from its heading to the next section."""
    lines = body.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip("#").strip().lower() == "timeline")
    out = []
    for line in lines[start + 1:]:
        if line.startswith("#"):
            break
        if line.strip():
            out.append(line)
    return out


SIMPLE = """## Timeline

**November 20, 2026:**

- 14:05 - [detected] alert fired
- 14:40 - [mitigated] rolled back

## Root cause analysis

Root cause: a bad pool size.

## Actions

- [ ] Load test @dave due 2026-12-04 acme/api#302
"""
