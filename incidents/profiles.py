"""Postmortem profiles as data: which sections an incident document needs and how strict it is."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

DEFAULT_PROFILE = "timeline-rca-actions"

# Every heading a reference document uses, plus the spellings teams commonly write.
# Canonical name -> aliases. Profiles redirect some names (see _ALIAS_REDIRECTS).
_BASE_ALIASES: dict[str, tuple[str, ...]] = {
    "Summary": ("Incident summary", "Executive summary", "Overview"),
    "Lead-up": ("Lead up", "Leadup"),
    "Fault": (),
    "Impact": ("Customer impact", "User impact"),
    "Detection": (),
    "Response": (),
    "Recovery": (),
    "Timeline": ("Incident timeline", "Timeline of events"),
    "Five whys": ("5 whys", "Whys", "The five whys", "Root cause identification"),
    "Root cause": (),
    "Root cause analysis": ("RCA", "Root-cause analysis", "Root cause analysis (RCA)"),
    "Backlog check": ("Backlog",),
    "Recurrence": (),
    "Corrective actions": (),
    "Actions": ("Action items", "Follow-up actions", "Follow-ups", "Follow ups"),
    "Cause": ("Causes",),
    "Solution": ("Resolution", "Remediation", "Fix"),
    "Conclusion": ("Conclusions", "Lessons learned"),
    "Taxonomy": ("Taxonomy term", "Taxonomy tree"),
}

# Within a profile a heading from another profile means that profile's own section:
# "Corrective actions" in a Timeline/RCA/Actions document is its Actions section.
_ALIAS_REDIRECTS: dict[str, dict[str, str]] = {
    "timeline-rca-actions": {
        "Corrective actions": "Actions",
        "Root cause": "Root cause analysis",
        "Cause": "Root cause analysis",
    },
    "impact-cause-solution-conclusion": {
        "Root cause": "Cause",
        "Root cause analysis": "Cause",
    },
    "full": {"Actions": "Corrective actions"},
}


class UnknownProfile(ValueError):
    """Raised for a profile name that is neither built in nor defined in the config."""


def normalize_heading(text: str) -> str:
    """Fold a heading for matching: no emphasis, numbering, trailing colon, case or extra spaces."""
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"^\s*\d+[.)]\s+", "", text)
    text = " ".join(text.split()).rstrip(":").strip()
    return text.casefold()


@dataclass(frozen=True)
class Profile:
    """How one team's postmortem is laid out and how strictly it is checked."""

    name: str
    required: tuple[str, ...]
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict, hash=False)
    min_whys: int = 3
    require_owner: bool = True
    require_due_date: bool = False
    asks_for_taxonomy: bool = False

    def canonical(self, heading: str) -> str | None:
        """The canonical section name a heading stands for, or None when it is not a known section."""
        return _alias_index(self).get(normalize_heading(heading))


@lru_cache(maxsize=128)
def _alias_index(profile: Profile) -> dict[str, str]:
    """Folded heading -> canonical name; profiles are immutable so this is built once each."""
    index: dict[str, str] = {}
    for name, aliases in profile.aliases.items():
        for alias in (name, *aliases):
            index.setdefault(normalize_heading(alias), name)
    for name in profile.required:
        index.setdefault(normalize_heading(name), name)
    return index


def _aliases_for(name: str, extra: Mapping[str, Iterable[str]] | None = None) -> Mapping[str, tuple[str, ...]]:
    """The base alias table with this profile's redirects and any extra aliases applied."""
    table = {canonical: list(aliases) for canonical, aliases in _BASE_ALIASES.items()}
    for heading, target in _ALIAS_REDIRECTS.get(name, {}).items():
        if heading in table:
            table[target].extend([heading, *table.pop(heading)])
        else:
            for aliases in table.values():
                if heading in aliases:
                    aliases.remove(heading)
            table[target].append(heading)
    for canonical, more in (extra or {}).items():
        table.setdefault(canonical, []).extend(more)
    return MappingProxyType({canonical: tuple(aliases) for canonical, aliases in table.items()})


PROFILES: Mapping[str, Profile] = MappingProxyType({
    "timeline-rca-actions": Profile(
        name="timeline-rca-actions",
        required=("Timeline", "Root cause analysis", "Actions"),
        aliases=_aliases_for("timeline-rca-actions"),
        # reference/002 (FlowFuse) writes its RCA as prose and asks for no whys; a team that wants
        # them sets `min_whys` in a custom profile (DESIGN's default of 3 is for custom profiles).
        min_whys=0,
    ),
    "impact-cause-solution-conclusion": Profile(
        name="impact-cause-solution-conclusion",
        required=("Impact", "Cause", "Solution", "Conclusion"),
        aliases=_aliases_for("impact-cause-solution-conclusion"),
        # reference/000-001 suggest the five whys but do not require them in the public report.
        min_whys=0,
        require_owner=False,
        asks_for_taxonomy=True,
    ),
    "full": Profile(
        name="full",
        required=(
            "Summary", "Lead-up", "Fault", "Impact", "Detection", "Response", "Recovery",
            "Timeline", "Five whys", "Root cause", "Backlog check", "Recurrence",
            "Corrective actions",
        ),
        aliases=_aliases_for("full"),
        min_whys=5,
        require_due_date=True,
    ),
})


def make_profile(name: str, spec: Mapping | Profile) -> Profile:
    """A custom profile from a config `profiles` entry (already validated by the config schema)."""
    if isinstance(spec, Profile):
        return spec
    extra = {str(k): tuple(str(a) for a in v) for k, v in (spec.get("aliases") or {}).items()}
    return Profile(
        name=name,
        required=tuple(str(s) for s in spec.get("required") or ()),
        aliases=_aliases_for(name, extra),
        min_whys=int(spec.get("min_whys", 3)),
        require_owner=bool(spec.get("require_owner", True)),
        require_due_date=bool(spec.get("require_due_date", False)),
        asks_for_taxonomy=bool(spec.get("asks_for_taxonomy", False)),
    )


def get_profile(name: str | None, custom: Mapping[str, Mapping | Profile] | None = None) -> Profile:
    """The named profile: a custom one from the config first, then a built-in one."""
    name = name or DEFAULT_PROFILE
    if custom and name in custom:
        return make_profile(name, custom[name])
    try:
        return PROFILES[name]
    except KeyError:
        known = sorted({*PROFILES, *(custom or {})})
        raise UnknownProfile(f"Unknown profile {name!r}; known profiles: {', '.join(known)}.") from None
