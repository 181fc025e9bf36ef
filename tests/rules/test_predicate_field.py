"""field: one comparison on a custom field, by the field's name."""

from __future__ import annotations

import pytest
from rulekit import ERROR, FALSE, TRUE, Case, ids, run_case


def cost(value: object) -> dict[str, object]:
    return {"custom": {"Cost": value}}


def channel(value: object) -> dict[str, object]:
    return {"custom": {"Channel": value}}


CASES = [
    # numeric comparisons
    Case(
        "a cost above the limit is more than it",
        {"field": "Cost", "gt": 1000},
        cost(4500.0),
        TRUE,
        reason="Cost is 4500, more than 1000",
    ),
    Case(
        "a cost at the limit is not more than it",
        {"field": "Cost", "gt": 1000},
        cost(1000),
        FALSE,
        reason="Cost is 1000, not more than 1000",
    ),
    Case(
        "gte includes the limit",
        {"field": "Cost", "gte": 1000},
        cost(1000),
        TRUE,
        reason="Cost is 1000, at least 1000",
    ),
    Case(
        "lt below the limit is true",
        {"field": "Cost", "lt": 500},
        cost(499.5),
        TRUE,
        reason="Cost is 499.5, less than 500",
    ),
    Case(
        "lte above the limit is false",
        {"field": "Cost", "lte": 500},
        cost(501),
        FALSE,
        reason="Cost is 501, not at most 500",
    ),
    Case(
        "an empty cost cannot be compared and is an error",
        {"field": "Cost", "gt": 1000},
        cost(None),
        ERROR,
        reason="Cost is empty, so 'Cost more than 1000' cannot be decided",
    ),
    Case(
        "a cost written as text is an error, not a number",
        {"field": "Cost", "gt": 1000},
        cost("1500"),
        ERROR,
        contains=("'1500', not a number",),
    ),
    Case("true is not a number", {"field": "Cost", "gt": 0}, cost(True), ERROR),
    Case(
        "a field that is not on the issue is an error",
        {"field": "Cost", "gt": 1000},
        {"custom": {}},
        ERROR,
        reason="field 'Cost' is not on the issue (not loaded, or no such field)",
    ),
    # eq / ne
    Case(
        "eq on text ignores case",
        {"field": "Channel", "eq": "social"},
        channel("Social"),
        TRUE,
        reason="Channel is 'Social'",
    ),
    Case(
        "eq on other text is false and names both",
        {"field": "Channel", "eq": "Social"},
        channel("Print"),
        FALSE,
        reason="Channel is 'Print', not 'Social'",
    ),
    Case("eq does not turn text into numbers", {"field": "Cost", "eq": 1000}, cost("1000"), FALSE),
    Case(
        "eq reads an option object by its value",
        {"field": "Channel", "eq": "Social"},
        channel({"value": "Social", "id": "10021"}),
        TRUE,
    ),
    Case(
        "eq on an empty field is false",
        {"field": "Channel", "eq": "Social"},
        channel(""),
        FALSE,
        reason="Channel is empty",
    ),
    Case(
        "eq on a field holding several values is an error",
        {"field": "Channel", "eq": "Social"},
        channel(["Social", "Email"]),
        ERROR,
        contains=("several values", "use contains or in"),
    ),
    Case(
        "eq on a one-element list compares the element",
        {"field": "Channel", "eq": "Social"},
        channel(["Social"]),
        TRUE,
    ),
    Case(
        "a boolean is not equal to 1", {"field": "Flag", "eq": 1}, {"custom": {"Flag": True}}, FALSE
    ),
    Case(
        "ne on a different value is true",
        {"field": "Channel", "ne": "Print"},
        channel("Social"),
        TRUE,
        reason="Channel is 'Social', not 'Print'",
    ),
    Case(
        "ne on the same value is false",
        {"field": "Channel", "ne": "Print"},
        channel("print"),
        FALSE,
    ),
    Case("ne on an empty field is true", {"field": "Channel", "ne": "Print"}, channel(None), TRUE),
    # in / not_in
    Case(
        "in: the value is one of the list",
        {"field": "Channel", "in": ["Social", "Email"]},
        channel("email"),
        TRUE,
        reason="Channel is 'email', in ['Social', 'Email']",
    ),
    Case(
        "in: a multi-value field with one listed element is true",
        {"field": "Channel", "in": ["Social"]},
        channel(["Print", "Social"]),
        TRUE,
    ),
    Case(
        "in: a value outside the list is false",
        {"field": "Channel", "in": ["Social"]},
        channel("Print"),
        FALSE,
    ),
    Case("in: an empty field is false", {"field": "Channel", "in": ["Social"]}, channel([]), FALSE),
    Case(
        "not_in: a value outside the list is true",
        {"field": "Channel", "not_in": ["Print"]},
        channel("Social"),
        TRUE,
    ),
    Case(
        "not_in: a listed value is false",
        {"field": "Channel", "not_in": ["Print"]},
        channel(["Print"]),
        FALSE,
    ),
    Case(
        "not_in: an empty field is true",
        {"field": "Channel", "not_in": ["Print"]},
        channel(None),
        TRUE,
    ),
    # contains
    Case(
        "contains finds text inside text, ignoring case",
        {"field": "Justification", "contains": "customer data"},
        {"custom": {"Justification": "We upload Customer Data to the vendor"}},
        TRUE,
    ),
    Case(
        "contains on text without it is false",
        {"field": "Justification", "contains": "customer data"},
        {"custom": {"Justification": "brand refresh"}},
        FALSE,
    ),
    Case(
        "contains on a list looks for an equal element",
        {"field": "Tools", "contains": "Slack"},
        {"custom": {"Tools": ["slack", "Zoom"]}},
        TRUE,
    ),
    Case(
        "contains on a list does not match parts of elements",
        {"field": "Tools", "contains": "Sla"},
        {"custom": {"Tools": ["Slack"]}},
        FALSE,
    ),
    Case(
        "contains on a number is an error",
        {"field": "Cost", "contains": "1"},
        cost(100),
        ERROR,
        contains=("neither text nor a list",),
    ),
    # is_empty
    Case(
        "is_empty true on null is true",
        {"field": "Cost", "is_empty": True},
        cost(None),
        TRUE,
        reason="Cost is empty",
    ),
    Case(
        "is_empty true on blank text is true",
        {"field": "Channel", "is_empty": True},
        channel("  "),
        TRUE,
    ),
    Case(
        "is_empty true on a value is false",
        {"field": "Cost", "is_empty": True},
        cost(5),
        FALSE,
        reason="Cost is 5, not empty",
    ),
    Case(
        "is_empty false on a value is true",
        {"field": "Cost", "is_empty": False},
        cost(5),
        TRUE,
        reason="Cost is 5",
    ),
    Case(
        "is_empty true on an empty list is true",
        {"field": "Tools", "is_empty": True},
        {"custom": {"Tools": []}},
        TRUE,
    ),
    Case(
        "is_empty false on a list of blanks is true: it holds values",
        {"field": "Tools", "is_empty": False},
        {"custom": {"Tools": ("", " ")}},
        TRUE,
    ),
    Case(
        "is_empty false on an option object reads its value",
        {"field": "Channel", "is_empty": False},
        {"custom": {"Channel": {"value": " "}}},
        FALSE,
    ),
    Case(
        "is_empty on a missing field is an error, not empty",
        {"field": "Cost", "is_empty": True},
        {"custom": {}},
        ERROR,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_field(case: Case) -> None:
    run_case(case)


def test_values_name_the_field_and_the_value_looked_at() -> None:
    result = run_case(CASES[0])
    assert result.values == {"field": "Cost", "value": 4500.0}
