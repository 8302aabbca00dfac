"""The chat adapters against faked HTTP (issue 16): SlackChat on the stateful Slack fake, every call's request
asserted; Slack's errors mapped to ChatError / TransientChatError; Apprise to a Discord and a Microsoft Teams
(Workflows) webhook, asserting the JSON each received."""
from __future__ import annotations

import importlib.util
import io
import json
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import requests
import responses
from responses import matchers
from slack_sdk.signature import SignatureVerifier

from chat import build_chat
from chat.announce import AppriseAnnouncer
from chat.base import ChatError, TransientChatError
from chat.slack import SlackChat, retry_after
from incident_desk.settings import Settings
from incidents.text import escape
from tests.fakes.slack import BOT_USER, RESPONSE_URL, SLACK_API, SLACK_TEAM, FakeSlack, slack_params

ZWJ = "\u200d"


@pytest.fixture
def slack_settings():
    return Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_TEAM_ID": SLACK_TEAM,
                              "SLACK_API_URL": SLACK_API})


@pytest.fixture
def slack(fake_api, monkeypatch):
    fake = FakeSlack(fake_api, monkeypatch)
    fake.add_user("U0ANA", "ana", "ana@example.com")
    fake.add_user("U0BEN", "ben")
    return fake


@pytest.fixture
def chat(slack, slack_settings):
    return build_chat(slack_settings)


def test_build_chat_needs_a_bot_token_and_uses_the_configured_api_url(slack_settings):
    assert build_chat(Settings.from_env({})) is None
    built = build_chat(slack_settings)
    assert isinstance(built, SlackChat)
    assert built.client.base_url == SLACK_API
    assert built.client.retry_handlers == []  # our retries are the job queue's, never slack-sdk's inside a call


def test_create_channel_sends_the_name_and_the_bearer_token(chat, slack, fake_api):
    channel = chat.create_channel("incident-2026-12-03-db-is-down")
    assert slack.sent("conversations.create") == [{"name": "incident-2026-12-03-db-is-down", "is_private": "0"}]
    assert fake_api.calls[0].request.headers["Authorization"] == "Bearer xoxb-test-token"
    assert channel.name == "incident-2026-12-03-db-is-down"
    assert channel.id == slack.channel_named(channel.name)["id"]
    assert channel.url == f"https://slack.com/app_redirect?channel={channel.id}&team={SLACK_TEAM}"


def test_a_taken_name_gets_the_next_free_suffix(chat, slack):
    slack.add_channel("incident-x")
    slack.add_channel("incident-x-2")
    channel = chat.create_channel("incident-x")
    assert [p["name"] for p in slack.sent("conversations.create")] == ["incident-x", "incident-x-2", "incident-x-3"]
    assert channel.name == "incident-x-3"


def test_a_suffix_keeps_the_name_within_slacks_80_characters(chat, slack):
    long = "incident-2026-12-03-" + "a" * 60
    slack.add_channel(long)
    assert chat.create_channel(long).name == long[:78] + "-2"


def test_another_refusal_to_create_is_a_chat_error_with_slacks_code(chat, slack):
    slack.fail("conversations.create", error="restricted_action")
    with pytest.raises(ChatError) as refused:
        chat.create_channel("incident-y")
    assert (refused.value.code, type(refused.value)) == ("restricted_action", ChatError)
    assert len(slack.sent("conversations.create")) == 1


def test_invite_sends_the_users_once_and_someone_already_in_is_no_error(chat, slack):
    channel = chat.create_channel("incident-z")
    chat.invite(channel.id, ["U0ANA", "U0ANA", ""])
    assert slack.sent("conversations.invite") == [{"channel": channel.id, "users": "U0ANA"}]
    chat.invite(channel.id, ["U0ANA", "U0BEN"])  # Slack refuses the pair for ana: ben is invited alone
    assert [p["users"] for p in slack.sent("conversations.invite")] == ["U0ANA", "U0ANA,U0BEN", "U0ANA", "U0BEN"]
    assert slack.channels[channel.id]["members"] == [BOT_USER, "U0ANA", "U0BEN"]
    chat.invite(channel.id, [])
    assert len(slack.sent("conversations.invite")) == 4


