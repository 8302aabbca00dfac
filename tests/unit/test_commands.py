"""Slash commands: which lines of a comment are commands, and what each asks for."""
from datetime import date, time, timedelta

import pytest

from incidents.command_table import COMMANDS
from incidents.commands import Command, CommandError, parse_commands
from incidents.model import Severity, Status
from incidents.timeline import TIMELINE_TAGS

TODAY = date(2026, 11, 20)


def parse(comment, **kwargs):
    return parse_commands(comment, today=TODAY, **kwargs)


def one(comment, **kwargs):
    """The single command or error a one-line comment holds."""
    found = parse(comment, **kwargs)
    assert len(found) == 1, found
    return found[0]


def args(comment, **kwargs):
    found = one(comment, **kwargs)
    assert isinstance(found, Command), found
    return dict(found.args)


def error(comment, **kwargs):
    found = one(comment, **kwargs)
    assert isinstance(found, CommandError), found
    return found


# --- which lines are commands ---------------------------------------------------------------

def test_several_commands_and_prose_in_one_comment_in_order():
    comment = (
        "Rolled back, looks better now.\n"
        "/status monitoring error rate is dropping\n"
        "\n"
        "Some more prose about /status in the middle of a sentence.\n"
        "/severity partial-outage\n"
        "/timeline 14:05 rollback started\n"
        "thanks all\n"
    )
    found = parse(comment)
    assert [(c.name, c.line) for c in found] == [("status", 2), ("severity", 5), ("timeline", 6)]
    assert found[0].args == {"status": Status.MONITORING, "message": "error rate is dropping"}
    assert found[0].raw == "/status monitoring error rate is dropping"
    assert found[1].args["severity"] is Severity.PARTIAL_OUTAGE


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_works_in_the_desk_form(name):
    sample = {
        "incident": "db is down", "status": "identified", "severity": "major-outage", "component": "api",
        "commander": "@alice", "ops-lead": "@alice", "comms": "@alice", "timeline": "14:05 x",
        "action": "x @alice", "caused-by": "!34", "fixed-by": "!35", "taxonomy": "MISSING_TEST",
        "close": "--force", "workaround": "restart it",
        "snooze": "3d",
    }.get(name, "")
    bare, desk = one(f"/{name} {sample}"), one(f"/desk {name} {sample}")
    assert isinstance(desk, Command) and desk.name == name
    assert desk.args == bare.args


def test_names_are_case_insensitive():
    assert args("/STATUS Resolved done")["status"] is Status.RESOLVED
    assert one("/Desk Ops-Lead @bob").name == "ops-lead"


def test_commands_in_code_blocks_comments_and_quotes_are_ignored():
    comment = (
        "```\n/status resolved\n```\n"
        "    /severity operational\n"
        "\n"
        "> /status resolved\n"
        "> > /desk close --force\n"
        "\n"
        "<!--\n/status resolved\n-->\n"
        "~~~\n/timeline 10:00 x\n"  # an unclosed fence runs to the end
    )
    assert parse(comment) == []


def test_a_line_run_on_after_a_quote_is_the_authors_own():
    found = parse("> what is the status?\n/status identified")
    assert [c.name for c in found] == ["status"]


def test_gitlab_quick_actions_and_other_slash_words_are_ignored():
    comment = "/label ~bug\n/assign @x\n/shrug\n/estimate 1h\n/etc/hosts is full\n/incident-review tomorrow\n"
    assert parse(comment) == []


def test_desk_with_an_unknown_or_missing_command_is_an_error():
    found = error("/desk nosuch thing")
    assert found.name is None and "nosuch" in found.message and found.line == 1
    assert error("/desk").name is None


def test_crlf_comment_lines_and_numbers():
    found = parse("hello\r\n/status resolved\r\n/help\r\n")
    assert [(c.name, c.line, c.raw) for c in found] == [("status", 2, "/status resolved"), ("help", 3, "/help")]


def test_odd_input_does_not_raise():
    assert parse("") == [] and parse(None) == []
    assert parse("> " * 3000 + "/status x") == []
    assert parse("/\n/ \n//status x\n/desk /help") == [Command("help", {}, 4, "/desk /help")]


# --- arguments ------------------------------------------------------------------------------

def test_incident_and_workaround_need_text():
    assert args("/incident db is down") == {"text": "db is down"}
    assert args("/workaround https://example.com/kb/1") == {"text": "https://example.com/kb/1"}
    assert error("/incident").message and error("/workaround   ").name == "workaround"


