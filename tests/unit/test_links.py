"""References between merge requests and incidents, on GitHub and GitLab (DESIGN "Linking merge requests")."""
import pytest

from forges.github import GitHubForge
from forges.gitlab import GitLabForge
from incidents.links import (
    IncidentReference,
    MergeRequestRef,
    incident_references,
    is_commit_ref,
    on_this_forge,
    parse_merge_request_ref,
    visible_lines,
)

GH_HOME = "acme/shop"
GL_HOME = "platform/payments/api"
# Each forge states how its people write merge request references; the parser takes that fact.
SYNTAX = {"github": GitHubForge.merge_request_syntax, "gitlab": GitLabForge.merge_request_syntax}


def refs(body, title="", commits=(), home=GH_HOME):
    return [(r.repository, r.number, r.role, r.explicit) for r in incident_references(title, body, commits, home)]


# --- incident_references: each form ------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("Fixes incident #12", (GH_HOME, 12, "fix", True)),
    ("This PR fixes the incident #12.", (GH_HOME, 12, "fix", True)),
    ("Resolves incident: #12", (GH_HOME, 12, "fix", True)),
    ("closes incident acme/other#12", ("acme/other", 12, "fix", True)),
    ("Closes #12", (GH_HOME, 12, "fix", False)),
    ("Fixes #12", (GH_HOME, 12, "fix", False)),
    ("resolved #12", (GH_HOME, 12, "fix", False)),
    ("Fixes: #12", (GH_HOME, 12, "fix", False)),
    ("Incident: #12", (GH_HOME, 12, "related", True)),
    ("Caused-by: #12", (GH_HOME, 12, "cause", True)),
    ("caused by: #12", (GH_HOME, 12, "cause", True)),
    ("Fixed-by: #12", (GH_HOME, 12, "fix", True)),
])
def test_each_form_in_a_description(text, expected):
    assert refs(text) == [expected]


@pytest.mark.parametrize("text", [
    "See #12 for context",               # a mention is not a link
    "Related to incident #12",           # no colon: prose
    "Fixes the typo in #12's handler",   # `Fixes the` is not a closing reference
    "Caused-by: !34",                    # a merge request, not an incident
    "Fixes https://github.com/acme/shop/pull/12",  # a pull request, not an issue
    "prefix-Caused-by: #12",
    "Fixes #0",
])
def test_not_references(text):
    assert refs(text) == []


def test_github_cross_repository_and_url_forms():
    body = "\n".join([
        "Fixes incident acme/infra#3",
        "Closes https://github.com/acme/web/issues/4",
        "Incident: https://github.com/acme/shop/issues/5#issuecomment-99",
    ])
    assert refs(body) == [
        ("acme/infra", 3, "fix", True),
        ("acme/web", 4, "fix", False),
        (GH_HOME, 5, "related", True),
    ]
    hosts = [r.host for r in incident_references("", body, (), GH_HOME)]
    assert hosts == [None, "github.com", "github.com"]


def test_gitlab_nested_groups_and_urls():
    body = "\n".join([
        "Fixes incident #12",
        "Closes platform/payments/web#13",
        "Incident: https://gitlab.example.com/platform/payments/api/-/issues/14",
        "Resolves https://gitlab.example.com:8443/ops/tracker/-/work_items/15",
        "Fixes https://gitlab.example.com/legacy/project/issues/16",  # older URL without /-/
    ])
    assert refs(body, home=GL_HOME) == [
        (GL_HOME, 12, "fix", True),
        ("platform/payments/web", 13, "fix", False),
        (GL_HOME, 14, "related", True),
        ("ops/tracker", 15, "fix", False),
        ("legacy/project", 16, "fix", False),
    ]
    hosts = {r.number: r.host for r in incident_references("", body, (), GL_HOME)}
    assert hosts[14] == "gitlab.example.com" and hosts[15] == "gitlab.example.com:8443"


def test_gitlab_merge_request_url_is_not_an_incident():
    assert refs("Fixes https://gitlab.example.com/g/p/-/merge_requests/9", home=GL_HOME) == []


def test_lists_after_a_keyword():
    assert refs("Closes #3, #4 and acme/web#5") == [
        (GH_HOME, 3, "fix", False), (GH_HOME, 4, "fix", False), ("acme/web", 5, "fix", False)]
    assert refs("Fixes incidents #7, #8") == [(GH_HOME, 7, "fix", True), (GH_HOME, 8, "fix", True)]


