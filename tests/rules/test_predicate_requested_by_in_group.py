"""requested_by_in_group: someone in the "Requested by" user field is in one of the groups."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, check, compile_predicate, ids, issue, run_case, user

from bridgeplugin.rules import Context, FieldNames

GROUPS = {"dana": ["marketing"], "ivan": ["it-architecture"]}
SPEC = {"requested_by_in_group": ["marketing"]}

CASES = [
    Case(
        "a requester given as a user model is looked up",
        SPEC,
        {"custom": {"Requested by": user("dana", "Dana")}},
        TRUE,
        reason="requester Dana is in group marketing",
        groups=GROUPS,
    ),
    Case(
        "a requester given as Jira JSON is looked up",
        SPEC,
        {"custom": {"Requested by": {"accountId": "dana", "displayName": "Dana W"}}},
        TRUE,
        reason="requester Dana W is in group marketing",
        groups=GROUPS,
    ),
    Case(
        "a requester given as an account id is looked up",
        SPEC,
        {"custom": {"Requested by": "dana"}},
        TRUE,
        groups=GROUPS,
    ),
    Case(
        "one of several requesters in the group is enough",
        SPEC,
        {"custom": {"Requested by": ["ivan", "dana"]}},
        TRUE,
        groups=GROUPS,
    ),
    Case(
        "a requester given as a user model outside the group is false",
        SPEC,
        {"custom": {"Requested by": user("ivan", "Ivan")}},
        FALSE,
        reason="requester Ivan is in none of [marketing]",
        groups=GROUPS,
    ),
    Case(
        "requesters outside the group are false and are all named",
        SPEC,
        {"custom": {"Requested by": ["ivan", "zoe"]}},
        FALSE,
        reason="requester ivan, zoe is in none of [marketing]",
        groups=GROUPS,
    ),
    Case(
        "an empty Requested by field is false",
        SPEC,
        {"custom": {"Requested by": None}},
        FALSE,
        reason="Requested by is empty; wanted someone in [marketing]",
        groups=GROUPS,
    ),
    Case(
        "a Requested by field that was not loaded is an error",
        SPEC,
        {"custom": {}},
        ERROR,
        contains=("'Requested by' is not on the issue",),
        groups=GROUPS,
    ),
    Case(
        "the field name comes from config",
        SPEC,
        {"custom": {"Requester": "dana"}},
        TRUE,
        groups=GROUPS,
        fields=FieldNames(requested_by="Requester"),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_requested_by_in_group(case: Case) -> None:
    run_case(case)


class BrokenDirectory:
    def groups_of(self, account_id: str) -> frozenset[str]:
        raise TimeoutError("directory did not answer")


@pytest.mark.parametrize("value", [user("dana", "Dana"), "dana"], ids=["user model", "account id"])
def test_a_directory_failure_is_an_error_outcome_not_an_exception(value: object) -> None:
    pred = compile_predicate(SPEC)
    result = check(pred, Context(issue(custom={"Requested by": value}), BrokenDirectory()))
    assert result.outcome is ERROR
    assert "directory did not answer" in result.reason