def test_status_with_and_without_message_and_unknown_status():
    assert args("/status resolved") == {"status": Status.RESOLVED, "message": ""}
    found = error("/status fixed it")
    assert found.name == "status" and "`fixed`" in found.message
    assert error("/status").name == "status"


@pytest.mark.parametrize("written", ["major-outage", "major outage", "major_outage", "Major Outage"])
def test_severity_spellings(written):
    assert args(f"/severity {written}") == {"severity": Severity.MAJOR_OUTAGE}


def test_severity_errors():
    assert "`S1`" in error("/severity S1").message
    assert error("/severity").name == "severity"


def test_components_split_on_spaces_and_commas():
    assert args("/component api, web  db,api") == {"components": ("api", "web", "db")}
    assert error("/component").name == "component"
    assert "`ap!`" in error("/component ap!").message


@pytest.mark.parametrize("name", ["commander", "ops-lead", "comms"])
def test_roles_take_a_login(name):
    assert args(f"/{name} @alice-b") == {"login": "alice-b"}
    assert args(f"/{name} carol.d_e") == {"login": "carol.d_e"}
    assert error(f"/{name}").name == name
    assert "`@al!ce`" in error(f"/{name} @al!ce").message


def test_timeline_forms():
    assert args("/timeline 14:05 rollback started") == {
        "date": None, "time": time(14, 5), "offset": None, "tag": None, "text": "rollback started"}
    assert args("/timeline 2026-11-19 9:30 -05:00 [detected] alert fired") == {
        "date": date(2026, 11, 19), "time": time(9, 30), "offset": timedelta(hours=-5),
        "tag": "detected", "text": "alert fired"}
    assert args("/timeline 14:05+01:30 - [Impact_Start] deploy")["offset"] == timedelta(hours=1, minutes=30)
    assert args("/timeline 14:05 - x")["text"] == "x"
    assert args("/timeline yesterday 23:59 x")["date"] == date(2026, 11, 19)
    assert args("/timeline 14:05 [see logs](https://x) slow")["tag"] is None


@pytest.mark.parametrize("comment, words", [
    ("/timeline 25:00 x", "`25:00`"),
    ("/timeline 14:61 x", "`14:61`"),
    ("/timeline 2026-02-30 14:00 x", "`2026-02-30`"),
    ("/timeline 2026-13-01 14:00 x", "`2026-13-01`"),
    ("/timeline rollback started", "HH:MM"),
    ("/timeline 14:05", "what happened"),
    ("/timeline 14:05 [oops] x", "`[oops]`"),
    ("/timeline 14:05 +25:00 x", "`+25:00`"),
])
def test_timeline_errors(comment, words):
    found = error(comment)
    assert found.name == "timeline" and words in found.message


def test_unknown_tag_message_lists_the_tags():
    assert all(f"[{tag}]" in error("/timeline 14:05 [oops] x").message for tag in TIMELINE_TAGS)


def test_action_owner_due_and_repository():
    assert args("/action add alert on queue depth @alice due 2026-12-01 in team/backlog") == {
        "text": "add alert on queue depth", "owner": "alice", "due": date(2026, 12, 1),
        "repository": "team/backlog"}
    assert args("/action pin versions @bob in group/sub/project due 2020-01-01") == {
        "text": "pin versions", "owner": "bob", "due": date(2020, 1, 1),  # a past due date is allowed
        "repository": "group/sub/project"}
    assert args("/action write the runbook") == {
        "text": "write the runbook", "owner": None, "due": None, "repository": None}


def test_action_owner_is_the_last_mention():
    found = args("/action ask @bob to review the alert @carol")
    assert found["owner"] == "carol" and found["text"] == "ask @bob to review the alert"
    assert args("/action pair with @dave on the fix")["owner"] == "dave"


def test_action_errors():
    assert "`2026-02-30`" in error("/action fix it @a due 2026-02-30").message
    assert error("/action @alice").name == "action"
    assert error("/action").name == "action"


@pytest.mark.parametrize("ref", [
    "!34", "#56", "group/project!34", "group/sub/project!34", "owner/repo#56",
    "https://github.com/o/r/pull/5", "https://gitlab.com/g/p/-/merge_requests/5",
])
@pytest.mark.parametrize("name", ["caused-by", "fixed-by"])
def test_merge_request_references(name, ref):
    assert args(f"/{name} {ref}") == {"ref": ref, "kind": "merge_request"}


