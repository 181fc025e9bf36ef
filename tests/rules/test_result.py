"""The result tree and three-valued logic."""

from __future__ import annotations

import itertools

import pytest
from rulekit import ERROR, FALSE, TRUE

from bridgeplugin.rules import Outcome, Result
from bridgeplugin.rules.result import all_of, any_of, negate

ALL = [TRUE, FALSE, ERROR]


def kleene_value(o: Outcome) -> float:
    return {TRUE: 1.0, ERROR: 0.5, FALSE: 0.0}[o]


@pytest.mark.parametrize(("a", "b"), list(itertools.product(ALL, ALL)))
def test_and_or_follow_kleene_logic(a: Outcome, b: Outcome) -> None:
    # Kleene's strong three-valued logic is min/max over false < unknown < true.
    assert kleene_value(all_of([a, b])) == min(kleene_value(a), kleene_value(b))
    assert kleene_value(any_of([a, b])) == max(kleene_value(a), kleene_value(b))


def test_negation_keeps_unknown_unknown() -> None:
    assert [negate(o) for o in ALL] == [FALSE, TRUE, ERROR]


def test_empty_all_is_true_and_empty_any_is_false() -> None:
    assert all_of([]) is TRUE
    assert any_of([]) is FALSE


def tree() -> Result:
    return Result(
        "any",
        TRUE,
        "condition 2 of 2 is true",
        (
            Result("project_in", FALSE, "project IT is not in [MKT]"),
            Result(
                "all",
                TRUE,
                "all 2 conditions are true",
                (
                    Result(
                        "reporter_in_group",
                        TRUE,
                        "reporter dana is in group marketing",
                        values={"account_id": "dana", "group": "marketing"},
                    ),
                    Result("field", TRUE, "Cost is 4500, more than 1000"),
                ),
            ),
        ),
    )


def test_decisive_leaves_are_what_made_the_outcome() -> None:
    assert [r.reason for r in tree().decisive()] == [
        "reporter dana is in group marketing",
        "Cost is 4500, more than 1000",
    ]


def test_lines_render_the_tree_for_people() -> None:
    assert tree().lines() == [
        "[true]  any: condition 2 of 2 is true",
        "  [false] project_in: project IT is not in [MKT]",
        "  [true]  all: all 2 conditions are true",
        "    [true]  reporter_in_group: reporter dana is in group marketing",
        "    [true]  field: Cost is 4500, more than 1000",
    ]


def test_to_dict_is_json_ready_and_omits_empty_parts() -> None:
    data = tree().to_dict()
    assert data["outcome"] == "true"
    assert "values" not in data
    assert data["children"][0] == {
        "predicate": "project_in",
        "outcome": "false",
        "reason": "project IT is not in [MKT]",
    }
    assert data["children"][1]["children"][0]["values"] == {
        "account_id": "dana",
        "group": "marketing",
    }


def test_a_reason_given_as_a_function_is_built_once_when_read() -> None:
    calls: list[int] = []

    def reason() -> str:
        calls.append(1)
        return "built"

    node = Result("x", TRUE, reason)
    assert calls == []
    assert node.reason == "built" and node.reason == "built"
    assert calls == [1]


def test_walk_visits_every_node_depth_first() -> None:
    assert [r.predicate for r in tree().walk()] == [
        "any",
        "project_in",
        "all",
        "reporter_in_group",
        "field",
    ]
