"""creator_in_group: the creator (may differ from the reporter) is in one of the groups."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case

GROUPS = {"dana": ["marketing"], "ivan": ["it-architecture"]}

CASES = [
    Case(
        "a creator in the group is true",
        {"creator_in_group": ["marketing"]},
        {"creator": "dana", "reporter": "ivan"},
        TRUE,
        reason="creator dana is in group marketing",
        groups=GROUPS,
    ),
    Case(
        "the reporter does not count for the creator",
        {"creator_in_group": ["marketing"]},
        {"creator": "ivan", "reporter": "dana"},
        FALSE,
        reason="creator ivan is in none of [marketing]",
        groups=GROUPS,
    ),
    Case(
        "an issue without a creator is an error",
        {"creator_in_group": ["marketing"]},
        {"reporter": "dana"},
        ERROR,
        reason="the issue has no creator (not loaded)",
        groups=GROUPS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_creator_in_group(case: Case) -> None:
    run_case(case)