def test_post_and_update_send_mrkdwn_that_cannot_ping(chat, slack):
    channel = chat.create_channel("incident-p")
    user_text = escape("<!channel> *urgent* @here <@U0BEN> & co")
    ts = chat.post(channel.id, f"**Status:** identified — {user_text} [#12](https://github.com/a/b/issues/12)")
    [posted] = slack.sent("chat.postMessage")
    assert posted == {"channel": channel.id, "unfurl_links": False, "unfurl_media": False,
                      "text": f"*Status:* identified — &lt;!channel&gt; \u2217urgent\u2217 @{ZWJ}here "
                              f"&lt;@{ZWJ}U0BEN&gt; &amp; co <https://github.com/a/b/issues/12|#12>"}
    assert "link_names" not in posted and "parse" not in posted
    assert ts == slack.messages[channel.id][-1]["ts"]
    chat.update(channel.id, ts, "**Status:** resolved")
    assert slack.sent("chat.update") == [{"channel": channel.id, "ts": ts, "text": "*Status:* resolved"}]
    assert slack.messages[channel.id][-1]["text"] == "*Status:* resolved"


def test_pin_and_archive_are_idempotent(chat, slack):
    channel = chat.create_channel("incident-q")
    ts = chat.post(channel.id, "summary")
    chat.pin(channel.id, ts)
    chat.pin(channel.id, ts)  # already_pinned
    assert slack.sent("pins.add") == [{"channel": channel.id, "timestamp": ts}] * 2
    assert slack.channels[channel.id]["pins"] == [ts]
    chat.archive(channel.id)
    chat.archive(channel.id)  # already_archived
    assert slack.sent("conversations.archive") == [{"channel": channel.id}] * 2
    assert slack.channels[channel.id]["archived"] is True


def test_respond_posts_an_ephemeral_answer_to_the_response_url(chat, slack, fake_api):
    chat.respond(RESPONSE_URL, "Declared **#12**: <script>")
    assert slack.responses_posted == [(RESPONSE_URL, {"response_type": "ephemeral",
                                                      "text": "Declared *#12*: &lt;script&gt;"})]
    assert "Authorization" not in fake_api.calls[-1].request.headers  # a response_url takes no token


def test_respond_maps_an_expired_url_a_slack_outage_and_a_dropped_connection(chat, slack):
    slack.fail("response_url", status=404, body="expired_url")
    with pytest.raises(ChatError) as expired:
        chat.respond(RESPONSE_URL, "late")
    assert (type(expired.value), expired.value.code, expired.value.status) == (ChatError, "expired_url", 404)
    slack.fail("response_url", status=503, body="<html>down</html>")
    with pytest.raises(TransientChatError):
        chat.respond(RESPONSE_URL, "again")
    slack.drop("response_url")
    with pytest.raises(TransientChatError):
        chat.respond(RESPONSE_URL, "again")
    with pytest.raises(ChatError):
        chat.respond("file:///etc/passwd", "no")
    assert slack.responses_posted == []


def test_message_reads_one_channel_message_by_its_ts(chat, slack):
    channel = chat.create_channel("incident-m")
    first = slack.add_message(channel.id, "db is back &lt;3 <@U0ANA|ana> see <https://x.example|the graph>", "U0BEN")
    slack.add_message(channel.id, "later", "U0ANA")
    message = chat.message(channel.id, first)
    assert slack.sent("conversations.history") == [{"channel": channel.id, "latest": first, "inclusive": "1",
                                                    "limit": "1"}]
    assert slack.sent("conversations.replies") == []
    assert (message.channel, message.ts, message.author) == (channel.id, first, "U0BEN")
    assert message.text == "db is back <3 @ana see the graph"
    assert message.at == datetime.fromtimestamp(float(first), UTC)


def test_message_in_a_thread_is_read_with_conversations_replies(chat, slack):
    channel = chat.create_channel("incident-t")
    parent = slack.add_message(channel.id, "parent", "U0ANA")
    reply = slack.add_message(channel.id, "the cause: a full disk", "U0BEN", thread_ts=parent)
    message = chat.message(channel.id, reply)
    assert slack.sent("conversations.replies") == [{"channel": channel.id, "ts": reply, "latest": reply,
                                                    "oldest": reply, "inclusive": "1", "limit": "2"}]
    assert (message.text, message.author) == ("the cause: a full disk", "U0BEN")
    assert chat.message(channel.id, "1.000001") is None  # gone: history has another, replies has none


