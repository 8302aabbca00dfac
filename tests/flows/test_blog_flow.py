"""Issue 7 end to end: the blog-draft label queues a job that opens (then updates) one draft PR/MR."""
from __future__ import annotations

import re
from html import unescape

import yaml
from markdown_it import MarkdownIt

from handlers.blog import BLOG_MARKER
from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import FakeGitLab
from tests.support import post_github, post_gitlab, run_worker

REPO, BLOG = "Codertocat/Hello-World", "acme/blog"
CONFIG = ("blog:\n  repository: acme/blog\n  path: content/posts/{date}-{slug}.md\n"
          "  allowed_users: [cto]\n")
POSTMORTEM = """/action alert on pool saturation @alice in team/backlog
/status resolved rolled back"""


def resolved_incident_on_github(client, redis_conn, github, what="api errors"):
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", f"/incident {what}"))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 2, "alice", POSTMORTEM))
    run_worker(redis_conn)


def label_blog_draft(client, github, sender):
    github.issues[(REPO, 2)]["labels"].append("blog-draft")
    payload = github.issues_event(REPO, 2, "labeled", sender, label={"id": 9, "name": "blog-draft"})
    post_github(client, "issues", payload)


def blog_comment(comments):
    [comment] = [c for c in comments if c.startswith(BLOG_MARKER)]
    return comment


def front_matter(text):
    head, _, _body = text.removeprefix("---\n").partition("\n---\n")
    return yaml.safe_load(head)


def github_fake(fake_api):
    fake = FakeGitHub(fake_api, permissions={"alice": "write", "cto": "admin"},
                      files={(REPO, ".github/incident-desk.yml"): CONFIG})
    fake.add_issue(REPO, 1, "Spelling error in the README file")
    fake.add_issue("team/backlog", 1, "Older item")
    return fake


def test_github_allowed_label_opens_one_draft_pr_and_a_second_request_updates_it(client, redis_conn, store, fake_api):
    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github)
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)

    [(pr_key, pr)] = [(k, p) for k, p in github.pulls.items() if k[0] == BLOG]
    assert pr["title"] == "Postmortem: api errors" and pr["draft"] is True
    assert pr["head_ref"] == "incident-desk/postmortem-2" and pr["base"] == "main"
    [(path, text)] = [(p, t) for (r, p), t in github.files.items() if r == BLOG]
    assert path.startswith("content/posts/") and path.endswith("-api-errors.md")
    meta = front_matter(text)
    assert meta["title"] == "api errors" and meta["draft"] is True and str(meta["date"]) == path[14:24]
    assert "https://github.com/team/backlog/issues/2" in text  # the action links the real follow-up
    assert f"https://github.com/{BLOG}/pull/{pr_key[1]}" in blog_comment(github.bot_comments(REPO, 2))

    post_github(client, "issue_comment", github.comment_event(REPO, 2, "cto", "/blog"))
    run_worker(redis_conn)
    assert len([k for k in github.pulls if k[0] == BLOG]) == 1  # updated, not a second PR
    assert store.blog_draft(store.get_incident("github", REPO, 2)).merge_request == pr_key[1]
    assert len(blog_comment(github.bot_comments(REPO, 2)).splitlines()) >= 1


def test_a_disallowed_label_is_removed_with_a_reply_and_no_job(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github)
    label_blog_draft(client, github, "alice")
    run_worker(redis_conn)
    assert "blog-draft" not in github.issues[(REPO, 2)]["labels"]
    assert "only `cto` may request blog drafts" in github.bot_comments(REPO, 2)[-1]
    assert not [k for k in github.pulls if k[0] == BLOG] and not github.commits


def test_issue_text_cannot_inject_template_code_html_or_mentions(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github,
                                what="{{ 7*7 }} {% include 'x' %} <script>x</script> @everyone")
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)
    [text] = [t for (r, p), t in github.files.items() if r == BLOG]
    body = text.removeprefix("---\n").partition("\n---\n")[2]
    html = MarkdownIt("commonmark").render(body)
    seen = unescape(re.sub(r"<[^>]+>", "", html))  # what a reader of the published page sees
    assert "{{ 7*7 }} {% include 'x' %} <script>x</script>" in seen and "49" not in seen
    assert "<script>" not in html and "@everyone" not in seen  # no raw HTML, no mention
    title = front_matter(text)["title"]  # issue 13 item 27: plain text, no markup or template syntax
    assert title.startswith("7*7 include 'x'") and "<" not in title and "{" not in title


def test_branch_creation_failing_twice_still_yields_exactly_one_pr(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github)
    github.fail_branch_creation = 2
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)
    assert github.fail_branch_creation == 0
    assert len([k for k in github.pulls if k[0] == BLOG]) == 1
    assert "Blog draft: https://github.com/acme/blog/pull/" in blog_comment(github.bot_comments(REPO, 2))


def test_without_a_blog_repository_the_draft_is_a_comment(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    github.files[(REPO, ".github/incident-desk.yml")] = "blog:\n  allowed_users: [cto]\n"
    resolved_incident_on_github(client, redis_conn, github)
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)
    comment = blog_comment(github.bot_comments(REPO, 2))
    assert "````markdown\n---\ntitle: api errors" in comment and not github.pulls


