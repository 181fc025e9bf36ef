"""assignee_in_group: the assignee is in one of the groups; unassigned is false."""

from __future__ import annotations

import pytest
from rulekit import FALSE, TRUE, Case, ids, run_case

GROUPS = {"ivan": ["it-architecture"], "dana": ["marketing"]}

CASES = [
    Case(
        "an assignee in the group is true",
        {"assignee_in_group": ["it-architecture"]},
        {"assignee": "ivan"},
        TRUE,
        reason="assignee ivan is in group it-architecture",
        groups=GROUPS,
    ),
    Case(
        "an assignee elsewhere is false",
        {"assignee_in_group": ["it-architecture"]},
        {"assignee": "dana"},
        FALSE,
        groups=GROUPS,
    ),
    Case(
        "an unassigned issue is false, not an error",
        {"assignee_in_group": ["it-architecture"]},
        {},
        FALSE,
        reason="the issue is unassigned; wanted someone in [it-architecture]",
        groups=GROUPS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_assignee_in_group(case: Case) -> None:
    run_case(case)