def test_user_email_from_users_info(chat, slack):
    assert chat.user_email("U0ANA") == "ana@example.com"
    assert chat.user_email("U0BEN") is None  # the workspace hides it
    assert chat.user_email("U0NOBODY") is None
    assert slack.sent("users.info") == [{"user": "U0ANA"}, {"user": "U0BEN"}, {"user": "U0NOBODY"}]


@pytest.mark.parametrize(("status", "error", "body", "retry_after", "code"), [
    (429, "ratelimited", None, 30, "ratelimited"),
    (503, None, "<html>Service Unavailable</html>", None, ""),
    (500, None, "<html>oops</html>", None, ""),
    (200, "internal_error", None, None, "internal_error"),
    (200, "fatal_error", None, None, "fatal_error"),
])
def test_slack_outages_are_transient_with_retry_after(chat, slack, status, error, body, retry_after, code):
    channel = chat.create_channel("incident-o")
    slack.fail("chat.postMessage", status=status, error=error, body=body, retry_after=retry_after)
    with pytest.raises(TransientChatError) as outage:
        chat.post(channel.id, "hello")
    assert (outage.value.status, outage.value.code, outage.value.retry_after) == (status, code, retry_after)
    assert len(slack.sent("chat.postMessage")) == 1  # no retry inside the call: the job queue retries
    chat.post(channel.id, "hello")  # Slack is back
    assert [m["text"] for m in slack.messages[channel.id]] == ["hello"]


def test_a_dropped_connection_is_transient_and_not_retried_by_slack_sdk(chat, slack, fake_api):
    slack.drop("users.info", times=2)
    with pytest.raises(TransientChatError):
        chat.user_email("U0ANA")
    assert [c.request.url for c in fake_api.calls] == [SLACK_API + "users.info"]  # one try, not slack-sdk's two


@pytest.mark.parametrize("error", ["channel_not_found", "not_in_channel", "invalid_auth", "is_archived"])
def test_refusals_are_chat_errors_with_slacks_code(chat, slack, error):
    slack.fail("chat.update", error=error)
    with pytest.raises(ChatError) as refused:
        chat.update("C0000001", "1.000001", "x")
    assert (type(refused.value), refused.value.code, refused.value.status) == (ChatError, error, 200)


def test_other_refusals_are_raised_not_ignored(chat, slack):
    with pytest.raises(ChatError) as unknown:
        chat.invite(chat.create_channel("incident-r").id, ["U0NOBODY"])
    assert unknown.value.code == "user_not_found"
    with pytest.raises(ChatError) as missing:
        chat.archive("C0GONE")
    assert missing.value.code == "channel_not_found"
    slack.fail("conversations.create", error="name_taken", times=50)
    with pytest.raises(ChatError) as taken:
        chat.create_channel("incident-busy")
    assert taken.value.code == "name_taken" and len(slack.sent("conversations.create")) == 51
    with pytest.raises(ChatError):
        SlackChat(Settings.from_env({}))


def test_a_thread_read_that_slack_refuses_is_raised(chat, slack):
    channel = chat.create_channel("incident-s")
    slack.fail("conversations.replies", error="missing_scope")
    with pytest.raises(ChatError) as refused:
        chat.message(channel.id, "1.000001")
    assert refused.value.code == "missing_scope"
    parent = slack.add_message(channel.id, "parent", "U0ANA")
    slack.add_message(channel.id, "a reply", "U0BEN", thread_ts=parent)
    assert chat.message(channel.id, "2.000001") is None  # not in the channel, not in a thread


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"Retry-After": "12"}, 12.0), ({"retry-after": ["3"]}, 3.0), ({"Retry-After": "soon"}, None), ({}, None)])
def test_retry_after_from_slacks_header(headers, seconds):
    assert retry_after(headers) == seconds


def test_no_secret_is_in_a_slack_error(chat, slack):
    slack.fail("pins.add", error="invalid_auth")
    with pytest.raises(ChatError) as refused:
        chat.pin("C1", "1.1")
    assert "xoxb" not in str(refused.value)


