"""project_in: the issue's project key is one of the listed keys."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case

CASES = [
    Case(
        "a project in the list is true",
        {"project_in": ["MKT"]},
        {"project": "MKT"},
        TRUE,
        reason="project MKT is in [MKT]",
    ),
    Case(
        "a project outside the list is false",
        {"project_in": ["MKT", "BRAND"]},
        {"project": "IT"},
        FALSE,
        reason="project IT is not in [MKT, BRAND]",
    ),
    Case("keys compare case-insensitively", {"project_in": ["mkt"]}, {"project": "MKT"}, TRUE),
    Case(
        "an issue whose project was not loaded is an error",
        {"project_in": ["MKT"]},
        {},
        ERROR,
        reason="the issue has no project (not loaded)",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_project_in(case: Case) -> None:
    run_case(case)


def test_the_result_names_the_project_it_looked_at() -> None:
    result = run_case(CASES[0])
    assert result.predicate == "project_in"
    assert result.values == {"project": "MKT"}
