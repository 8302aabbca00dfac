"""The onboarding pull/merge request of each repository (a mixin of `Store`, issue 19): whether one was
opened, merged or declined, so a repository gets one at most and "no thanks" is remembered."""
from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from store.models import OnboardingRow

OPENED, MERGED, DECLINED = "opened", "merged", "declined"


@dataclass(frozen=True)
class Onboarding:
    platform: str
    repository: str
    state: str  # OPENED | MERGED | DECLINED
    number: int | None = None
    url: str = ""


class OnboardingStore:
    """Mixed into `Store`; needs its `session()`."""

    if TYPE_CHECKING:  # Store's, declared for the type checker
        def session(self) -> AbstractContextManager[Session]: ...

    def onboarding(self, platform: str, repository: str) -> Onboarding | None:
        """The repository's onboarding pull/merge request as last recorded (repository names compare
        case-insensitively, as on the forges)."""
        with self.session() as s:
            row = _onboarding_row(s, platform, repository)
            return Onboarding(row.platform, row.repository, row.state, row.number, row.url) if row else None

    def record_onboarding(self, onboarding: Onboarding) -> None:
        """Insert or update the repository's onboarding record."""
        try:
            self._write_onboarding(onboarding)
        except IntegrityError:  # another worker inserted it between our read and our insert
            self._write_onboarding(onboarding)

    def _write_onboarding(self, onboarding: Onboarding) -> None:
        with self.session() as s:
            row = _onboarding_row(s, onboarding.platform, onboarding.repository)
            if row is None:
                row = OnboardingRow(platform=onboarding.platform, repository=onboarding.repository)
                s.add(row)
            row.state, row.number, row.url = onboarding.state, onboarding.number, onboarding.url
            row.updated_at = datetime.now(UTC)


def _onboarding_row(s: Session, platform: str, repository: str) -> OnboardingRow | None:
    return s.scalars(select(OnboardingRow).where(OnboardingRow.platform == platform,
                                                 func.lower(OnboardingRow.repository) == repository.lower())).first()
