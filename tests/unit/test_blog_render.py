"""The blog-post draft's rendering (issue 7): context, sandboxed template, front matter, slug, path."""
from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import yaml
from markdown_it import MarkdownIt

from incidents.action_items import issue_key
from incidents.document import parse_document
from incidents.metrics import compute_metrics, impact_lines
from incidents.model import Incident, Link
from incidents.profiles import get_profile
from incidents.section_edits import set_generated_lines
from issue_templates.blog import (
    BlogPost,
    BlogTemplateError,
    default_template,
    draft_path,
    escape_markdown,
    render_blog_post,
    safe_url,
    slugify,
)
from issue_templates.blog_context import Action, BlogContext, Change, blog_context
from issue_templates.render import postmortem_skeleton

PROFILE = get_profile("timeline-rca-actions")
UTC = UTC
HOME = "acme/shop"
ZWJ = "\u200d"
HEADINGS = [
    "What happened",
    "Who was affected and for how long",
    "Why it happened",
    "What we changed",
    "What we are doing so it does not happen again",
]

BODY = """\
### What went wrong

Customers could not complete checkout: about a third of payments failed with an error page.
Everything else kept working.

### How was it detected?

_No response_

## Timeline

**November 20, 2026:**

- 13:52 - [impact-start] Release 4.2 reaches production
- 14:05 - [detected] Customers report failed payments
- 14:40 - [mitigated] Release rolled back
- 15:10 - [resolved] Payment success rate back to normal

## Root cause analysis

1. Why did payments fail? Because the payment service timed out.
2. Why did it time out? Because the new `pool_size` was too small.
3. Why was it too small? Because the load test did not cover peak traffic.

Root cause: A configuration change let the payment service handle fewer requests at once than our busiest hours need.

Taxonomy: CONFIGURATION < MISSING_TEST

## Solution

We rolled back the release and restored the previous connection settings.

## Actions

- [x] Restore the connection pool size @alice due 2026-11-21 acme/payments#45
- [ ] Load-test at peak traffic before each release @bob due 2026-12-01 https://github.com/acme/shop/issues/46
- [ ] Review alert thresholds for payment errors @carol
"""

CLOSING = "We are sorry for the disruption this caused, and we thank you for your patience."
INJECTIONS = ("{{ 7*7 }}", "{% include 'x' %}", "<script>alert(1)</script>", "@everyone", "@here", "@someone")


# --- helpers ---------------------------------------------------------------------------

def issue_url_of(ref: str) -> str | None:
    """What the job would supply: the follow-up issue's web URL."""
    key = issue_key(ref, HOME)
    return f"https://github.com/{key[0]}/issues/{key[1]}" if key else None


def make_incident(title: str = "[Incident] Payments failing at checkout", **changes) -> Incident:
    fields = dict(
        platform="github", repository=HOME, number=12, title=title,
        components=("payments", "checkout"),
        reported_at=datetime(2026, 11, 20, 14, 5, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 20, 15, 10, tzinfo=UTC),
        url=f"https://github.com/{HOME}/issues/12",
    )
    fields.update(changes)
    return Incident(**fields)


FIX = Link(HOME, 50, "fix", url=f"https://github.com/{HOME}/pull/50", title="Revert the connection pool change",
           merged_at=datetime(2026, 11, 20, 14, 38, tzinfo=UTC))
CAUSE = Link(HOME, 48, "cause", url=f"https://github.com/{HOME}/pull/48", title="Tune pool_size",
             merged_at=datetime(2026, 11, 20, 13, 52, tzinfo=UTC))


def context_for(body: str = BODY, incident: Incident | None = None, links=(CAUSE, FIX), profile=PROFILE,
                cause_merged_at=None, url_of=issue_url_of) -> BlogContext:
    incident = incident or make_incident()
    document = parse_document(body, profile)
    metrics = compute_metrics(cause_merged_at=cause_merged_at, cause_ref=None, reported_at=incident.reported_at,
                              resolved_at=incident.resolved_at, timeline=document.timeline)
    return blog_context(incident, document, links, metrics, issue_url_of=url_of)


def split_post(post: BlogPost) -> tuple[dict, str]:
    """The post file read back: its front matter as YAML, then its body."""
    empty, front, body = post.text.split("---\n", 2)
    assert empty == ""
    return yaml.safe_load(front), body


def sections(body: str) -> dict[str, str]:
    """`## Heading` -> the Markdown under it (the closing apology is not part of the last one)."""
    assert body.endswith(f"\n\n{CLOSING}\n")
    parts = re.split(r"^## (.+)$", body.removesuffix(f"{CLOSING}\n"), flags=re.M)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts), 2)}