def test_title_and_commit_trailers_count():
    found = refs(
        "Swap the cache client.",
        title="Fix checkout timeouts (fixes incident #21)",
        commits=["Revert retry change\n\nThe retry loop hammered the DB.\n\nCaused-by: #22\nSigned-off-by: A <a@x>",
                 "Tidy\n\nFixed-by: acme/infra#23"],
    )
    assert found == [(GH_HOME, 21, "fix", True), (GH_HOME, 22, "cause", True), ("acme/infra", 23, "fix", True)]


def test_trailer_must_start_a_line():
    assert refs("We said Caused-by: #12 in passing") == []
    assert refs("- Caused-by: #12") == [(GH_HOME, 12, "cause", True)]  # a list item is a line


def test_plain_number_without_home_has_no_repository():
    assert incident_references("", "Fixes incident #12") == [IncidentReference(None, 12, "fix", True)]


def test_home_repository_spelling_wins_case_insensitively():
    assert refs("Fixes incident ACME/Shop#4") == [(GH_HOME, 4, "fix", True)]


# --- code, quotes of code, comments -----------------------------------------------------------

def test_references_in_code_are_ignored():
    body = "\n".join([
        "Use `Fixes #1` in your PR to close the issue.",
        "",
        "```",
        "Fixes incident #2",
        "Caused-by: #3",
        "```",
        "",
        "    Closes #4",
        "",
        "<!-- Fixes incident #5 -->",
        "",
        "Fixes `incident` #6 and `Incident: #7`",
        "",
        "Incident: #8",
    ])
    assert refs(body) == [(GH_HOME, 8, "related", True)]


def test_inline_code_in_commit_messages_and_titles_is_ignored():
    assert refs("", title="Document `Fixes incident #9`", commits=["Explain `Closes #10` syntax"]) == []


def test_link_target_counts_not_link_text():
    body = "Fixes incident [the checkout outage](https://github.com/acme/shop/issues/31)"
    assert refs(body) == [(GH_HOME, 31, "fix", True)]
    # text that looks like a reference but links elsewhere is read as its target
    assert refs("Fixes incident [#32](https://example.com/docs)") == []


def test_visible_lines_keep_prose_only():
    lines = visible_lines("a `b` c\n\n```\nd\n```\n\ne <!-- f --> g")
    assert [line.split() for line in lines] == [["a", "\u2063", "c"], ["e", "g"]]


# --- dedupe and strongest role -----------------------------------------------------------------

def test_dedupe_keeps_strongest_role_and_first_position():
    found = incident_references(
        "Incident: #12",
        "Caused-by: #12\nIncident: #13\nCloses #12",
        ["Caused-by: #13"],
        GH_HOME,
    )
    assert [(r.number, r.role, r.explicit) for r in found] == [(12, "fix", True), (13, "cause", True)]


def test_weak_fix_made_explicit_by_another_mention():
    # `Closes #12` alone would need the caller to check #12; `Incident: #12` says it is one.
    assert refs("Closes #12\nIncident: #12") == [(GH_HOME, 12, "fix", True)]
    assert refs("Closes #12\nCloses #12") == [(GH_HOME, 12, "fix", False)]


def test_same_number_in_other_repository_is_another_incident():
    text = "Fixes incident #12\nFixes incident acme/web#12\nFixes incident https://github.com/acme/shop/issues/12"
    assert refs(text) == [(GH_HOME, 12, "fix", True), ("acme/web", 12, "fix", True)]


def test_gitlab_dedupe_across_url_and_short_form():
    found = refs("Incident: #12\nFixes incident https://gitlab.example.com/platform/payments/api/-/issues/12",
                 home=GL_HOME)
    assert found == [(GL_HOME, 12, "fix", True)]


# --- parse_merge_request_ref / is_commit_ref --------------------------------------------------

@pytest.mark.parametrize("text, platform, expected", [
    ("!34", "gitlab", MergeRequestRef(GL_HOME, 34)),
    ("platform/payments/web!34", "gitlab", MergeRequestRef("platform/payments/web", 34)),
    ("web!34", "gitlab", MergeRequestRef("platform/payments/web", 34)),  # sibling project
    ("https://gitlab.example.com/platform/payments/api/-/merge_requests/34", "gitlab",
     MergeRequestRef(GL_HOME, 34, "gitlab.example.com")),
    ("https://gitlab.example.com/platform/payments/api/-/merge_requests/34/diffs", "gitlab",
     MergeRequestRef(GL_HOME, 34, "gitlab.example.com")),
    ("<https://gitlab.example.com/g/p/merge_requests/35>.", "gitlab", MergeRequestRef("g/p", 35, "gitlab.example.com")),
    ("MR !36", "gitlab", MergeRequestRef(GL_HOME, 36)),
])
def test_gitlab_merge_request_refs(text, platform, expected):
    assert parse_merge_request_ref(text, GL_HOME, SYNTAX[platform]) == expected


