"""any: at least one child is true; Kleene OR with error = unknown."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, check, compile_predicate, context, issue

from bridgeplugin.rules import Outcome

LEAF = {
    TRUE: {"project_in": ["MKT"]},
    FALSE: {"label_in": ["nope"]},
    ERROR: {"field": "Missing", "gt": 1},
}
THE_ISSUE = issue(project="MKT")

CASES = [
    ("one true child makes it true", [FALSE, TRUE], TRUE, "condition 2 of 2 is true"),
    ("true wins over an error before it", [ERROR, TRUE], TRUE, "condition 2 of 2 is true"),
    ("all false children make it false", [FALSE, FALSE], FALSE, "none of 2 conditions is true"),
    (
        "an error with no true child makes it an error",
        [FALSE, ERROR],
        ERROR,
        "no condition is true, and 1 of 2 could not be decided",
    ),
]


@pytest.mark.parametrize(
    ("children", "outcome", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_any(children: list[Outcome], outcome: Outcome, reason: str) -> None:
    pred = compile_predicate({"any": [LEAF[c] for c in children]})
    result = check(pred, context(THE_ISSUE))
    assert (result.outcome, result.reason) == (outcome, reason)


def test_evaluation_stops_at_the_first_true_child() -> None:
    pred = compile_predicate({"any": [LEAF[TRUE], LEAF[ERROR]]})
    result = check(pred, context(THE_ISSUE))
    assert [c.predicate for c in result.children] == ["project_in"]


def test_a_false_any_keeps_every_child_as_its_explanation() -> None:
    pred = compile_predicate({"any": [LEAF[FALSE], {"project_in": ["IT"]}]})
    result = check(pred, context(THE_ISSUE))
    assert [leaf.reason for leaf in result.decisive()] == [
        "the issue has no labels; wanted one of [nope]",
        "project MKT is not in [IT]",
    ]