def shown(markdown: str) -> str:
    """What a reader sees: the Markdown rendered as a CommonMark site would, tags removed."""
    rendered = MarkdownIt("commonmark").render(markdown)
    return html.unescape(re.sub(r"<[^>]+>", "", rendered))


# --- a resolved incident ---------------------------------------------------------------

def test_front_matter_parses_to_title_date_summary_tags_and_draft():
    front, _body = split_post(render_blog_post(context_for()))
    assert front == {
        "title": "Payments failing at checkout",
        "date": "2026-11-20",
        "summary": "Customers could not complete checkout: about a third of payments failed with an "
                   "error page. It lasted 1.3 hours.",
        "tags": ["payments", "checkout", "configuration", "missing_test"],
        "draft": True,
    }


def test_the_post_has_the_five_sections_a_customer_reads_in_order():
    _front, body = split_post(render_blog_post(context_for()))
    assert list(sections(body)) == HEADINGS


def test_what_happened_comes_from_the_incident_form_in_plain_words():
    parts = sections(render_blog_post(context_for()).body)
    assert shown(parts["What happened"]).strip() == (
        "Customers could not complete checkout: about a third of payments failed with an error page. "
        "Everything else kept working.")


def test_who_and_how_long_names_the_components_and_the_time_to_recover():
    part = sections(render_blog_post(context_for()).body)["Who was affected and for how long"]
    assert "The incident affected: payments, checkout." in part
    assert "The problem lasted 1.3 hours, from 2026-11-20 13:52 UTC until 2026-11-20 15:10 UTC." in part


def test_without_an_impact_start_the_duration_runs_from_the_report():
    body = BODY.replace("[impact-start] ", "")
    part = sections(render_blog_post(context_for(body, links=(FIX,))).body)["Who was affected and for how long"]
    assert "It took 1.1 hours from the first report until everything was working normally again." in part


def test_why_is_the_stated_root_cause_not_the_technical_whys():
    part = sections(render_blog_post(context_for()).body)["Why it happened"]
    assert part == ("A configuration change let the payment service handle fewer requests at once than our "
                    "busiest hours need.")


def test_what_we_changed_links_the_fix_and_adds_the_solution():
    part = sections(render_blog_post(context_for()).body)["What we changed"]
    assert part.splitlines() == [
        "- [Revert the connection pool change](https://github.com/acme/shop/pull/50)",
        "- We rolled back the release and restored the previous connection settings.",
    ]


def test_each_action_links_its_follow_up_issue_without_owner_or_due_date():
    part = sections(render_blog_post(context_for()).body)["What we are doing so it does not happen again"]
    assert part.splitlines() == [
        "- [Restore the connection pool size](https://github.com/acme/payments/issues/45) (done)",
        "- [Load-test at peak traffic before each release](https://github.com/acme/shop/issues/46)",
        "- Review alert thresholds for payment errors",
    ]


def test_context_carries_the_actions_with_their_urls_and_state():
    context = context_for()
    assert context.actions == (
        Action("Restore the connection pool size", "https://github.com/acme/payments/issues/45", True),
        Action("Load-test at peak traffic before each release", "https://github.com/acme/shop/issues/46", False),
        Action("Review alert thresholds for payment errors", None, False),
    )
    assert context.changes[0] == Change("Revert the connection pool change", "https://github.com/acme/shop/pull/50")


def test_an_action_url_that_is_not_http_is_not_linked():
    context = context_for(url_of=lambda ref: "javascript:alert(1)")
    body = render_blog_post(context).body
    assert "javascript:" not in body
    assert "- Restore the connection pool size (done)" in body


def test_the_date_is_the_reported_day_in_the_repository_timezone():
    incident = make_incident(reported_at=datetime(2026, 11, 21, 2, 0, tzinfo=UTC))
    document = parse_document(BODY, PROFILE, "America/Bogota")
    metrics = compute_metrics(cause_merged_at=None, cause_ref=None, reported_at=incident.reported_at,
                              resolved_at=None)
    context = blog_context(incident, document, (), metrics, issue_url_of=issue_url_of)
    assert context.date == date(2026, 11, 20)


# --- missing data and placeholders -----------------------------------------------------