# ---- Apprise: a Discord webhook and a Microsoft Teams Workflows webhook ----
DISCORD_URL = "https://discord.com/api/webhooks/4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
TEAMS_HOST = "prod-12.westeurope.logic.azure.com"
TEAMS_WORKFLOW = "1a2b3c4d5e6f"
TEAMS_SIG = "AbCdEf123_-xyz"
TEAMS_URL = f"https://{TEAMS_HOST}/workflows/{TEAMS_WORKFLOW}/triggers/manual/paths/invoke"
TEAMS_QUERY = {"api-version": "2016-06-01", "sp": "/triggers/manual/run", "sv": "1.0", "sig": TEAMS_SIG}
TITLE = "Incident #12: db is down @everyone"
BODY = ("**Status:** investigating\n**Severity:** major outage\n**Commander:** @ana\n"
        "**Assigned developer:** @ben <@123> <at>Bob</at>\n[Issue](https://github.com/a/b/issues/12)")
SAFE_BODY = (f"**Status:** investigating\n**Severity:** major outage\n**Commander:** @{ZWJ}ana\n"
             f"**Assigned developer:** @{ZWJ}ben <{ZWJ}@{ZWJ}123> <{ZWJ}at>Bob</at>\n"
             "[Issue](https://github.com/a/b/issues/12)")


def test_discord_receives_the_title_and_body_with_no_ping(api):
    api.add(responses.POST, DISCORD_URL, status=204)
    AppriseAnnouncer().announce(DISCORD_URL, TITLE, BODY)
    [call] = api.calls
    sent = json.loads(call.request.body)
    assert sent["content"] == f"Incident #12: db is down @{ZWJ}everyone\r\n{SAFE_BODY}"
    assert (sent["tts"], sent["wait"]) == (False, True)
    assert "allowed_mentions" not in sent and "embeds" not in sent


def test_teams_workflow_receives_an_adaptive_card_with_no_mention(api):
    api.add(responses.POST, TEAMS_URL, status=202, match=[matchers.query_param_matcher(TEAMS_QUERY)])
    AppriseAnnouncer().announce(f"workflows://{TEAMS_HOST}/{TEAMS_WORKFLOW}/{TEAMS_SIG}/?image=no", TITLE, BODY)
    [call] = api.calls
    sent = json.loads(call.request.body)
    assert sent["type"] == "message"
    [card] = sent["attachments"]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert [(b["id"], b["text"]) for b in card["content"]["body"]] == [
        ("title", f"Incident #12: db is down @{ZWJ}everyone"), ("body", SAFE_BODY)]
    assert card["content"]["msteams"] == {"width": "full"}  # no `entities`: <at>Bob</at> was not made a mention


def test_a_failing_target_is_transient_and_a_bad_url_is_not(api):
    api.add(responses.POST, DISCORD_URL, status=500)
    with pytest.raises(TransientChatError) as failed:
        AppriseAnnouncer().announce(DISCORD_URL, "t", "b")
    assert "JHMHI8" not in str(failed.value)
    with pytest.raises(ChatError) as bad:
        AppriseAnnouncer().announce("nosuchscheme://secret-token", "t", "b")
    assert type(bad.value) is ChatError and "secret-token" not in str(bad.value)


def test_the_fake_reads_form_and_json_bodies_as_slack_would():
    form = type("R", (), {"body": b"channel=C1&users=U1%2CU2", "headers": {}})()
    assert slack_params(form) == {"channel": "C1", "users": "U1,U2"}
    as_json = type("R", (), {"body": b'{"channel": "C1"}', "headers": {"Content-Type": "application/json"}})()
    assert slack_params(as_json) == {"channel": "C1"}


