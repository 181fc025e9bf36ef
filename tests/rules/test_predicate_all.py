"""all: every child is true; Kleene AND with error = unknown."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, check, compile_predicate, context, issue

from bridgeplugin.rules import Context, Outcome, Result
from bridgeplugin.rules.predicates.all_ import All
from bridgeplugin.rules.predicates.base import Predicate

# Leaves whose outcome is known on the issue below.
LEAF = {
    TRUE: {"project_in": ["MKT"]},
    FALSE: {"label_in": ["nope"]},
    ERROR: {"field": "Missing", "gt": 1},
}
THE_ISSUE = issue(project="MKT", labels=("q3",))

CASES = [
    ("all true children make it true", [TRUE, TRUE], TRUE, "all 2 conditions are true"),
    ("one false child makes it false", [TRUE, FALSE], FALSE, "condition 2 of 2 is false"),
    ("false wins over an error before it", [ERROR, FALSE], FALSE, "condition 2 of 2 is false"),
    (
        "an error with no false child makes it an error",
        [TRUE, ERROR],
        ERROR,
        "no condition is false, but 1 of 2 could not be decided",
    ),
    ("a single child decides alone", [FALSE], FALSE, "condition 1 of 1 is false"),
]


@pytest.mark.parametrize(
    ("children", "outcome", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_all(children: list[Outcome], outcome: Outcome, reason: str) -> None:
    pred = compile_predicate({"all": [LEAF[c] for c in children]})
    result = check(pred, context(THE_ISSUE))
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.predicate == "all"


def test_evaluation_stops_at_the_first_false_child() -> None:
    pred = compile_predicate({"all": [LEAF[FALSE], LEAF[TRUE], LEAF[ERROR]]})
    result = check(pred, context(THE_ISSUE))
    assert [c.predicate for c in result.children] == ["label_in"]


def test_the_children_of_a_true_all_are_its_explanation() -> None:
    pred = compile_predicate({"all": [LEAF[TRUE], {"label_in": ["q3"]}]})
    result = check(pred, context(THE_ISSUE))
    assert [leaf.reason for leaf in result.decisive()] == [
        "project MKT is in [MKT]",
        "label q3 is in [q3]",
    ]


class Boom(Predicate):
    """A predicate that fails the way a bug or odd data would."""

    key = "boom"

    def evaluate(self, ctx: Context) -> Result:
        raise RuntimeError("boom")


def test_a_child_that_raises_is_recorded_as_an_error_node() -> None:
    pred = All([compile_predicate(LEAF[TRUE]), Boom()])
    result = check(pred, context(THE_ISSUE))
    assert result.outcome is ERROR
    assert result.children[1].reason == "could not evaluate: RuntimeError: boom"
    assert result.children[1].predicate == "boom"