def test_an_unwritten_postmortem_falls_back_to_plain_sentences_and_shows_no_guidance():
    body = "### What went wrong\n\n_No response_\n\n" + postmortem_skeleton(PROFILE)
    incident = make_incident(resolved_at=None)
    post = render_blog_post(context_for(body, incident, links=()))
    parts = sections(post.body)
    assert parts["What happened"] == "We are still putting together the full account of what happened."
    assert "We are still confirming exactly how long the problem lasted." in parts["Who was affected and for how long"]
    assert parts["Why it happened"] == "We are still investigating the cause."
    assert parts["What we changed"] == "We will add the details of the fix here as soon as they are confirmed."
    assert parts["What we are doing so it does not happen again"] == (
        "We are still deciding on the follow-up work and will list it here.")
    assert "No response" not in post.text and "<!--" not in post.text and "Ask" not in post.text
    assert split_post(post)[0]["summary"] == "Payments failing at checkout."


BOOKKEEPING_TIMELINE = """\
## Timeline

**November 20, 2026:**

- 13:52 - [impact-start] Release 4.2 reaches production
- 14:05 - Declared an incident by @alice
- 14:05 - [detected] Customers report failed payments
- 14:06 - Commander: @bob
- 14:07 - Status: investigating (label set by @bob)
- 14:38 - Fix merged: #50 Revert the connection pool change
- 14:40 - [mitigated] Release rolled back
- 15:10 - [resolved] Status: resolved - Payment success rate back to normal
"""


def timeline_only(timeline: str = BOOKKEEPING_TIMELINE) -> str:
    return BODY.split("## Timeline")[0].replace(
        "Customers could not complete checkout: about a third of payments failed with an error page.\n"
        "Everything else kept working.", "_No response_") + timeline


def test_the_timeline_tells_what_happened_when_nothing_else_does():
    """issue 13 item 27: from the timeline the post tells the impact window and what people wrote;
    the bot's declaration, role, status and merge lines stay out, and so does the summary's."""
    context = context_for(timeline_only())
    post = render_blog_post(context)
    part = sections(post.body)["What happened"]
    assert context.what_happened.split("\n\n")[1:3] == [  # the same, for templates printing `what_happened`
        "2026-11-20 13:52 UTC: Release 4.2 reaches production",
        "2026-11-20 14:05 UTC: Customers report failed payments"]
    assert part.splitlines() == [
        "The problem started at 2026-11-20 13:52 UTC. We detected it at 2026-11-20 14:05 UTC. "
        "We limited its impact at 2026-11-20 14:40 UTC. Everything was working normally again at 2026-11-20 15:10 UTC.",
        "",
        "- 2026-11-20 13:52 UTC: Release 4.2 reaches production",
        "- 2026-11-20 14:05 UTC: Customers report failed payments",
        "- 2026-11-20 14:40 UTC: Release rolled back",
        "- 2026-11-20 15:10 UTC: Payment success rate back to normal",
    ]
    for bookkeeping in ("Declared", "Commander", "Status", "label set", "merged", "@"):
        assert bookkeeping not in post.body
    assert split_post(post)[0]["summary"] == "Payments failing at checkout. It lasted 1.3 hours."


def test_a_timeline_of_bookkeeping_only_still_tells_when():
    """issue 13 item 27: with only the bot's lines, the story is the window from the report to the resolve."""
    timeline = "## Timeline\n\n**November 20, 2026:**\n\n- 14:05 - Declared an incident by @alice\n"
    post = render_blog_post(context_for(timeline_only(timeline)))
    assert sections(post.body)["What happened"] == (
        "We learned of the problem at 2026-11-20 14:05 UTC. "
        "Everything was working normally again at 2026-11-20 15:10 UTC.")
    assert "Declared" not in post.text


@pytest.mark.parametrize("seconds, words", [(0, "under a minute"), (59, "under a minute"), (60, "1 minute"),
                                            (150, "3 minutes"), (3599, "60 minutes"), (4500, "1.3 hours")])
def test_a_short_incident_never_lasts_zero_minutes(seconds, words):
    """issue 13 item 27: a short incident reads "under a minute" or whole minutes, never "0.0 minutes"."""
    start = datetime(2026, 11, 20, 14, 5, tzinfo=UTC)
    incident = make_incident(reported_at=start, resolved_at=start + timedelta(seconds=seconds))
    post = render_blog_post(context_for(timeline_only(""), incident, links=()))
    part = sections(post.body)["Who was affected and for how long"]
    assert f"It took {words} from the first report until everything was working normally again." in part
    assert split_post(post)[0]["summary"] == f"Payments failing at checkout. It lasted {words}."
    assert ".0 minutes" not in post.text


