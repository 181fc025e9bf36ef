"""The documented example (fixtures/example) loads and decides the way its comments say."""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import ERROR, FALSE, FIXTURES, TRUE, issue, user

from bridgeplugin.rules import Outcome, StaticDirectory, evaluate, load_rules

RULES = load_rules(FIXTURES / "example")
GROUPS = StaticDirectory({"dana": ["marketing"], "ivan": ["it-architecture"]})
LOADED = {"Requested by": None, "Request Type": None, "Business justification": None, "Cost": None}

CASES: list[tuple[str, dict[str, Any], Outcome, Outcome, str | None]] = [
    (
        "a marketing pixel request is tagged as tracking",
        {"project": "MKT", "summary": "Add the Meta pixel"},
        TRUE,
        TRUE,
        "tracking",
    ),
    (
        "a vendor named in a marketing request gives the vendor's category",
        {"reporter": "dana", "project": "OPS", "summary": "GA4 on the microsite"},
        TRUE,
        TRUE,
        "tracking",
    ),
    (
        "IT's own work is vetoed as marketing-originated",
        {"project": "IT", "assignee": "ivan", "creator": "dana", "summary": "HubSpot upgrade"},
        FALSE,
        TRUE,
        "saas",
    ),
    (
        "a portal request for a new tool is a saas request",
        {
            "project": "OPS",
            "reporter": "zoe",
            "creator": "zoe",
            "status": "To Do",
            "custom": {**LOADED, "Request Type": "New marketing tool"},
        },
        FALSE,
        TRUE,
        "saas",
    ),
    (
        "customer data in the justification is a data request",
        {
            "project": "MKT",
            "custom": {**LOADED, "Business justification": "upload the contact list"},
        },
        TRUE,
        TRUE,
        "data",
    ),
    (
        "newsletter copy is vetoed as a tech request",
        {"project": "MKT", "summary": "Newsletter copy: mention our new pixel"},
        TRUE,
        FALSE,
        None,
    ),
    (
        "an expensive marketing task is spend",
        {"project": "MKT", "issue_type": "Task", "custom": {**LOADED, "Cost": 5000}},
        TRUE,
        TRUE,
        "spend",
    ),
    (
        "an issue without its custom fields cannot be decided",
        {"project": "MKT", "custom": {}},
        TRUE,
        ERROR,
        None,
    ),
]


@pytest.mark.parametrize(
    ("fields", "marketing", "tech", "category"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_example(
    fields: dict[str, Any], marketing: Outcome, tech: Outcome, category: str | None
) -> None:
    fields = {"reporter": user("zoe"), "creator": user("zoe"), "custom": LOADED, **fields}
    verdict = evaluate(RULES, RULES.context(issue(**fields), GROUPS))
    assert (verdict.marketing_originated, verdict.tech_request, verdict.category) == (
        marketing,
        tech,
        category,
    ), verdict.reasons()
