"""The root-cause taxonomy of reference/001: terms, trees (`A < B < C`) and lookup."""
from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from types import MappingProxyType

# Term -> one-line meaning, paraphrased from reference/001.
TERMS = MappingProxyType({
    "COMMUNICATION_FAILURE": "Expected behaviour that was not documented, or instructions were insufficient.",
    "DATA_QUALITY": "The data used by a process was inaccurate, incomplete or irrelevant.",
    "FAILED_LINTER": "The linter and its rules did not catch a syntax error.",
    "FAILED_MIGRATION": "A migration failed and harmed processes or data integrity.",
    "IMPOSSIBLE_TO_TEST": "The operation cannot be tested by its nature.",
    "INCOMPLETE_PERSPECTIVE": "Some aspects were not considered when planning or building.",
    "INFRASTRUCTURE_ERROR": "Infrastructure-as-code misconfiguration broke or degraded a component.",
    "LACK_OF_TRACEABILITY": "Not enough logs or tools to find the root cause.",
    "MISSING_ALERT": "Development and CI raised no alert, so the error reached production unnoticed.",
    "MISSING_TEST": "A specific test was missing.",
    "NO_SPECIFIED": "The error has no reasonable or clear explanation.",
    "ROTATION_FAILURE": "Credential rotation failed and a component lost access to a third party.",
    "THIRD_PARTY_CHANGE": "A provider changed its infrastructure or technology.",
    "THIRD_PARTY_ERROR": "A provider failed or was down.",
    "UNHANDLED_EXCEPTION": "An exception happened without error handling.",
})

TREE_SEPARATOR = "<"

# A term as written in a document: letters, digits, underscores (spaces/hyphens are folded in).
_TERM = re.compile(r"^[A-Z][A-Z0-9_]*$")


def normalize_term(text: str) -> str:
    """`data quality`, `Data-Quality` and `` `DATA_QUALITY` `` all mean DATA_QUALITY."""
    text = text.strip().strip("`*_ ").strip()
    return re.sub(r"[\s-]+", "_", text).upper()


def parse_tree(text: str) -> tuple[str, ...]:
    """The terms of a taxonomy term or tree, principal failure first; empty when there are none."""
    terms = tuple(normalize_term(part) for part in text.split(TREE_SEPARATOR))
    return terms if all(terms) else ()


def looks_like_tree(text: str) -> bool:
    """Whether a bare line is written as taxonomy terms (UPPER_CASE words joined by `<`)."""
    parts = [part.strip().strip("`*").strip() for part in text.split(TREE_SEPARATOR)]
    return bool(parts) and all(_TERM.match(part) and "_" in part or part in TERMS for part in parts)


def known_terms(extra: Iterable[str] = ()) -> frozenset[str]:
    """The built-in terms plus a repository's own (from the config `taxonomy` key)."""
    return frozenset(TERMS) | {normalize_term(term) for term in extra}


def suggest(term: str, known: Iterable[str]) -> str | None:
    """The closest known term, to suggest when a term is misspelt."""
    matches = difflib.get_close_matches(normalize_term(term), sorted(known), n=1, cutoff=0.75)
    return matches[0] if matches else None
