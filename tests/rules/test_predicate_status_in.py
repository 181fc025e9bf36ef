"""status_in: the issue's status is one of the listed names."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case

CASES = [
    Case(
        "a listed status is true",
        {"status_in": ["In Review", "Approved"]},
        {"status": "Approved"},
        TRUE,
        reason="status Approved is in [In Review, Approved]",
    ),
    Case(
        "another status is false",
        {"status_in": ["Approved"]},
        {"status": "To Do"},
        FALSE,
        reason="status To Do is not in [Approved]",
    ),
    Case(
        "statuses compare case-insensitively",
        {"status_in": ["approved"]},
        {"status": "Approved"},
        TRUE,
    ),
    Case("a status that was not loaded is an error", {"status_in": ["Approved"]}, {}, ERROR),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_status_in(case: Case) -> None:
    run_case(case)