def test_the_bots_generated_impact_lines_never_reach_the_post():
    profile = get_profile("impact-cause-solution-conclusion")
    incident = make_incident()
    metrics = compute_metrics(cause_merged_at=CAUSE.merged_at, cause_ref="!48", reported_at=incident.reported_at,
                              resolved_at=incident.resolved_at)
    body = "## Impact\n\nAbout a third of payments failed for customers in every region.\n"
    body = set_generated_lines(body, profile, "Impact", "impact", impact_lines(metrics, None).splitlines())
    assert "Time to recover" in body
    document = parse_document(body, profile)
    context = blog_context(incident, document, (), metrics, issue_url_of=issue_url_of)
    assert context.what_happened == "About a third of payments failed for customers in every region."
    assert "Time to" not in render_blog_post(context).text


# --- injection -------------------------------------------------------------------------

def injected_post() -> BlogPost:
    payload = " ".join(INJECTIONS)
    body = BODY.replace("Everything else kept working.", payload).replace(
        "Review alert thresholds for payment errors", f"Review alerts {payload}")
    fix = Link(HOME, 50, "fix", url=FIX.url, title=f"Fix {payload}")
    return render_blog_post(context_for(body, make_incident(f"Outage {payload}"), links=(fix,)))


def test_template_code_in_the_issue_is_never_evaluated():
    post = injected_post()
    assert "49" not in post.text
    assert "{{" not in post.body and "{%" not in post.body  # nor by Jekyll/Hugo later
    for part in ("What happened", "What we changed", "What we are doing so it does not happen again"):
        seen = shown(sections(post.body)[part])
        assert "{{ 7*7 }}" in seen and "{% include 'x' %}" in seen


def test_html_in_the_issue_is_shown_as_text_not_markup():
    post = injected_post()
    rendered = MarkdownIt("commonmark").render(post.body)
    assert "<script" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered
    assert "<script>alert(1)</script>" in shown(sections(post.body)["What happened"])


def test_mentions_in_the_issue_ping_no_one():
    text = injected_post().text
    assert not re.search(r"@(everyone|here|someone)", text)
    assert f"@{ZWJ}everyone" in text and f"@{ZWJ}here" in text and f"@{ZWJ}someone" in text


def test_front_matter_values_are_plain_text():
    """issue 13 item 27: a theme may print the title or summary unescaped, so front matter holds no HTML
    and no template syntax; the words stay, and mentions still ping no one."""
    post = injected_post()
    front, _body = split_post(post)
    for value in (front["title"], front["summary"]):
        assert "<" not in value and ">" not in value and "alert(1)" not in value
        assert not re.search(r"\{[{%#]|[}%#]\}", value)
    assert front["title"] == f"Outage 7*7 include 'x' @{ZWJ}everyone @{ZWJ}here @{ZWJ}someone"
    head = post.text.split("---\n")[1]
    assert "<script" not in head and "{{" not in head and "{%" not in head


def test_markdown_and_split_template_syntax_leave_the_front_matter_too():
    """issue 13 item 27: emphasis, links and comments are markup too, and taking a tag out never
    leaves a template delimiter behind (`{<b></b>{ x }}`)."""
    title = "**Checkout** [down](https://x.test) <!-- hidden --> {<b></b>{% x %<i></i>} {#<b>#}<style>p{}</style>done"
    front, _body = split_post(render_blog_post(context_for(incident=make_incident(title))))
    assert front["title"].startswith("Checkout down ") and front["title"].endswith(" done")
    assert not re.search(r"\{[{%#]|[}%#]\}|<|>|hidden|p\{", front["title"])


def test_yaml_significant_titles_still_parse():
    title = "Outage: db # down\n---\n- [x] 'quoted' \"twice\" & *alias"
    front, _body = split_post(render_blog_post(context_for(incident=make_incident(title))))
    assert front["title"] == "Outage: db # down --- - [x] 'quoted' \"twice\" & *alias"
    assert front["draft"] is True


@pytest.mark.parametrize("text", [
    "**bold** _em_ `code`", "[link](javascript:alert(1))", "![img](https://x/y.png)",
    "<img src=x onerror=alert(1)>", "&lt;b&gt; & &amp;", "# heading", "1. item", "2) item",
    "- item", "+ item", "> quote", "    indented", "a | b | c", "~~strike~~", "back\\slash",
    "line one\n===", "---", "{{< shortcode >}}", "{% raw %}",
])
def test_escaped_text_reads_exactly_as_written(text):
    expected = "\n".join(line.lstrip() for line in text.split("\n"))
    assert shown(escape_markdown(text)).strip() == expected


def test_safe_url_keeps_http_links_and_encodes_what_could_leave_the_link():
    assert safe_url("https://github.com/acme/shop/issues/45") == "https://github.com/acme/shop/issues/45"
    assert safe_url("https://x.test/a b)<{{x}}>") == "https://x.test/a%20b%29%3C%7B%7Bx%7D%7D%3E"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("/relative") is None