# ---- tools/fake_slack.py: the same fake over real HTTP, for the README's manual path ----
def _fake_slack_tool():
    spec = importlib.util.spec_from_file_location("fake_slack", Path(__file__).parents[2] / "tools" / "fake_slack.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_the_fake_slack_server_answers_the_real_web_client_and_prints_each_call():
    tool = _fake_slack_tool()
    fake, printed = tool.seeded_fake(["U0ANA=ana=ana@example.com"]), io.StringIO()
    server = ThreadingHTTPServer(("127.0.0.1", 0), tool.make_handler(fake, printed))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        chat = SlackChat(Settings.from_env({"SLACK_BOT_TOKEN": "xoxb-local", "SLACK_API_URL": f"{base}/api"}))
        channel = chat.create_channel("incident-2026-12-03-db-is-down")
        chat.invite(channel.id, ["U0ANA"])
        ts = chat.post(channel.id, "**Declared** by @ana")
        chat.pin(channel.id, ts)
        assert chat.user_email("U0ANA") == "ana@example.com"
        chat.respond(f"{base}/response/abc", "Declared")
        state = requests.get(base, timeout=5).json()
    finally:
        server.shutdown()
    assert [m["text"] for m in state["messages"][channel.id]] == ["*Declared* by @ana"]
    assert state["channels"][channel.id]["pins"] == [ts]
    assert state["responses"] == [["/response/abc", {"response_type": "ephemeral", "text": "Declared"}]]
    lines = printed.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["conversations.create", "conversations.invite", "chat.postMessage",
                                                   "pins.add", "users.info", "response_url"]
    assert "xoxb-local" not in printed.getvalue()


def test_the_fake_slack_tool_signs_a_slash_command_as_slack_does(monkeypatch):
    tool = _fake_slack_tool()
    body = tool.command_body("db is down", "http://127.0.0.1:8765", "U0ANA", "C0GENERAL")
    headers = tool.signed_headers("shh", body, "application/x-www-form-urlencoded")
    assert SignatureVerifier("shh").is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    fields = {k: v[0] for k, v in parse_qs(body).items()}
    assert (fields["command"], fields["text"], fields["user_id"], fields["channel_id"], fields["team_id"]) == (
        "/incident", "db is down", "U0ANA", "C0GENERAL", SLACK_TEAM)
    assert fields["response_url"].startswith("http://127.0.0.1:8765/response/")
    event = json.loads(tool.pin_body("C1", "1.000002", "U0ANA"))
    assert (event["type"], event["event"]["reaction"], event["event"]["item"]) == (
        "event_callback", "pushpin", {"type": "message", "channel": "C1", "ts": "1.000002"})


def test_a_taken_name_is_reclaimed_only_from_the_bots_own_channels_and_only_when_asked(chat, slack):
    """A retry whose create's answer was lost finds the channel among those the bot is in (users.conversations,
    page after page); a channel it is not in, or one `reclaim` refuses, gets the next suffix as before."""
    for n in range(999):  # a page full of the bot's other channels
        slack.add_channel(f"incident-other-{n}")
    made = slack.add_channel("incident-lost")
    slack.channels[slack.add_channel("incident-human")]["members"] = ["U0ANA"]  # someone else's, bot not in it
    seen = []
    assert chat.create_channel("incident-lost", reclaim=lambda c: seen.append(c) or True).id == made
    [found] = seen
    assert found.name == "incident-lost" and found.created_at is not None
    cursors = [p.get("cursor") for p in slack.sent("users.conversations")]
    assert len(cursors) == 2 and cursors[0] is None and cursors[1]  # the second page, by Slack's cursor
    assert chat.create_channel("incident-lost", reclaim=lambda c: False).name == "incident-lost-2"
    assert chat.create_channel("incident-human", reclaim=lambda c: True).name == "incident-human-2"
    listed = len(slack.sent("users.conversations"))
    assert chat.create_channel("incident-lost").name == "incident-lost-3"  # no reclaim: no listing
    assert len(slack.sent("users.conversations")) == listed


def test_a_keyed_message_carries_its_key_as_message_metadata_and_is_found_by_it(chat, slack):
    channel = chat.create_channel("incident-k")
    slack.add_message(channel.id, "someone typing", "U0ANA")
    ts = chat.post(channel.id, "the summary", key="summary:github:a/b#1")
    chat.post(channel.id, "a later message")
    [keyed, plain] = slack.sent("chat.postMessage")
    assert keyed["metadata"] == {"event_type": "incident_desk_message",
                                 "event_payload": {"key": "summary:github:a/b#1"}}
    assert "metadata" not in plain
    assert chat.posted(channel.id, "summary:github:a/b#1") == ts
    assert chat.posted(channel.id, "summary:github:a/b#2") is None
    assert slack.sent("conversations.history")[-1]["include_all_metadata"] in ("1", True)
