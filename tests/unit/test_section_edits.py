"""The taxonomy line, the postmortem's missing sections and the bot's generated lines (incidents.section_edits)."""
from incidents.document import parse_document
from incidents.section_edits import fill_postmortem, generated_lines, set_taxonomy
from issue_templates.render import postmortem_skeleton
from tests.edit_samples import DEFAULT, FULL, ICSC, SIMPLE, added_lines, read

# --- taxonomy -------------------------------------------------------------------------------

def test_set_taxonomy_replaces_an_existing_line():
    body = "## Conclusion\n\nWe learned.\n\n- Taxonomy: MISSING_TEST\n"
    edited = set_taxonomy(body, ICSC, ["DATA_QUALITY", "FAILED_MIGRATION"])
    assert edited == body.replace("MISSING_TEST", "DATA_QUALITY < FAILED_MIGRATION")
    assert parse_document(edited, ICSC).taxonomy.terms == ("DATA_QUALITY", "FAILED_MIGRATION")


def test_set_taxonomy_replaces_a_bare_tree_line():
    body = "## Conclusion\n\nWe learned.\n\nMISSING_TEST < INCOMPLETE_PERSPECTIVE\n"
    assert set_taxonomy(body, ICSC, ["DATA_QUALITY"]) == "## Conclusion\n\nWe learned.\n\nTaxonomy: DATA_QUALITY\n"


def test_set_taxonomy_ends_the_conclusion_then_the_root_cause():
    body = "## Conclusion\n\nWe learned.\n\n## Notes\n\nx\n"
    edited = set_taxonomy(body, ICSC, ["missing test"])
    assert edited == "## Conclusion\n\nWe learned.\n\nTaxonomy: MISSING_TEST\n\n## Notes\n\nx\n"
    edited = set_taxonomy(SIMPLE, DEFAULT, ["MISSING_ALERT"])
    assert "Root cause: a bad pool size.\n\nTaxonomy: MISSING_ALERT\n\n## Actions" in edited
    doc = parse_document(edited, DEFAULT)
    assert doc.taxonomy.terms == ("MISSING_ALERT",) and doc.root_cause == "a bad pool size."


def test_set_taxonomy_in_a_template_and_without_sections():
    skeleton = postmortem_skeleton(ICSC)
    edited = set_taxonomy(skeleton, ICSC, ["THIRD_PARTY_ERROR"])
    assert parse_document(edited, ICSC).taxonomy.terms == ("THIRD_PARTY_ERROR",)
    assert edited.rstrip().endswith("-->\n\nTaxonomy: THIRD_PARTY_ERROR")
    assert set_taxonomy("", DEFAULT, ["X_Y"]) == "## Taxonomy\n\nTaxonomy: X_Y\n"
    assert set_taxonomy("## Timeline\n\nTaxonomy:\n", DEFAULT, ["X_Y"]) == "## Timeline\n\nTaxonomy: X_Y\n"
    assert set_taxonomy(SIMPLE, DEFAULT, []) == SIMPLE


# --- postmortem -----------------------------------------------------------------------------

def test_fill_postmortem_adds_missing_sections_in_skeleton_order():
    body = "Intro words.\n\n## Timeline\n\n- 2026-11-20 14:05 - x\n\n## Actions\n\n- [ ] y @a\n"
    edited = fill_postmortem(body, DEFAULT, postmortem_skeleton(DEFAULT))
    doc = parse_document(edited, DEFAULT)
    assert list(doc.sections) == ["Timeline", "Root cause analysis", "Actions"]
    assert doc.sections["Root cause analysis"].is_placeholder
    assert added_lines(body, edited)[0] == "## Root cause analysis"
    assert len(doc.timeline) == 1 and len(doc.actions) == 1


def test_fill_postmortem_uses_the_documents_heading_level_and_appends_at_the_end():
    form = read("github-issue-form.md")
    edited = fill_postmortem(form, FULL, postmortem_skeleton(FULL))
    doc = parse_document(edited, FULL)
    assert set(FULL.required) <= set(doc.sections)
    assert "### Summary" in edited and "\n## Summary" not in edited
    assert edited.startswith(form[: form.index("### Timeline")])
    names = [n for n in doc.sections if n in FULL.required]
    assert names.index("Five whys") > names.index("Timeline")


def test_fill_postmortem_complete_body_is_unchanged():
    full = read("filled-full.md")
    assert fill_postmortem(full, FULL, postmortem_skeleton(FULL)) is full
    empty = fill_postmortem("", ICSC, postmortem_skeleton(ICSC))
    assert list(parse_document(empty, ICSC).sections) == list(ICSC.required)


def test_fill_postmortem_keeps_crlf():
    body = "## Timeline\r\n\r\n- 2026-11-20 14:05 - x\r\n"
    edited = fill_postmortem(body, DEFAULT, postmortem_skeleton(DEFAULT))
    assert edited.startswith(body) and "\n" not in edited.replace("\r\n", "")


# --- lines the bot keeps up to date ---------------------------------------------------------

def test_generated_lines_are_read_only_between_both_markers():
    body = ("## Impact\n\nPeople wrote this.\n<!-- incident-desk:impact -->\n[1] 26-11-20 14:05\n"
            "<!-- /incident-desk:impact -->\n")
    assert generated_lines(body, "impact") == ["<!-- incident-desk:impact -->", "[1] 26-11-20 14:05",
                                               "<!-- /incident-desk:impact -->"]
    assert generated_lines(body.replace("<!-- /incident-desk:impact -->", ""), "impact") is None
    assert generated_lines("## Impact\n\nPeople wrote this.\n", "impact") is None
