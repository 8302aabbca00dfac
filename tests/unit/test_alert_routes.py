"""INCIDENT_DESK_ALERT_ROUTES (issue 17): which repository an alert's labels send it to, as a table of cases,
and each malformed route refused with a message naming it."""
from __future__ import annotations

import pytest

from incidents.alert_routes import Matcher, Route, parse_routes, route

ROUTES = ("team=payments -> github:acme/payments; team=search,env=prod -> gitlab:search/app; "
          "* -> github:acme/incidents")


def test_the_documented_example_reads_as_three_routes_in_order():
    assert parse_routes(ROUTES) == (
        Route((Matcher("team", "=", "payments"),), "github", "acme/payments"),
        Route((Matcher("team", "=", "search"), Matcher("env", "=", "prod")), "gitlab", "search/app"),
        Route((), "github", "acme/incidents"),
    )


@pytest.mark.parametrize("labels, expected", [
    ({"team": "payments"}, ("github", "acme/payments")),
    ({"team": "payments", "env": "prod"}, ("github", "acme/payments")),  # the first match wins
    ({"team": "search", "env": "prod"}, ("gitlab", "search/app")),
    ({"team": "search", "env": "staging"}, ("github", "acme/incidents")),  # comma is "and"
    ({"team": "search"}, ("github", "acme/incidents")),
    ({"team": "Payments"}, ("github", "acme/incidents")),  # values are compared exactly
    ({}, ("github", "acme/incidents")),  # `*` matches anything, no labels too
])
def test_the_first_matching_route_wins(labels, expected):
    assert route(parse_routes(ROUTES), labels) == expected


@pytest.mark.parametrize("matcher, labels, expected", [
    ("team=payments", {"team": "payments"}, True),
    ("team=payments", {"team": "payments-eu"}, False),
    ("team!=payments", {"team": "search"}, True),
    ("team!=payments", {}, True),  # a missing label is the empty value, as in Alertmanager
    ("team!=payments", {"team": "payments"}, False),
    ("team=", {}, True),
    ("team=", {"team": "x"}, False),
    ("team=~pay.*", {"team": "payments"}, True),
    ("team=~pay", {"team": "payments"}, False),  # the regex matches the whole value
    ("team=~pay|search", {"team": "search"}, True),
    ("team!~pay.*", {"team": "payments"}, False),
    ("team!~pay.*", {"team": "search"}, True),
    ("team!~.+", {}, True),
    ('summary="a, b; c -> d"', {"summary": "a, b; c -> d"}, True),  # quoted: , ; -> are the value's
    ('summary="say \\"hi\\""', {"summary": 'say "hi"'}, True),
    ('severity=~"critical|error"', {"severity": "error"}, True),
    ("severity = critical , team =~ pay.*", {"severity": "critical", "team": "pay"}, True),
    ("severity=critical,team=~pay.*", {"severity": "critical", "team": "search"}, False),
])
def test_matchers_as_alertmanager_reads_them(matcher, labels, expected):
    routes = parse_routes(f"{matcher} -> github:acme/x")
    assert (route(routes, labels) == ("github", "acme/x")) is expected


@pytest.mark.parametrize("text, expected", [
    ("", ()),
    ("   ", ()),
    (";;", ()),
    ("* -> gitlab:group/sub/project;", (Route((), "gitlab", "group/sub/project"),)),
    ("team=a -> github:o/a\nteam=b->GitLab:g/b\r\n", (
        Route((Matcher("team", "=", "a"),), "github", "o/a"), Route((Matcher("team", "=", "b"),), "gitlab", "g/b"))),
])
def test_separators_blank_routes_and_new_lines(text, expected):
    assert parse_routes(text) == expected


def test_labels_matching_no_route_have_no_repository():
    routes = parse_routes("team=payments -> github:acme/payments")
    assert route(routes, {"team": "search"}) is None
    assert route((), {"team": "payments"}) is None


@pytest.mark.parametrize("text, fragment", [
    ("team=payments", "route 1 ('team=payments'): expected `->` and a repository after the matchers"),
    ("team -> github:a/b", "expected =, !=, =~ or !~ after the label 'team'"),
    ("9team=x -> github:a/b", "expected a label name (letters, digits and `_`) or `*`"),
    ("team==x -> github:a/b", "expected `->` and a repository"),
    ("service=Checkout API -> github:a/b", 'a value with spaces goes in quotes: `service="Checkout API"`'),
    ("team=x ->", "expected `github:owner/name` or `gitlab:group/project` after `->`"),
    ("team=x -> acme/payments", "expected `github:owner/name` or `gitlab:group/project` after `->`"),
    ("team=x -> bitbucket:a/b", "unknown platform 'bitbucket'; use github or gitlab"),
    ("team=x -> github:acme", "'acme' is not a github repository; write owner/name"),
    ("team=x -> github:a/b/c", "'a/b/c' is not a github repository; write owner/name"),
    ("team=x -> gitlab:solo", "'solo' is not a gitlab repository; write group/project (subgroups allowed)"),
    ("team=x -> github:a/b extra", "expected `;` or the end after the repository"),
    ("team=x -> github:a/b,c", "'a/b,c' is not a github repository"),
    ("team=~( -> github:a/b", "'(' is not a regular expression"),
    ('team="open -> github:a/b', "expected `->` and a repository"),
    ("a=1 -> github:o/a; * -> github:o/b; b=2 -> github:o/c",
     "route 3 ('b=2 -> github:o/c'): it comes after a `*` route, so it would never be used"),
])
def test_a_bad_route_is_refused_with_where_and_why(text, fragment):
    with pytest.raises(ValueError) as raised:
        parse_routes(text)
    message = str(raised.value)
    assert message.startswith("INCIDENT_DESK_ALERT_ROUTES, route ") and fragment in message
    assert "Write routes as `label=value,label=~regex -> github:owner/name`" in message


def test_routes_are_values():
    first, second = parse_routes("team=~pay.* -> github:a/b"), parse_routes("team=~pay.* -> github:a/b")
    assert first == second and hash(first) == hash(second)