@pytest.mark.parametrize("ref", [
    "deadbeef", "0123456789abcdef0123456789abcdef01234567",
    "https://github.com/o/r/commit/0123456789abcdef0123456789abcdef01234567",
    "https://gitlab.com/g/p/-/commit/abcdef12",
])
def test_commits_are_refused_as_cause_or_fix(ref):
    found = error(f"/caused-by {ref}")
    assert found.name == "caused-by" and "Only merge requests" in found.message


def test_other_bad_references():
    assert "is an issue" in error("/fixed-by https://github.com/o/r/issues/5").message
    assert error("/fixed-by").name == "fixed-by"
    assert "not a merge request" in error("/fixed-by soon").message


def test_taxonomy_terms_and_trees():
    assert args("/taxonomy missing test") == {"terms": ("MISSING_TEST",)}
    assert args("/taxonomy DATA_QUALITY < missing-alert") == {"terms": ("DATA_QUALITY", "MISSING_ALERT")}
    assert args("/taxonomy OUR_OWN", extra_terms=["our own"]) == {"terms": ("OUR_OWN",)}


def test_taxonomy_errors_name_the_term_and_suggest():
    found = error("/taxonomy MISSING_TEST < DATA_QUALITI")
    assert "`DATA_QUALITI`" in found.message and "DATA_QUALITY" in found.message.split("mean")[1]
    assert "`OUR_OWN`" in error("/taxonomy OUR_OWN").message
    assert error("/taxonomy").name == "taxonomy"
    assert error("/taxonomy A <").name == "taxonomy"


def test_close_needs_force():
    assert args("/close --force customers are fine") == {"force": True, "reason": "customers are fine"}
    assert args("/close --force") == {"force": True, "reason": ""}
    assert "--force" in error("/close").message
    assert "--force" in error("/close now please").message


@pytest.mark.parametrize("name", ["postmortem", "unpublish", "blog", "help"])
def test_commands_without_arguments_ignore_extra_words(name):
    assert args(f"/{name}") == {} and args(f"/{name} please") == {}


def test_publish_takes_nothing_or_postmortem():
    assert args("/publish") == {"postmortem": False}
    assert args("/publish Postmortem") == {"postmortem": True}
    assert "postmortem" in error("/publish everything").message


# --- messages over several lines (issue 13 item 20) ---------------------------------------------

FLUID_CLOSING = (
    "/status resolved The connection pool fix is deployed.\n"
    "The API is operating normally again.\n"
    "\n"
    "thanks all\n"
)


def test_status_message_takes_the_lines_up_to_a_blank_line():
    """issue 13 item 20: Fluid's two-line closing message (reference/000) reaches the command whole."""
    [found] = parse(FLUID_CLOSING)
    assert found.args["message"] == ("The connection pool fix is deployed.\n"
                                     "The API is operating normally again.")
    assert found.raw == "/status resolved The connection pool fix is deployed."  # the command line itself
    assert found.line == 1


def test_message_lines_end_at_the_next_command_a_quote_or_a_fence():
    """issue 13 item 20: the next command (ours or the forge's), a quote or a code block ends a message."""
    found = parse("/status monitoring error rate dropping\nstill watching\n/severity degraded-performance")
    assert found[0].args["message"] == "error rate dropping\nstill watching" and found[1].name == "severity"
    found = parse("/status identified bad deploy\n/label ~incident\nnot part of it")
    assert found[0].args["message"] == "bad deploy"
    assert parse("/status identified bad deploy\n> quoted\n")[0].args["message"] == "bad deploy"
    assert parse("/status identified bad deploy\n```\ncode\n```\n")[0].args["message"] == "bad deploy"
    assert parse("/status resolved\nAll fixed.\nBack to normal.")[0].args["message"] == "All fixed.\nBack to normal."
    assert error("/status\nresolved").message == "Give the new status."  # the status stays on the command line


def test_workaround_takes_following_lines_and_one_line_commands_do_not():
    """issue 13 item 20: `/workaround` text may run on; timeline entries, actions and titles stay one line."""
    assert args("/workaround Use the EU endpoint:\nhttps://eu.example.com/api")["text"] == \
        "Use the EU endpoint:\nhttps://eu.example.com/api"
    assert args("/workaround\nRestart the agent.")["text"] == "Restart the agent."
    found = parse("/timeline 14:05 rollback started\nthanks all")
    assert found[0].args["text"] == "rollback started"
    assert parse("/incident api errors\nseen by two customers")[0].args["text"] == "api errors"
