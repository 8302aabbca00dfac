"""Label names for status, severity, components and postmortem state (DESIGN "Settled details: Labels").

Status, severity and postmortem state are one-of-a-kind labels: scoped on GitLab
(`status::identified`), prefixed on GitHub (`status: identified`). The forge supplies the
separator and the repository config may rename anything, so this module knows no platform.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from incidents.model import Severity, Status, parse_severity, parse_status

INCIDENT_LABEL = "incident"
MAINTENANCE_LABEL = "maintenance"


@dataclass(frozen=True)
class LabelScheme:
    status_prefix: str
    severity_prefix: str
    postmortem_complete: str
    postmortem_incomplete: str
    incident: str = INCIDENT_LABEL
    component_prefix: str = "component: "  # components are any number, so never scoped
    blog_draft: str = "blog-draft"
    private: str = "incident: private"  # keeps a GitHub incident off everything public
    maintenance: str = MAINTENANCE_LABEL  # a scheduled maintenance's issue (issue 18)

    @classmethod
    def with_separator(cls, separator: str, labels_config=None) -> LabelScheme:
        """Defaults for a forge's separator, overridden by the repository's `labels` config."""
        scheme = cls(status_prefix=f"status{separator}", severity_prefix=f"severity{separator}",
                     postmortem_complete=f"postmortem{separator}complete",
                     postmortem_incomplete=f"postmortem{separator}incomplete")
        if labels_config is None:
            return scheme
        return cls(
            status_prefix=labels_config.status_prefix or scheme.status_prefix,
            severity_prefix=labels_config.severity_prefix or scheme.severity_prefix,
            postmortem_complete=labels_config.postmortem_complete or scheme.postmortem_complete,
            postmortem_incomplete=labels_config.postmortem_incomplete or scheme.postmortem_incomplete,
            incident=labels_config.incident or scheme.incident,
            component_prefix=labels_config.component_prefix or scheme.component_prefix,
            blog_draft=labels_config.blog_draft or scheme.blog_draft,
            private=labels_config.private or scheme.private,
            maintenance=getattr(labels_config, "maintenance", None) or scheme.maintenance,
        )

    def status(self, status: Status) -> str:
        return f"{self.status_prefix}{status.value}"

    def severity(self, severity: Severity) -> str:
        return f"{self.severity_prefix}{severity.value}"

    def component(self, component_id: str) -> str:
        return f"{self.component_prefix}{component_id}"

    def postmortem(self, complete: bool) -> str:
        return self.postmortem_complete if complete else self.postmortem_incomplete

    @staticmethod
    def _values(labels: Iterable[str], prefix: str) -> list[str]:
        head = prefix.strip().lower()
        return [label.strip()[len(head):].strip() for label in labels
                if label.strip().lower().startswith(head) and len(label.strip()) > len(head)]

    def status_of(self, labels: Iterable[str]) -> Status | None:
        """The status the labels carry, if exactly one valid status label is there."""
        values = {s for s in map(parse_status, self._values(labels, self.status_prefix)) if s}
        return values.pop() if len(values) == 1 else None

    def severity_of(self, labels: Iterable[str]) -> Severity | None:
        values = {s for s in map(parse_severity, self._values(labels, self.severity_prefix)) if s}
        return values.pop() if len(values) == 1 else None

    def components_of(self, labels: Iterable[str]) -> tuple[str, ...]:
        return tuple(sorted(set(self._values(labels, self.component_prefix))))

    def status_labels(self, labels: Iterable[str]) -> list[str]:
        return [label for label in labels if self._values([label], self.status_prefix)]

    def severity_labels(self, labels: Iterable[str]) -> list[str]:
        return [label for label in labels if self._values([label], self.severity_prefix)]

    def component_labels(self, labels: Iterable[str]) -> list[str]:
        return [label for label in labels if self._values([label], self.component_prefix)]

    def postmortem_labels(self, labels: Iterable[str]) -> list[str]:
        names = {self.postmortem_complete.lower(), self.postmortem_incomplete.lower()}
        return [label for label in labels if label.lower() in names]

    def is_incident(self, labels: Iterable[str]) -> bool:
        return any(label.lower() == self.incident.lower() for label in labels)

    def is_private(self, labels: Iterable[str], confidential: bool = False) -> bool:
        """Kept off everything public: a confidential issue (GitLab) or one carrying the private label."""
        return confidential or any(label.lower() == self.private.lower() for label in labels)

    def is_maintenance(self, labels: Iterable[str]) -> bool:
        return any(label.lower() == self.maintenance.lower() for label in labels)
