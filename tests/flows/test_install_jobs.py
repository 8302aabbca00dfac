"""An installation's setup as one job per repository (issue 19): the delivery writes nothing itself and queues
one job per repository, once per installation and repository; each job creates its repository's missing labels
and opens its onboarding pull request, and retries alone when GitHub answers 502 or a secondary rate limit."""
from __future__ import annotations

import time

from rq import SimpleWorker
from rq.registry import FinishedJobRegistry, ScheduledJobRegistry
from rq.serializers import JSONSerializer

from handlers.onboarding import ONBOARDING_BRANCH
from incidents.label_catalog import product_labels
from incidents.labels import LabelScheme
from tests.fakes.github import FakeGitHub
from tests.support import load_fixture, post_github, run_worker
from worker.queue import DELIVERIES, deliveries_queue

SET_UP_JOB = "worker.onboarding_jobs.set_up_repository"
GITHUB_LABELS = [spec.name for spec in product_labels(LabelScheme.with_separator(": "))]
REPOSITORIES = [f"Codertocat/service-{n}" for n in range(6)]
BAD_GATEWAY = (502, {"message": "Server Error"}, {})
SECONDARY_LIMIT = (403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you "
                                    "try again.",
                         "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
                   {"Retry-After": "1"})


def installation_of(repositories: list[str]) -> dict:
    """octokit's `installation.created` example, its one repository entry copied for each of `repositories`."""
    payload = load_fixture("github", "installation__created")
    [entry] = payload["repositories"]
    payload["repositories"] = [dict(entry, id=entry["id"] + n, name=name.split("/")[1], full_name=name)
                               for n, name in enumerate(repositories)]
    return payload


def run_one_job(redis_conn) -> None:
    SimpleWorker([DELIVERIES], connection=redis_conn, serializer=JSONSerializer).work(
        burst=True, max_jobs=1, logging_level="WARNING")


def calls(fake_api, method: str, path_end: str) -> list[str]:
    """The URLs (no query) of the requests sent with `method` to a path ending with `path_end`."""
    return [c.request.url.split("?")[0] for c in fake_api.calls
            if c.request.method == method and c.request.url.split("?")[0].endswith(path_end)]


def label_lists(fake_api, repository: str) -> int:
    return len(calls(fake_api, "GET", f"/repos/{repository}/labels"))


def drain(redis_conn, within: float = 30.0) -> None:
    """Run the worker until nothing waits, retries scheduled a second ahead included."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        run_worker(redis_conn)
        if not ScheduledJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids() \
                and not deliveries_queue(redis_conn).count:
            return
        time.sleep(0.2)
    raise AssertionError("jobs still waiting")


def assert_set_up(github, repositories) -> None:
    for repository in repositories:
        assert sorted(label["name"] for label in github.repo_labels[repository]) == sorted(GITHUB_LABELS)
        [pull] = [pull for (repo, _), pull in github.pulls.items() if repo == repository]
        assert pull["head_ref"] == ONBOARDING_BRANCH


def test_the_delivery_writes_no_label_and_queues_one_job_per_repository_once(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    payload = installation_of(REPOSITORIES)
    assert post_github(client, "installation", payload).json["outcome"] == "queued"
    run_one_job(redis_conn)  # the delivery alone
    assert calls(fake_api, "POST", "/labels") == []  # on main: 6 x 14 label creations, all in this one job
    assert calls(fake_api, "POST", "/pulls") == []
    queued = deliveries_queue(redis_conn).get_jobs()
    assert sorted(job.args[1] for job in queued if job.func_name == SET_UP_JOB) == sorted(REPOSITORIES)
    assert len(queued) == len(REPOSITORIES)

    run_worker(redis_conn)
    assert_set_up(github, REPOSITORIES)
    assert len(calls(fake_api, "POST", "/labels")) == len(REPOSITORIES) * len(GITHUB_LABELS)

    sent_before = len(fake_api.calls)
    assert post_github(client, "installation", payload).json["outcome"] == "queued"  # redelivered (a new id)
    run_one_job(redis_conn)
    assert deliveries_queue(redis_conn).count == 0  # nothing new queued
    run_worker(redis_conn)
    assert [c.request.url for c in fake_api.calls[sent_before:] if "/labels" in c.request.url
            or "/pulls" in c.request.url] == []


def test_a_502_retries_that_repository_s_job_alone(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    flaky = REPOSITORIES[2]
    github.label_failures[flaky] = [BAD_GATEWAY]
    post_github(client, "installation", installation_of(REPOSITORIES))
    drain(redis_conn)
    assert_set_up(github, REPOSITORIES)
    assert {repo: label_lists(fake_api, repo) for repo in REPOSITORIES} == {
        repo: 2 if repo == flaky else 1 for repo in REPOSITORIES}
    finished = FinishedJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
    assert len([job_id for job_id in finished if job_id.endswith("-retry1")]) == 1
    assert len(calls(fake_api, "POST", "/pulls")) == len(REPOSITORIES)


def test_a_secondary_rate_limit_retries_after_its_retry_after(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    limited = REPOSITORIES[0]
    github.label_failures[limited] = [SECONDARY_LIMIT]
    post_github(client, "installation", installation_of(REPOSITORIES[:3]))
    run_worker(redis_conn)
    [waiting] = ScheduledJobRegistry(DELIVERIES, connection=redis_conn).get_job_ids()
    assert waiting.endswith("-retry1")
    assert_set_up(github, REPOSITORIES[1:3])  # the others went on (after the second GitHub asked for)
    drain(redis_conn)
    assert_set_up(github, REPOSITORIES[:3])
    assert label_lists(fake_api, limited) == 2


def test_a_repository_refused_for_good_does_not_stop_the_others(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    github.missing.add(REPOSITORIES[1])
    post_github(client, "installation", installation_of(REPOSITORIES[:3]))
    drain(redis_conn)
    assert_set_up(github, [REPOSITORIES[0], REPOSITORIES[2]])
    assert label_lists(fake_api, REPOSITORIES[1]) == 1  # not retried
    assert store.onboarding("github", REPOSITORIES[1]) is None


def test_a_repository_whose_set_up_failed_is_queued_again_by_the_next_delivery(client, redis_conn, store, fake_api):
    github = FakeGitHub(fake_api)
    github.missing.add(REPOSITORIES[1])
    github.label_failures[REPOSITORIES[2]] = [BAD_GATEWAY] * 4  # every attempt (INCIDENT_DESK_MAX_ATTEMPTS=4)
    payload = installation_of(REPOSITORIES[:3])
    post_github(client, "installation", payload)
    drain(redis_conn)
    assert label_lists(fake_api, REPOSITORIES[2]) == 4 and REPOSITORIES[2] not in github.repo_labels
    github.missing.clear()  # the repositories are there now (a first commit pushed, GitHub well again)

    post_github(client, "installation", payload)  # redelivered
    run_one_job(redis_conn)
    assert sorted(job.args[1] for job in deliveries_queue(redis_conn).get_jobs()) == REPOSITORIES[1:3]
    drain(redis_conn)
    assert_set_up(github, REPOSITORIES[:3])