# --- templates -------------------------------------------------------------------------

def test_a_repository_template_overrides_the_body_but_not_the_front_matter():
    template = "# {{ title }}\n\n{% for action in actions %}* {{ action.text }} <{{ action.url }}>\n{% endfor %}"
    post = render_blog_post(context_for(), template)
    assert post.body == (
        "# Payments failing at checkout\n\n"
        "* Restore the connection pool size <https://github.com/acme/payments/issues/45>\n"
        "* Load-test at peak traffic before each release <https://github.com/acme/shop/issues/46>\n"
        "* Review alert thresholds for payment errors <>\n"
    )
    assert split_post(post)[0]["title"] == "Payments failing at checkout"


def test_a_repository_template_cannot_unescape_issue_text():
    context = context_for(incident=make_incident("<script>x</script> @everyone"))
    post = render_blog_post(context, "{{ title | safe }} {{ title | e }} {{ title ~ '' }}")
    assert "<script>" not in post.body and "@everyone" not in post.body


def test_the_default_template_is_packaged_and_names_the_sections():
    text = default_template()
    assert [f"## {heading}" for heading in HEADINGS] == re.findall(r"^## .+$", text, flags=re.M)


@pytest.mark.parametrize("template, message", [
    ("{% if %}", "The blog template has a syntax error on line 1:"),
    ("ok\n{{ title }\n", "The blog template has a syntax error on line 2:"),
    ("{{ nope }}", "The blog template uses a value that does not exist: 'nope' is undefined"),
    ("{{ ''.__class__.__mro__ }}", "The blog template does something the sandbox forbids:"),
    ("{{ actions.__class__.__init__.__globals__ }}", "The blog template does something the sandbox forbids:"),
    ("{% set x = {} %}{{ x.update(a=1) }}", "The blog template does something the sandbox forbids:"),
    ("{{ 'x' * 10**9 }}", "The blog template does something the sandbox forbids:"),
    ("{% include 'x' %}", "The blog template failed to render"),
    ("{{ 1 / 0 }}", "The blog template failed to render (ZeroDivisionError)"),
    ("{% for i in range(100000) %}{{ title }}{% endfor %}", "The blog template produced more than"),
])
def test_a_broken_or_hostile_template_raises_one_line_blog_template_error(template, message):
    with pytest.raises(BlogTemplateError) as raised:
        render_blog_post(context_for(), template)
    assert str(raised.value).startswith(message)
    assert "\n" not in str(raised.value)
    assert isinstance(raised.value, ValueError)


# --- slug and path ---------------------------------------------------------------------

@pytest.mark.parametrize("title, slug", [
    ("Payments failing at checkout", "payments-failing-at-checkout"),
    ("Café déjà vu: API 502s!", "cafe-deja-vu-api-502s"),
    ("{{ 7*7 }} <script>", "7-7-script"),
    ("日本語のタイトル", "incident"),
    ("", "incident"),
    ("a" * 80, "a" * 60),
])
def test_slugify(title, slug):
    assert slugify(title) == slug


def test_a_long_slug_is_cut_at_a_word_under_sixty_characters():
    slug = slugify("The payment service could not keep up with peak traffic after the release")
    assert slug == "the-payment-service-could-not-keep-up-with-peak-traffic"
    assert len(slug) <= 60


def test_draft_path_fills_date_and_slug():
    post = render_blog_post(context_for())
    assert draft_path("content/posts/{date}-{slug}.md", post) == (
        "content/posts/2026-11-20-payments-failing-at-checkout.md")
    assert draft_path("./blog/{slug}/index.md", post) == "blog/payments-failing-at-checkout/index.md"


@pytest.mark.parametrize("pattern, message", [
    ("/etc/{slug}.md", "must be relative"),
    ("C:\\posts\\{slug}.md", "must be relative"),
    ("../{slug}.md", "must not contain `..`"),
    ("posts/../../{slug}.md", "must not contain `..`"),
    ("posts//{slug}.md", "must not contain `..` or empty parts"),
    ("posts/{year}/{slug}.md", "uses {year}; only {date} and {slug}"),
    ("posts/{date.__class__}.md", "uses {date.__class__}"),
    ("  ", "The blog path is empty"),
])
def test_draft_path_rejects_paths_outside_the_repository(pattern, message):
    post = render_blog_post(context_for())
    with pytest.raises(BlogTemplateError, match=re.escape(message)):
        draft_path(pattern, post)
