"""ref: a named predicate from the file's definitions."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, check, compile_predicate, context, issue

from bridgeplugin.rules import Outcome

DEFINITIONS = {
    "from_marketing": {"any": [{"project_in": ["MKT"]}, {"reporter_in_group": ["marketing"]}]},
    "costly": {"field": "Cost", "gt": 1000},
    "costly_marketing": {"all": [{"ref": "from_marketing"}, {"ref": "costly"}]},
}

CASES = [
    (
        "a true definition is true and says so",
        "from_marketing",
        {"project": "MKT"},
        TRUE,
        "from_marketing is true",
    ),
    (
        "a false definition is false",
        "from_marketing",
        {"project": "IT", "reporter": "ivan"},
        FALSE,
        "from_marketing is false",
    ),
    ("a definition that cannot be decided is an error", "costly", {}, ERROR, "costly is error"),
    (
        "definitions may use other definitions",
        "costly_marketing",
        {"project": "MKT", "custom": {"Cost": 5000}},
        TRUE,
        "costly_marketing is true",
    ),
]


@pytest.mark.parametrize(
    ("name", "fields", "outcome", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_ref(name: str, fields: dict, outcome: Outcome, reason: str) -> None:
    pred = compile_predicate({"ref": name}, definitions=DEFINITIONS)
    result = check(pred, context(issue(**fields)))
    assert (result.outcome, result.reason) == (outcome, reason)
    assert result.values == {"definition": name}


def test_the_tree_keeps_the_definition_s_own_result_below_its_name() -> None:
    pred = compile_predicate({"ref": "from_marketing"}, definitions=DEFINITIONS)
    result = check(pred, context(issue(project="MKT")))
    assert result.lines() == [
        "[true]  ref: from_marketing is true",
        "  [true]  any: condition 1 of 2 is true",
        "    [true]  project_in: project MKT is in [MKT]",
    ]


def test_a_definition_used_twice_is_decided_once_per_issue() -> None:
    pred = compile_predicate(
        {"all": [{"ref": "from_marketing"}, {"not": {"ref": "from_marketing"}}]},
        definitions=DEFINITIONS,
    )
    first, second = pred.items[0], pred.items[1].item  # type: ignore[attr-defined]
    assert first.item is second.item  # one compiled definition, shared
    ctx = context(issue(project="MKT"))
    assert check(pred, ctx).outcome is FALSE
    assert ctx.memo == {first.item: TRUE}
