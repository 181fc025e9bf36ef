"""reporter_in_group: the reporter is in one of the listed groups."""

from __future__ import annotations

import pytest
from rulekit import (
    ERROR,
    FALSE,
    TRUE,
    Case,
    check,
    compile_predicate,
    context,
    ids,
    issue,
    run_case,
)

from bridgeplugin.model import User

GROUPS = {"dana": ["marketing", "staff"], "ivan": ["it-architecture"], "sam": ["Marketing"]}

CASES = [
    Case(
        "a reporter in the group is true",
        {"reporter_in_group": ["marketing"]},
        {"reporter": "dana"},
        TRUE,
        reason="reporter dana is in group marketing",
        groups=GROUPS,
    ),
    Case(
        "the reason names the listed group that matched",
        {"reporter_in_group": ["brand", "marketing"]},
        {"reporter": "dana"},
        TRUE,
        reason="reporter dana is in group marketing",
        groups=GROUPS,
    ),
    Case(
        "a reporter in other groups is false",
        {"reporter_in_group": ["marketing"]},
        {"reporter": "ivan"},
        FALSE,
        reason="reporter ivan is in none of [marketing]",
        groups=GROUPS,
    ),
    Case(
        "a reporter the directory does not know is false",
        {"reporter_in_group": ["marketing"]},
        {"reporter": "zoe"},
        FALSE,
        groups=GROUPS,
    ),
    Case(
        "group names compare case-insensitively",
        {"reporter_in_group": ["marketing"]},
        {"reporter": "sam"},
        TRUE,
        groups=GROUPS,
    ),
    Case(
        "an issue without a reporter is an error",
        {"reporter_in_group": ["marketing"]},
        {},
        ERROR,
        reason="the issue has no reporter (not loaded)",
        groups=GROUPS,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reporter_in_group(case: Case) -> None:
    run_case(case)


def test_the_reason_uses_the_display_name_and_values_keep_the_account_id() -> None:
    pred = compile_predicate({"reporter_in_group": ["marketing"]})
    the_issue = issue(reporter=User(account_id="5b10ac8d82e05b22cc7d4ef5", display_name="Dana"))
    result = check(pred, context(the_issue, {"5b10ac8d82e05b22cc7d4ef5": ["marketing"]}))
    assert result.reason == "reporter Dana is in group marketing"
    assert result.values["account_id"] == "5b10ac8d82e05b22cc7d4ef5"


class BrokenDirectory:
    def groups_of(self, account_id: str) -> frozenset[str]:
        raise TimeoutError("directory did not answer")


def test_a_directory_failure_is_an_error_outcome_not_an_exception() -> None:
    from bridgeplugin.rules import Context

    pred = compile_predicate({"reporter_in_group": ["marketing"]})
    result = check(pred, Context(issue(reporter="dana"), BrokenDirectory()))
    assert result.outcome is ERROR
    assert "could not look up the groups of dana" in result.reason
    assert "directory did not answer" in result.reason
