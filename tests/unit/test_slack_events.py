"""Slack's payloads read as chat events (chat/slack_events.py): Slack's documented examples, and anything else."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chat.events import ChatCommand, MessageToTimeline
from chat.slack_events import (
    ack_text,
    command_name,
    plain_text,
    team_of,
    to_chat_event,
    usage,
    wants_help,
)
from tests.slack_support import pushpin, shortcut
from tests.support import load_fixture

AT = datetime(2026, 12, 3, 7, 30, tzinfo=UTC)




def test_a_slash_command_is_a_chat_command():
    fields = {**load_fixture("slack", "slash_command"), "command": "/incident", "text": " db is down "}
    assert to_chat_event("command", fields, received_at=AT) == ChatCommand(
        team="T0001", channel="C2147483705", user="U2147483697", user_name="Steve", text="db is down",
        response_url="https://hooks.slack.com/commands/1234/5678",
        trigger="13345224609.738474920.8088930838d88f008e0", at=AT)


def test_a_slash_command_without_a_time_is_now():
    event = to_chat_event("command", load_fixture("slack", "slash_command"))
    assert isinstance(event, ChatCommand)
    assert abs((datetime.now(UTC) - event.at).total_seconds()) < 5


@pytest.mark.parametrize("missing", ["team_id", "channel_id", "user_id", "response_url", "trigger_id"])
def test_a_slash_command_without_what_it_needs_is_none(missing):
    fields = load_fixture("slack", "slash_command")
    assert to_chat_event("command", {**fields, missing: ""}) is None
    del fields[missing]
    assert to_chat_event("command", fields) is None


def test_command_text_has_slacks_escaping_undone_and_mentions_kept():
    text = ("status identified &lt;b&gt; &amp; &amp;lt; <@U012AB3CD|steve> and <@W0123> in <#C012AB3CD|general> "
            "<#C0999|> <!here> <!channel> <!subteam^SAZ94GDB8|@oncall> caused by <https://x.io/pr/3> "
            "<http://x.io|x.io> <mailto:bob@x.io|bob@x.io> <https://x.io/a|see this>")
    fields = {**load_fixture("slack", "slash_command"), "text": text}
    assert to_chat_event("command", fields, received_at=AT).text == (
        "status identified <b> & &lt; <@U012AB3CD> and <@W0123> in #general #C0999 @here @channel @oncall "
        "caused by https://x.io/pr/3 x.io bob@x.io see this (https://x.io/a)")


def test_plain_text_keeps_text_without_markup():
    assert plain_text("World's smallest big cat! 100% <3") == "World's smallest big cat! 100% <3"
    assert plain_text("<!date^1392734382^{date}|Feb 18, 2014>") == "Feb 18, 2014"


def test_a_pushpin_reaction_is_a_message_to_the_timeline():
    assert to_chat_event("event", pushpin()) == MessageToTimeline(
        team="T123ABC456", channel="C123ABC456", user="U123ABC456", message_ts="1360782400.498405",
        delivery_id="Ev123ABC456", text=None, author="U222222222")



@pytest.mark.parametrize("ts", ["status", "1e308", "99999999999999999999.000001", "1360782400", "-1.5", "1.2.3",
                                "\u0661\u0662.\u0663"])
def test_a_message_time_that_is_not_slacks_is_not_a_message_to_the_timeline(ts):
    """A message's `ts` is Slack's `<seconds>.<microseconds>`; anything else would fail later as a time."""
    reacted, shortcut_on = pushpin(), shortcut()
    reacted["event"]["item"]["ts"] = ts
    shortcut_on["message"]["ts"] = shortcut_on["message_ts"] = ts
    assert to_chat_event("event", reacted) is None and to_chat_event("interaction", shortcut_on) is None

def test_a_reaction_to_a_message_no_user_wrote_has_no_author():
    payload = pushpin()
    del payload["event"]["item_user"]  # the docs: messages from incoming webhooks carry none
    assert to_chat_event("event", payload).author is None


@pytest.mark.parametrize("change", [
    lambda p: p["event"].update(reaction="thumbsup"),
    lambda p: p["event"].update(reaction="round_pushpin"),
    lambda p: p["event"].update(type="reaction_removed"),
    lambda p: p["event"].update(item={"type": "file", "file": "F1"}),
    lambda p: p["event"].update(item="C1"),
    lambda p: p.update(type="app_rate_limited"),
    lambda p: p.update(event=None),
    lambda p: p.pop("event_id"),
    lambda p: p.pop("team_id"),
    lambda p: p["event"].pop("user"),
    lambda p: p["event"]["item"].pop("ts"),
    lambda p: p["event"]["item"].update(channel=42),
])
def test_other_events_are_not_ours(change):
    payload = pushpin()
    change(payload)
    assert to_chat_event("event", payload) is None


def test_the_add_to_timeline_shortcut_is_a_message_to_the_timeline_with_its_text():
    assert to_chat_event("interaction", shortcut()) == MessageToTimeline(
        team="T0MJRM1A7", channel="D0LFFBKLZ", user="U0D15K92L", message_ts="1516229207.000133",
        delivery_id="13345224609.8534564800.6f8ab1f53e13d0cd15f96106292d5536",
        text="World's smallest big cat! https://youtube.com/watch?v=W86cTIoMv2U", author="U0MJRG1AL")


def test_an_organisation_wide_install_names_the_team_through_the_user():
    payload = {**shortcut(), "team": None, "user": {"id": "W111", "name": "x", "team_id": "T111"}}
    assert to_chat_event("interaction", payload).team == "T111"
    assert team_of("interaction", payload) == "T111"


@pytest.mark.parametrize("change", [
    {"callback_id": "chirp_message"},
    {"type": "shortcut"},  # a global shortcut: no message
    {"message": None},
    {"message": {"type": "message", "text": "no ts"}},
    {"channel": None},
    {"trigger_id": None},
    {"team": None},
])
def test_other_interactions_are_not_ours(change):
    assert to_chat_event("interaction", {**shortcut(), **change}) is None


def test_a_shortcut_on_a_message_without_text_has_none():
    payload = shortcut()
    del payload["message"]["text"]
    assert to_chat_event("interaction", payload).text is None


def test_the_team_of_each_kind():
    assert team_of("command", load_fixture("slack", "slash_command")) == "T0001"
    assert team_of("event", pushpin()) == "T123ABC456"
    assert team_of("interaction", shortcut()) == "T0MJRM1A7"
    assert team_of("event", load_fixture("slack", "url_verification")) is None
    assert team_of("event", {"team_id": 7}) is None


def test_an_unknown_kind_is_not_ours():
    assert to_chat_event("other", pushpin()) is None


@pytest.mark.parametrize(("text", "name", "answer"), [
    ("db is down", None, "Declaring the incident…"),
    ("status identified the disk is full", "status", "Working on it…"),
    ("Ops_Lead <@U1>", "ops-lead", "Working on it…"),
    ("incident db is down", None, "Declaring the incident…"),
    ("help me, the site is down", "help", "Working on it…"),
])
def test_a_commands_name_and_its_answer(text, name, answer):
    assert command_name(text) == name
    assert ack_text(text) == answer


def test_help_is_the_empty_text_or_help_alone():
    assert [wants_help(t) for t in ("", "  ", "help", " Help ", "help me", "db down")] == [
        True, True, True, True, False, False]


def test_the_usage_lists_the_command_table_escaped_for_slack():
    text = usage()
    assert text.splitlines()[0].startswith("`/incident &lt;what went wrong&gt;`: Open a new incident issue")
    assert "`/incident severity &lt;major-outage|" in text
    assert "`/incident help" not in text and "<" not in text and ">" not in text


payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.sampled_from(["event_callback", "reaction_added", "pushpin", "message", "message_action", "add_to_timeline"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["type", "event", "reaction", "item", "ts", "channel", "user", "team", "team_id", "id",
                         "event_id", "callback_id", "trigger_id", "message", "text", "channel_id", "user_id",
                         "response_url"]), inner, max_size=8),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(kind=st.sampled_from(["command", "event", "interaction"]), payload=st.dictionaries(
    st.sampled_from(["type", "event", "team", "team_id", "channel", "user", "message", "callback_id", "trigger_id",
                     "event_id", "text", "channel_id", "user_id", "response_url", "message_ts"]),
    payloads, max_size=10))
def test_no_payload_makes_it_raise(kind, payload):
    """Anyone can post anything that is signed: reading it never raises."""
    event = to_chat_event(kind, payload, received_at=AT)
    assert event is None or isinstance(event, (ChatCommand, MessageToTimeline))
    team_of(kind, payload)
