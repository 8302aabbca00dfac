"""Adding action items and ticking them (incidents.action_edits), and telling linked issues apart."""
from datetime import date

from incidents.action_edits import add_action_item, tick_actions
from incidents.action_items import same_issue
from incidents.document import parse_document
from issue_templates.render import postmortem_skeleton
from tests.edit_samples import DEFAULT, FULL, SIMPLE, added_lines, read


def test_action_item_is_the_last_item_and_parses_back():
    edited = add_action_item(SIMPLE, DEFAULT, "add alert on queue depth", "alice", date(2026, 12, 1),
                             "team/backlog#3")
    assert edited == SIMPLE + "- [ ] add alert on queue depth @alice due 2026-12-01 team/backlog#3\n"
    action = parse_document(edited, DEFAULT).actions[-1]
    assert (action.text, action.owner, action.due, action.linked_issue, action.done) == (
        "add alert on queue depth @alice due 2026-12-01 team/backlog#3", "alice", date(2026, 12, 1),
        "team/backlog#3", False)


def test_action_item_minimal_and_owner_given_with_at_sign():
    assert add_action_item(SIMPLE, DEFAULT, "write runbook", None).endswith("- [ ] write runbook\n")
    assert add_action_item(SIMPLE, DEFAULT, "write runbook", "@bob").endswith("- [ ] write runbook @bob\n")
    assert add_action_item(SIMPLE, DEFAULT, "ask @bob to pair", "bob").endswith("- [ ] ask @bob to pair\n")


def test_action_item_in_a_list_with_other_text_after_it():
    body = "## Actions\n\n* [x] done @a\n* [ ] open @b\n  notes on b\n\nMore notes.\n"
    edited = add_action_item(body, DEFAULT, "new", "c")
    assert edited == body.replace("  notes on b\n", "  notes on b\n* [ ] new @c\n")
    assert [a.owner for a in parse_document(edited, DEFAULT).actions] == ["a", "b", "c"]


def test_action_section_by_profile():
    edited = add_action_item(read("filled-full.md"), FULL, "pin autoscaler", "alice", date(2021, 7, 1))
    doc = parse_document(edited, FULL)
    assert doc.actions[-1].owner == "alice"
    assert edited.rstrip().endswith("- [ ] pin autoscaler @alice due 2021-07-01")


def test_missing_action_section_is_created_at_the_end():
    body = "## Timeline\n\n- 2026-11-20 14:05 - x\n"
    edited = add_action_item(body, DEFAULT, "fix it", "alice")
    assert edited == body + "\n## Actions\n\n- [ ] fix it @alice\n"
    full = add_action_item("### Summary\n\ntext", FULL, "fix it", "alice")
    assert full == "### Summary\n\ntext\n\n### Corrective actions\n\n- [ ] fix it @alice"


def test_placeholder_section_keeps_comment_and_no_response_is_replaced():
    skeleton = postmortem_skeleton(DEFAULT)
    edited = add_action_item(skeleton, DEFAULT, "fix it", "alice")
    assert added_lines(skeleton, edited) == ["", "- [ ] fix it @alice"]
    assert [a.owner for a in parse_document(edited, DEFAULT).actions] == ["alice"]
    form = read("github-issue-form.md")
    edited = add_action_item(form, DEFAULT, "fix it", "alice")
    assert edited == form.replace("### Actions\n\n_No response_", "### Actions\n\n- [ ] fix it @alice")


def test_action_item_keeps_crlf_and_unicode():
    body = SIMPLE.replace("\n", "\r\n")
    edited = add_action_item(body, DEFAULT, "réparer le cache 🔧", "zoë")
    assert edited == body + "- [ ] réparer le cache 🔧 @zoë\r\n"


# --- ticking --------------------------------------------------------------------------------

TICKS = """## Actions

- [ ] A @a group/project#45
- [ ] B @b #45
- [x] C @c https://gitlab.com/group/project/-/issues/45
- [ ] D @d other/project#45
- E @e group/project#45
"""


def test_tick_actions_by_linked_issue():
    edited = tick_actions(TICKS, DEFAULT, "https://gitlab.com/group/project/-/issues/45")
    assert [a.done for a in parse_document(edited, DEFAULT).actions] == [True, False, True, False, True]
    assert "- [x] E @e group/project#45" in edited and "- [x] A @a" in edited
    with_home = tick_actions(TICKS, DEFAULT, "group/project#45", home_repository="group/project")
    assert [a.done for a in parse_document(with_home, DEFAULT).actions] == [True, True, True, False, True]


def test_untick_and_nothing_linked():
    edited = tick_actions(TICKS, DEFAULT, "group/project#45", done=False)
    assert [a.done for a in parse_document(edited, DEFAULT).actions] == [False] * 5
    assert tick_actions(TICKS, DEFAULT, "nobody/here#1") == TICKS
    assert tick_actions(TICKS.replace("\n", "\r\n"), DEFAULT, "other/project#45") == TICKS.replace(
        "- [ ] D", "- [x] D").replace("\n", "\r\n")


def test_same_issue():
    assert same_issue("https://github.com/Acme/API/issues/302", "acme/api#302")
    assert same_issue("#5", "#5") and not same_issue("#5", "#6")
    assert not same_issue("#5", "acme/api#5")
    assert same_issue("#5", "acme/api#5", home_repository="acme/api")
    assert same_issue("https://gitlab.example.com/g/sub/p/-/work_items/7", "g/sub/p#7")
    assert not same_issue("", "")
