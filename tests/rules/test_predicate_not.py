"""not: negates its predicate; an error stays an error."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, check, compile_predicate, context, issue

from bridgeplugin.rules import Outcome

LEAF = {
    TRUE: {"project_in": ["MKT"]},
    FALSE: {"project_in": ["IT"]},
    ERROR: {"field": "Missing", "gt": 1},
}

CASES = [
    ("not of true is false", TRUE, FALSE, "the condition below is true"),
    ("not of false is true", FALSE, TRUE, "the condition below is false"),
    ("not of an error is still an error", ERROR, ERROR, "the condition below could not be decided"),
]


@pytest.mark.parametrize(
    ("child", "outcome", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_not(child: Outcome, outcome: Outcome, reason: str) -> None:
    result = check(compile_predicate({"not": LEAF[child]}), context(issue(project="MKT")))
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.children[0].outcome is child


def test_a_true_not_is_explained_by_its_false_child_which_reads_as_a_fact() -> None:
    result = check(compile_predicate({"not": LEAF[FALSE]}), context(issue(project="MKT")))
    assert [leaf.reason for leaf in result.decisive()] == ["project MKT is not in [IT]"]