@pytest.mark.parametrize("text, expected", [
    ("#34", MergeRequestRef(GH_HOME, 34)),
    ("acme/web#34", MergeRequestRef("acme/web", 34)),
    ("!34", MergeRequestRef(GH_HOME, 34)),
    ("acme/web!34", MergeRequestRef("acme/web", 34)),
    ("PR #35", MergeRequestRef(GH_HOME, 35)),
    ("https://github.com/acme/shop/pull/34", MergeRequestRef(GH_HOME, 34, "github.com")),
    ("https://github.com/acme/web/pull/34/files", MergeRequestRef("acme/web", 34, "github.com")),
    ("https://github.com/acme/web/pull/34#discussion_r1", MergeRequestRef("acme/web", 34, "github.com")),
    ("https://api.github.com/repos/acme/web/pulls/34", MergeRequestRef("acme/web", 34, "api.github.com")),
    ("ACME/SHOP#34", MergeRequestRef(GH_HOME, 34)),
])
def test_github_pull_request_refs(text, expected):
    assert parse_merge_request_ref(text, GH_HOME, SYNTAX["github"]) == expected


@pytest.mark.parametrize("text, platform", [
    ("#34", "gitlab"),                        # an issue on GitLab
    ("platform/payments/web#34", "gitlab"),
    ("web!34", "github"),                     # GitLab's sibling form only
    ("https://github.com/acme/shop/issues/34", "github"),
    ("https://gitlab.example.com/g/p/-/issues/34", "gitlab"),
    ("https://github.com/acme/shop/commit/0a1b2c3d", "github"),
    ("https://gitlab.example.com/g/p/-/commit/0a1b2c3d4e5f", "gitlab"),
    ("https://github.com/acme/shop/pull/34/commits/0a1b2c3d", "github"),
    ("0a1b2c3", "github"),
    ("acme/shop@0a1b2c3d", "github"),
    ("!0", "gitlab"),
    ("", "github"),
    ("the fix", "github"),
    ("34", "github"),
])
def test_not_merge_requests(text, platform):
    assert parse_merge_request_ref(text, GH_HOME if platform == "github" else GL_HOME, SYNTAX[platform]) is None


@pytest.mark.parametrize("text, expected", [
    ("https://github.com/acme/shop/commit/0a1b2c3d", True),
    ("https://gitlab.example.com/g/p/-/commit/0a1b2c3d4e5f", True),
    ("https://github.com/acme/shop/pull/34/commits/0a1b2c3d", True),
    ("0a1b2c3", True),
    ("0A1B2C3D4E5F60718293A4B5C6D7E8F901234567", True),
    ("acme/shop@0a1b2c3d", True),
    ("1234567", False),                       # all digits: a number, not a SHA
    ("!34", False),
    ("https://github.com/acme/shop/pull/34", False),
    ("abc", False),
])
def test_is_commit_ref(text, expected):
    assert is_commit_ref(text) is expected


def test_relative_ref_without_home_keeps_number():
    assert parse_merge_request_ref("!34", None, SYNTAX["gitlab"]) == MergeRequestRef(None, 34)


def test_only_the_first_word_is_the_reference():
    assert parse_merge_request_ref("!34 broke the login", GL_HOME, SYNTAX["gitlab"]) == MergeRequestRef(GL_HOME, 34)
    assert parse_merge_request_ref("0a1b2c3 !34", GL_HOME, SYNTAX["gitlab"]) is None
    assert is_commit_ref("0a1b2c3 was the cause")


def test_a_reference_is_on_this_forge_when_its_url_is_the_forges_pages_or_api():
    assert on_this_forge(None, "github.com")  # not a URL: this forge's
    assert on_this_forge("GitHub.com", "github.com") and on_this_forge("api.github.com", "github.com")
    assert not on_this_forge("gitlab.example.com", "github.com")
    assert not on_this_forge("github.com.evil.example", "github.com")
