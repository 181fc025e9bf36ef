"""issue_type_in: the issue type is one of the listed names."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case

CASES = [
    Case(
        "a listed issue type is true",
        {"issue_type_in": ["Task", "Story"]},
        {"issue_type": "Story"},
        TRUE,
        reason="issue type Story is in [Task, Story]",
    ),
    Case(
        "an unlisted issue type is false",
        {"issue_type_in": ["Task"]},
        {"issue_type": "Epic"},
        FALSE,
        reason="issue type Epic is not in [Task]",
    ),
    Case(
        "names compare case-insensitively",
        {"issue_type_in": ["sub-task"]},
        {"issue_type": "Sub-task"},
        TRUE,
    ),
    Case(
        "an issue type that was not loaded is an error",
        {"issue_type_in": ["Task"]},
        {},
        ERROR,
        contains=("issue type",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_issue_type_in(case: Case) -> None:
    run_case(case)
