"""The bot's Markdown as Slack mrkdwn, and as Markdown that pings nobody on Apprise targets (issue 16)."""
from __future__ import annotations

import pytest

from chat.markup import announcement_markdown, from_mrkdwn, to_mrkdwn
from incidents.text import escape

ZWJ = "\u200d"


@pytest.mark.parametrize(("markdown", "mrkdwn"), [
    ("**Status:** investigating", "*Status:* investigating"),
    ("*maybe*", "_maybe_"),
    ("[#12 db is down](https://github.com/a/b/issues/12)", "<https://github.com/a/b/issues/12|#12 db is down>"),
    ("[graph](https://grafana.example/d?a=1&b=2)", "<https://grafana.example/d?a=1&amp;b=2|graph>"),
    ("[**Bold** \\[1\\]](https://x.example)", "<https://x.example|Bold [1]>"),
    ("`a*b <c> & d`", "`a*b &lt;c&gt; &amp; d`"),
    ("``a ` b``", "`a \u02cb b`"),
    ("**Commander:** `@ana` and **b `c` d**", "*Commander:* `@ana` and *b `c` d*"),
    ("- one\n- two", "- one\n- two"),
    ("3 < 4 && 5 > 2", "3 &lt; 4 &amp;&amp; 5 &gt; 2"),
])
def test_markdown_becomes_mrkdwn(markdown, mrkdwn):
    assert to_mrkdwn(markdown) == mrkdwn


def test_a_link_to_anything_but_the_web_or_mail_keeps_its_label_only():
    assert to_mrkdwn("[click](javascript:alert)") == "click"
    assert to_mrkdwn("[mail](mailto:oncall@example.com)") == "<mailto:oncall@example.com|mail>"


@pytest.mark.parametrize("user_text", [
    "<!channel> please", "<!here>", "<!everyone>", "<@U012AB3CD>", "<#C123|general>", "<!subteam^S1|@oncall>",
    "<https://evil.example|https://github.com/a/b>", "&lt;!channel&gt;", "&#60;!here&#62;",
])
def test_user_text_cannot_form_a_ping_a_mention_or_a_link(user_text):
    mrkdwn = to_mrkdwn(f"**Note:** {escape(user_text)}")
    assert "<" not in mrkdwn and ">" not in mrkdwn
    shown = user_text.replace("@", "@" + ZWJ)  # escape() stops @-mentions; Slack shows the rest as it was typed
    assert from_mrkdwn(mrkdwn) == f"*Note:* {shown}"


def test_escaped_formatting_characters_are_shown_but_never_format():
    mrkdwn = to_mrkdwn(escape("*urgent* _now_ ~never~ `rm -rf` db_host"))
    assert mrkdwn == "\u2217urgent\u2217 \u02cdnow\u02cd \u223cnever\u223c \u02cbrm -rf\u02cb db\u02cdhost"
    assert not set("*_~`") & set(mrkdwn)


def test_backslash_escapes_are_undone():
    assert to_mrkdwn(escape("a #1 (b) [c] {d} | e")) == "a #1 (b) [c] {d} | e"


def test_mentions_are_neutralised_for_apprise_targets():
    assert announcement_markdown("@everyone @here @channel @all @room @ana-b hi") == (
        f"@{ZWJ}everyone @{ZWJ}here @{ZWJ}channel @{ZWJ}all @{ZWJ}room @{ZWJ}ana-b hi")
    assert announcement_markdown("<@123> <@&456> <#789> <!here> <AT>Bob</AT>") == (
        f"<{ZWJ}@{ZWJ}123> <{ZWJ}@&456> <{ZWJ}#789> <{ZWJ}!here> <{ZWJ}AT>Bob</AT>")


def test_announcement_markdown_keeps_markdown_and_is_idempotent():
    text = "**Status:** identified\n[Issue](https://github.com/a/b/issues/1) by @ana, a @ b"
    once = announcement_markdown(text)
    assert once == f"**Status:** identified\n[Issue](https://github.com/a/b/issues/1) by @{ZWJ}ana, a @ b"
    assert announcement_markdown(once) == once
    assert announcement_markdown(escape("@everyone")) == escape("@everyone")


@pytest.mark.parametrize(("slack_text", "plain"), [
    ("db is <@U0ANA|ana>'s", "db is @ana's"),
    ("ask <@U0ANA>", "ask @U0ANA"),
    ("in <#C0OPS|ops> and <!here>", "in #ops and @here"),
    ("<!subteam^S0SRE|@sre> look", "@sre look"),
    ("see <https://grafana.example/d|the graph> or <https://x.example>", "see the graph or https://x.example"),
    ("a &lt;b&gt; &amp;amp;", "a <b> &amp;"),
    ("<mailto:a@example.com|a@example.com>", "a@example.com"),
])
def test_slack_text_in_plain_words(slack_text, plain):
    assert from_mrkdwn(slack_text) == plain


def test_a_label_is_literal_whatever_it_holds():
    assert to_mrkdwn("[`code` & *it* <x>](https://o.example)") == "<https://o.example|code &amp; it &lt;x&gt;>"
