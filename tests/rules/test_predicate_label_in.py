"""label_in: the issue has at least one of the listed labels."""

from __future__ import annotations

import pytest
from rulekit import FALSE, TRUE, Case, ids, run_case

CASES = [
    Case(
        "a listed label is true",
        {"label_in": ["tracking", "martech"]},
        {"labels": ("q3", "martech")},
        TRUE,
        reason="label martech is in [tracking, martech]",
    ),
    Case(
        "labels compare case-insensitively",
        {"label_in": ["MarTech"]},
        {"labels": ("martech",)},
        TRUE,
    ),
    Case(
        "other labels are false",
        {"label_in": ["tracking"]},
        {"labels": ("q3",)},
        FALSE,
        reason="no label in [tracking]; labels: q3",
    ),
    Case(
        "no labels at all is false",
        {"label_in": ["tracking"]},
        {},
        FALSE,
        contains=("has no labels",),
    ),
    Case(
        "a label that only contains a listed one is false",
        {"label_in": ["track"]},
        {"labels": ("tracking",)},
        FALSE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_label_in(case: Case) -> None:
    run_case(case)
