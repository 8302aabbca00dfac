"""Similar past incidents (issue 18, item 4): which are found, how the summary lists them, and the Recurrence check."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checks import review
from checks.rules import RECURRENCE_NOT_CHECKED, recurrence_findings, run_checks
from incidents.config import load_config
from incidents.document import parse_document
from incidents.model import Incident, Status
from incidents.profiles import get_profile
from incidents.similar import (
    HEADING,
    Subject,
    actions_state,
    close_words,
    eligible,
    find_similar,
    named_in,
    repository_group,
    similar_lines,
    text_similarity,
)

BASE = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
HOME = "acme/api"


def past(number, title, taxonomy=None, components=(), root_cause=None, repository=HOME, days=0, **more):
    return Incident("github", repository, number, title, Status.RESOLVED, components=components, taxonomy=taxonomy,
                    root_cause=root_cause, reported_at=BASE + timedelta(days=days),
                    url=f"https://github.com/{repository}/issues/{number}", **more)


PAST = [
    past(11, "Orders table locked by a migration", "FAILED_MIGRATION", ("db",), ttr_seconds=5400.0,
         open_actions=1, done_actions=2, days=1),
    past(12, "Search index rebuild broke queries", "FAILED_MIGRATION < MISSING_TEST", ("search",),
         ttr_seconds=1800.0, open_actions=0, done_actions=2, days=2),
    past(7, "Billing columns dropped too early", "FAILED_MIGRATION < INCOMPLETE_PERSPECTIVE",
         repository="acme/billing", ttr_seconds=86400.0 * 2, days=3),
    past(13, "CDN certificate expired", "ROTATION_FAILURE", ("cdn",), "The certificate rotation job was disabled",
         days=4),
]
SUBJECT = Subject("Checkout schema change locked the orders table", ("FAILED_MIGRATION", "MISSING_TEST"), ("db",),
                  "A migration took a table lock on orders for twenty minutes.")


def test_three_past_incidents_with_the_same_taxonomy_are_found_and_the_unrelated_one_is_not():
    found = find_similar(SUBJECT, PAST)
    assert [(s.incident.repository, s.incident.number) for s in found] == [
        ("acme/api", 11), ("acme/api", 12), ("acme/billing", 7)]  # the most in common first
    assert found[0].reasons == ("taxonomy `FAILED_MIGRATION`", "components `db`", "similar title")
    assert found[1].reasons == ("taxonomy `FAILED_MIGRATION < MISSING_TEST`",)


def test_no_more_than_three_are_listed_and_the_newest_wins_a_tie():
    many = [past(n, f"Incident {n}", "FAILED_MIGRATION", days=n) for n in range(20, 25)]
    assert [s.incident.number for s in find_similar(Subject("x", ("FAILED_MIGRATION",)), many)] == [24, 23, 22]


def test_similar_text_alone_finds_one_word_order_and_inflections_aside():
    assert text_similarity("Connection pool exhausted on the API database",
                           "API database connection pools ran out") >= 0.5
    assert text_similarity("CDN certificate expired", "Connection pool exhausted") == 0.0
    assert close_words("timeout", "timeouts") and close_words("deploy", "deployed")
    assert not close_words("lock", "block") and not close_words("cache", "cached-pages-everywhere")
    subject = Subject("Login fails with timeouts", root_cause="The session cache evicted every session key")
    found = find_similar(subject, [past(30, "Logins failing: timeout", days=5),
                                   past(31, "Slow pages", root_cause="Session cache evicted all session keys")])
    assert [(s.incident.number, s.reasons) for s in found] == [(31, ("similar root cause",)),
                                                             (30, ("similar title",))]


def test_who_may_be_listed():
    key = ("github", HOME, 40)
    assert not eligible(past(40, "itself"), key, False, None)
    assert not eligible(past(41, "untracked", tracking=False), key, False, None)
    assert not eligible(past(42, "private", private=True), key, False, None)
    assert eligible(past(42, "private", private=True), key, True, None)
    assert not eligible(past(43, "later", days=10), key, False, BASE + timedelta(days=5))
    assert eligible(past(44, "earlier", days=1), key, False, BASE + timedelta(days=5))
    assert repository_group("acme/api") == "acme" and repository_group("grp/sub/proj") == "grp/sub"


def test_the_summary_lines_carry_ttr_and_corrective_actions_state():
    lines = similar_lines(find_similar(SUBJECT, PAST), HOME)
    assert lines == [
        HEADING,
        "- [#11](https://github.com/acme/api/issues/11) Orders table locked by a migration · TTR 1.5 hours · "
        "corrective actions: 2 of 3 done (taxonomy `FAILED_MIGRATION`; components `db`; similar title)",
        "- [#12](https://github.com/acme/api/issues/12) Search index rebuild broke queries · TTR 30.0 minutes · "
        "corrective actions: all 2 done (taxonomy `FAILED_MIGRATION < MISSING_TEST`)",
        "- [acme/billing#7](https://github.com/acme/billing/issues/7) Billing columns dropped too early · "
        "TTR 2.0 days · corrective actions: none recorded (taxonomy `FAILED_MIGRATION`)",
    ]
    assert similar_lines((), HOME) == []
    assert actions_state(past(1, "x", open_actions=2)) == "0 of 2 done"


def test_a_mention_is_the_address_or_the_reference_never_a_longer_number():
    incident = PAST[0]  # acme/api#11
    assert named_in("Like #11, a lock.", incident, HOME) and named_in("see acme/api#11", incident, "acme/web")
    assert named_in("https://github.com/acme/api/issues/11", incident, "acme/web")
    assert not named_in("see #11", incident, "acme/web")  # there it is acme/web#11
    assert not named_in("#110 and acme/api#112 and https://github.com/acme/api/issues/113", incident, HOME)
    assert not named_in("other/api#11", incident, HOME)


RECURRENCE_UNNAMED = "No earlier incident had this root cause."
FULL_CONFIG, _ = load_config("profile: full\n")


def full_document(recurrence: str) -> str:
    from pathlib import Path

    text = (Path(__file__).parent.parent / "documents" / "filled-full.md").read_text()
    return text.replace(RECURRENCE_UNNAMED, recurrence)


def recurrence_warnings(body: str, profile: str = "full"):
    config = FULL_CONFIG if profile == "full" else load_config(None)[0]
    document, findings = review(body, config)
    similar = find_similar(SUBJECT, PAST)
    return [f for f in recurrence_findings(document, config.get_profile(), findings, similar, HOME)
            if f.code == "recurrence-not-checked"]


def test_the_warning_appears_and_disappears_as_the_recurrence_section_names_them():
    [warning] = recurrence_warnings(full_document(RECURRENCE_UNNAMED))
    assert warning.severity == "warning" and warning.section == "Recurrence" and warning.line == 77
    assert warning.message == RECURRENCE_NOT_CHECKED.format(refs="#11, #12, acme/billing#7")
    assert recurrence_warnings(full_document("Same cause as #11: the lock timeout was never set.")) == []
    assert recurrence_warnings(full_document("Like acme/billing#7, we dropped too early.")) == []


def test_only_profiles_with_a_recurrence_section_get_the_warning():
    body = (  # the default profile has no Recurrence section
        "## Timeline\n\n2026-09-10 10:00 - locked\n\n## Root cause analysis\n\nA lock.\n\n## Actions\n\n- [ ] x @a\n")
    assert recurrence_warnings(body, profile="default") == []


def test_run_checks_takes_the_similar_incidents_too():
    profile = get_profile("full")
    document = parse_document(full_document(RECURRENCE_UNNAMED), profile)
    codes = [f.code for f in run_checks(document, profile, similar=find_similar(SUBJECT, PAST), home=HOME)]
    assert codes.count("recurrence-not-checked") == 1
    assert "recurrence-not-checked" not in [f.code for f in run_checks(document, profile)]
