"""Handler rules over the in-memory forge: a rule, its forge state, its answer; no HTTP, no worker."""
from __future__ import annotations

import pytest

from forges.errors import TransientForgeError
from handlers.lifecycle import open_actions
from incidents.document import parse_document
from incidents.profiles import get_profile
from tests.fakes.memory_forge import MemoryForge

ACTIONS = """## Actions

- [x] Revert the pool settings @carol acme/api#301
- [ ] Load-test connection settings @dave acme/api#302
- [ ] Alert on saturation @erin https://github.com/acme/infra/issues/77
- [ ] Write the runbook @bob
"""


def still_open(forge) -> list[str | None]:
    """The owners of the action items `open_actions` still counts as open in ACTIONS, homed in acme/api."""
    return [a.owner for a in open_actions(forge, parse_document(ACTIONS, get_profile(None)), "acme/api")]


def test_a_closed_follow_up_counts_as_done_and_a_ticked_item_needs_no_follow_up():
    forge = MemoryForge()
    forge.add_issue("acme/api", 302, state="closed")
    forge.add_issue("acme/infra", 77, state="open")
    assert still_open(forge) == ["erin", "bob"]


def test_a_follow_up_the_bot_cannot_read_counts_as_open():
    assert still_open(MemoryForge()) == ["dave", "erin", "bob"]  # neither follow-up exists: 404s


def test_a_transient_error_reading_a_follow_up_is_raised_so_the_delivery_is_retried():
    class Down(MemoryForge):
        def get_issue(self, repository, number):
            raise TransientForgeError("502 Bad Gateway", status=502)

    with pytest.raises(TransientForgeError):
        still_open(Down())


def test_an_installation_asks_for_one_set_up_per_repository_and_writes_nothing_itself():
    from forges.events import INSTALLATION, Actor, InstallationEvent
    from handlers.onboarding import set_up_repositories
    from tests.fakes.context import fake_context

    ctx = fake_context()  # its MemoryForge has no label calls at all: one would raise
    event = InstallationEvent(kind=INSTALLATION, action="added", platform="github", repository="o/a", number=0,
                              actor=Actor("octocat"), installation_id=7, repositories=("o/a", "o/b", "o/c"))
    set_up_repositories(event, ctx)
    assert ctx.jobs.asked == [("set up", "o/a"), ("set up", "o/b"), ("set up", "o/c")]
    assert ctx.forge.comments == []
