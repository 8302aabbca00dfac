"""Issue 16: `/incident …` typed in chat, read as the comment that runs it."""
from __future__ import annotations

from incidents.chat_commands import NOT_A_LOGIN, as_comment, as_typed_in_chat, declaration
from incidents.commands import Command, parse_commands


def test_a_trailing_in_names_the_repository():
    assert declaration("db is down in acme/payments") == ("db is down", "acme/payments")
    assert declaration("db is down in gitlab:group/sub/project") == ("db is down", "gitlab:group/sub/project")
    assert declaration("latency  in eu-west") == ("latency in eu-west", None)  # no slash: words, not a repository
    assert declaration("db is down") == ("db is down", None)


def test_mentions_become_mapped_logins_and_the_comment_parses_like_one_on_the_issue():
    logins = {"U024BE7LH": "alice"}.get
    comment = as_comment("commander <@U024BE7LH|alice.s>", logins)
    assert comment == "/desk commander @alice"
    [command] = parse_commands(comment, today=__import__("datetime").date(2026, 12, 3))
    assert isinstance(command, Command) and command.name == "commander" and command.args["login"] == "alice"


def test_an_unmapped_mention_names_nobody():
    comment = as_comment("commander <@U999>", {}.get)
    assert comment == f"/desk commander {NOT_A_LOGIN}" and "@" not in comment


def test_chat_text_stays_one_line_so_it_is_one_command():
    assert as_comment("timeline 14:20 restarted\n/close", {}.get) == "/desk timeline 14:20 restarted /close"


def test_a_reply_names_commands_as_they_are_typed_in_chat():
    reply = "- ❓ `/desk commander x`: not a user name. Usage: `/commander @user`; `/incident` declares."
    assert as_typed_in_chat(reply) == ("- ❓ `/incident commander x`: not a user name. Usage: `/incident commander "
                                       "@user`; `/incident` declares.")