def test_a_label_on_an_issue_that_is_not_an_incident_gets_a_reply_only(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    github.issues[(REPO, 1)]["labels"].append("blog-draft")
    post_github(client, "issues", github.issues_event(REPO, 1, "labeled", "cto", label={"id": 9, "name": "blog-draft"}))
    run_worker(redis_conn)
    assert "not one" in github.bot_comments(REPO, 1)[-1] and not github.commits


def test_gitlab_allowed_label_opens_one_draft_mr(client, redis_conn, store, fake_api):
    gitlab = FakeGitLab(fake_api, access={"alice": 30, "cto": 50},
                        files={("gitlabhq/gitlab-test", ".gitlab/incident-desk.yml"): CONFIG})
    gitlab.add_issue("gitlabhq/gitlab-test", 1, "Unrelated")
    post_gitlab(client, "Note Hook", gitlab.note_event("gitlabhq/gitlab-test", 1, "alice", "/desk incident api errors"))
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event("gitlabhq/gitlab-test", 2, "alice", "/desk status resolved ok"))
    run_worker(redis_conn)
    gitlab.issues[("gitlabhq/gitlab-test", 2)]["labels"].append("blog-draft")
    payload = gitlab.issue_event("gitlabhq/gitlab-test", 2, "update", "cto")
    payload["changes"] = {"labels": {"previous": [], "current": [{"title": "blog-draft"}]}}
    post_gitlab(client, "Issue Hook", payload)
    run_worker(redis_conn)
    post_gitlab(client, "Note Hook", gitlab.note_event("gitlabhq/gitlab-test", 2, "cto", "/desk blog"))
    run_worker(redis_conn)

    [(key, mr)] = [(k, m) for k, m in gitlab.mrs.items() if k[0] == BLOG]
    assert mr["title"] == "Draft: Postmortem: api errors" and mr["source_branch"] == "incident-desk/postmortem-2"
    [text] = [t for (p, path), t in gitlab.files.items() if p == BLOG]
    assert front_matter(text)["draft"] is True
    assert store.blog_draft(store.get_incident("gitlab", "gitlabhq/gitlab-test", 2)).merge_request == key[1]


def test_blog_job_outcomes_show_in_metrics(client, redis_conn, fake_api):
    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github)
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)
    text = client.get("/metrics").get_data(as_text=True)
    assert 'incident_desk_jobs_total{event="blog",outcome="drafted",platform="github"} 1.0' in text


def test_a_draft_that_fails_after_its_retries_says_why(client, redis_conn, fake_api):
    from rq.registry import FailedJobRegistry

    from worker.queue import deliveries_queue

    github = github_fake(fake_api)
    resolved_incident_on_github(client, redis_conn, github)
    github.fail_branch_creation = 10  # more than INCIDENT_DESK_MAX_ATTEMPTS (4 in tests)
    label_blog_draft(client, github, "cto")
    run_worker(redis_conn)
    comment = blog_comment(github.bot_comments(REPO, 2))
    assert "The blog draft could not be made: create branch" in comment and "502" in comment
    assert "after 4 tries" in comment and "<!-- job: blog-github-" in comment
    assert not [k for k in github.pulls if k[0] == BLOG]
    assert len(FailedJobRegistry(queue=deliveries_queue(redis_conn))) == 1


def test_a_labelled_incident_with_only_a_timeline_reads_for_customers(client, redis_conn, fake_api):
    """issue 13 item 27: an incident declared by label, resolved within the minute, with nothing written
    but the timeline: the draft tells the window, leaves the bot's lines out, never says "0.0 minutes"."""
    github = github_fake(fake_api)
    github.add_issue(REPO, 1, "Checkout <b>down</b>", body="", labels=["incident"])
    post_github(client, "issues", github.issues_event(REPO, 1, "labeled", "alice", label={"id": 8, "name": "incident"}))
    run_worker(redis_conn)
    post_github(client, "issue_comment", github.comment_event(REPO, 1, "alice", "/commander @alice\n/status resolved"))
    run_worker(redis_conn)
    assert "Declared an incident by @alice" in github.issues[(REPO, 1)]["body"]
    github.issues[(REPO, 1)]["labels"].append("blog-draft")
    post_github(client, "issues", github.issues_event(REPO, 1, "labeled", "cto", label={"id": 9, "name": "blog-draft"}))
    run_worker(redis_conn)

    [text] = [t for (r, p), t in github.files.items() if r == BLOG]
    meta = front_matter(text)
    assert meta["title"] == "Checkout down"
    assert meta["summary"] == "Checkout down. It lasted under a minute."
    body = text.removeprefix("---\n").partition("\n---\n")[2]
    what = body.split("## What happened")[1].split("## ")[0].strip()
    assert what.startswith("We learned of the problem at ") and "Everything was working normally again at " in what
    for bookkeeping in ("Declared", "Commander", "Status:", "@"):
        assert bookkeeping not in what
    assert "0.0 minutes" not in text and "It took under a minute from the first report" in body
