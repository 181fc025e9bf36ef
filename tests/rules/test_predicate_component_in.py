"""component_in: the issue has at least one of the listed components."""

from __future__ import annotations

import pytest
from rulekit import FALSE, TRUE, Case, ids, run_case

CASES = [
    Case(
        "one listed component is enough",
        {"component_in": ["Campaigns"]},
        {"components": ("Web", "Campaigns")},
        TRUE,
        reason="component Campaigns is in [Campaigns]",
    ),
    Case(
        "several listed components are all named",
        {"component_in": ["Web", "Campaigns"]},
        {"components": ("Web", "Campaigns")},
        TRUE,
        reason="components Web, Campaigns are in [Web, Campaigns]",
    ),
    Case(
        "no listed component is false and names the ones it has",
        {"component_in": ["Campaigns"]},
        {"components": ("Backend",)},
        FALSE,
        reason="no component in [Campaigns]; components: Backend",
    ),
    Case(
        "an issue without components is false",
        {"component_in": ["Campaigns"]},
        {},
        FALSE,
        reason="the issue has no components; wanted one of [Campaigns]",
    ),
    Case(
        "components compare case-insensitively",
        {"component_in": ["campaigns"]},
        {"components": ("Campaigns",)},
        TRUE,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_component_in(case: Case) -> None:
    run_case(case)
