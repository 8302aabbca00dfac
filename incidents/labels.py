"""Label names for status, severity and components (DESIGN "Settled details: Labels").

Status and severity are one-of-a-kind labels: scoped on GitLab (`status::identified`),
prefixed on GitHub (`status: identified`). The forge supplies the separator, so this
module stays free of platform knowledge.
"""
from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

from incidents.model import Severity, Status, parse_severity, parse_status

INCIDENT_LABEL = "incident"


@dataclass(frozen=True)
class LabelScheme:
    separator: str  # ": " on GitHub, "::" on GitLab
    incident: str = INCIDENT_LABEL
    status_prefix: str = "status"
    severity_prefix: str = "severity"
    component_prefix: str = "component"

    def _name(self, prefix: str, value: str) -> str:
        return f"{prefix}{self.separator}{value}"

    def status(self, status: Status) -> str:
        return self._name(self.status_prefix, status.value)

    def severity(self, severity: Severity) -> str:
        return self._name(self.severity_prefix, severity.value)

    def component(self, component_id: str) -> str:
        # Components are `component: <id>` on both forges (any number, so never scoped).
        return f"{self.component_prefix}: {component_id}"

    def _values(self, labels: Iterable[str], prefix: str) -> list[str]:
        found = []
        for label in labels:
            for sep in (self.separator, "::", ":"):
                head = f"{prefix}{sep}"
                if label.lower().startswith(head.lower()):
                    found.append(label[len(head):].strip())
                    break
        return found

    def status_of(self, labels: Iterable[str]) -> Status | None:
        """The status a set of labels carries, if exactly one valid status label is there."""
        values = {s for s in map(parse_status, self._values(labels, self.status_prefix)) if s}
        return values.pop() if len(values) == 1 else None

    def severity_of(self, labels: Iterable[str]) -> Severity | None:
        values = {s for s in map(parse_severity, self._values(labels, self.severity_prefix)) if s}
        return values.pop() if len(values) == 1 else None

    def components_of(self, labels: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(self._values(labels, self.component_prefix))))

    def status_labels(self, labels: Iterable[str]) -> list[str]:
        """Every label in `labels` that is a status label (to swap one for another)."""
        return [l for l in labels if self._values([l], self.status_prefix)]

    def is_incident(self, labels: Iterable[str]) -> bool:
        return any(l.lower() == self.incident.lower() for l in labels)
