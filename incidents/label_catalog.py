"""Every label the product uses in a repository, each with a colour and a description (issue 19 item 3).

Names come from the repository's LabelScheme (its forge's separator, renamed by its config), so this module
knows no platform. Colours are six hex digits without `#`; the adapters write them as their forge wants."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from incidents.labels import LabelScheme
from incidents.model import Severity, Status

STATUS_COLOURS = {Status.INVESTIGATING: "d93f0b", Status.IDENTIFIED: "fbca04", Status.MONITORING: "0e8a16",
                  Status.RESOLVED: "c2e0c6"}
STATUS_WORDS = {Status.INVESTIGATING: "the cause is being looked for",
                Status.IDENTIFIED: "the cause is known and a fix is under way",
                Status.MONITORING: "a fix is out and being watched", Status.RESOLVED: "the incident is over"}
SEVERITY_COLOURS = {Severity.MAJOR_OUTAGE: "b60205", Severity.PARTIAL_OUTAGE: "d93f0b",
                    Severity.DEGRADED_PERFORMANCE: "fbca04", Severity.OPERATIONAL: "c5def5"}
DESCRIPTION_LIMIT = 100  # GitHub's limit on a label description


@dataclass(frozen=True)
class LabelSpec:
    name: str
    colour: str
    description: str


def product_labels(scheme: LabelScheme, components: Iterable = ()) -> list[LabelSpec]:
    """The incident, status, severity, component, postmortem, blog, private and maintenance labels, in that
    order, once each (names compare case-insensitively, as on the forges)."""
    specs = [LabelSpec(scheme.incident, "b60205", "An incident tracked by Incident Desk")]
    specs += [LabelSpec(scheme.status(status), STATUS_COLOURS[status], f"Incident status: {STATUS_WORDS[status]}")
              for status in Status]
    specs += [LabelSpec(scheme.severity(severity), SEVERITY_COLOURS[severity], f"Incident severity: {severity.title}")
              for severity in Severity]
    specs += [LabelSpec(scheme.component(component.id), "1d76db", f"Affects {component.name}")
              for component in components]
    specs += [LabelSpec(scheme.postmortem_incomplete, "e99695", "The postmortem still misses required sections"),
              LabelSpec(scheme.postmortem_complete, "0e8a16", "The postmortem has every required section"),
              LabelSpec(scheme.blog_draft, "5319e7", "Draft a public write-up of this incident"),
              LabelSpec(scheme.private, "000000", "Keeps this incident off the status page, chat and blog"),
              LabelSpec(scheme.maintenance, "0052cc", "A scheduled maintenance announced by Incident Desk")]
    unique: dict[str, LabelSpec] = {}
    for spec in specs:
        unique.setdefault(spec.name.lower(), LabelSpec(spec.name, spec.colour, spec.description[:DESCRIPTION_LIMIT]))
    return list(unique.values())
