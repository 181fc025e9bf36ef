"""signals: the weighted signals of a named set reach its threshold."""

from __future__ import annotations

from typing import Any

import pytest
from rulekit import ERROR, FALSE, TRUE, check, compile_predicate, context, issue

from bridgeplugin.rules import Outcome, VendorCatalog

TECH: dict[str, Any] = {
    "tech": {
        "threshold": 4,
        "keywords": {"pixel": 3, "crm": 2, "webinar": -2},
        "phrases": {"tag manager": 3},
        "regex": {r"\bapi[- ]?keys?\b": 2},
        "vendors": {"weight": 3},
    }
}


def evaluate(spec: Any, catalog: VendorCatalog, signals: dict[str, Any] = TECH, **fields: Any):
    pred = compile_predicate(spec, catalog=catalog, signals=signals)
    return check(pred, context(issue(**fields), catalog=catalog))


CASES: list[tuple[str, Any, dict[str, Any], Outcome, str]] = [
    (
        "one strong signal alone stays below the threshold",
        "tech",
        {"summary": "new pixel"},
        FALSE,
        "signals 'tech' scored 3, below the threshold 4: keyword 'pixel' (+3, summary)",
    ),
    (
        "two signals together reach the threshold",
        "tech",
        {"summary": "new pixel", "description": "sync leads to the crm"},
        TRUE,
        "signals 'tech' scored 5, reaching the threshold 4: keyword 'pixel' (+3, summary), "
        "keyword 'crm' (+2, description)",
    ),
    (
        "a signal counts once however often it occurs",
        "tech",
        {"summary": "pixel pixel", "description": "pixel"},
        FALSE,
        "signals 'tech' scored 3, below the threshold 4: keyword 'pixel' (+3, summary)",
    ),
    (
        "a negative weight pulls the score down; hits are listed in rule order",
        "tech",
        {"summary": "crm pixel for the webinar"},
        FALSE,
        "signals 'tech' scored 3, below the threshold 4: keyword 'pixel' (+3, summary), "
        "keyword 'crm' (+2, summary), keyword 'webinar' (-2, summary)",
    ),
    (
        "a regex and a vendor add their weights",
        "tech",
        {"description": "HubSpot needs an API key"},
        TRUE,
        "signals 'tech' scored 5, reaching the threshold 4: regex '\\\\bapi[- ]?keys?\\\\b' "
        "(+2, description), vendor 'HubSpot' (+3, description)",
    ),
    (
        "nothing matching scores zero",
        "tech",
        {"summary": "brand refresh"},
        FALSE,
        "signals 'tech' scored 0, below the threshold 4: no signal matched",
    ),
    (
        "a predicate may raise the threshold",
        {"name": "tech", "threshold": 6},
        {"summary": "pixel", "description": "crm"},
        FALSE,
        "signals 'tech' scored 5, below the threshold 6: keyword 'pixel' (+3, summary), "
        "keyword 'crm' (+2, description)",
    ),
]


@pytest.mark.parametrize(
    ("spec", "fields", "outcome", "reason"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_signals(
    spec: Any, fields: dict[str, Any], outcome: Outcome, reason: str, catalog: VendorCatalog
) -> None:
    result = evaluate({"signals": spec}, catalog, **fields)
    assert result.outcome is outcome
    assert result.reason == reason


def test_vendor_signals_can_be_limited_to_categories(catalog: VendorCatalog) -> None:
    signals = {"s": {"threshold": 3, "vendors": {"weight": 3, "categories": ["tracking"]}}}
    assert evaluate({"signals": "s"}, catalog, signals, summary="HubSpot").outcome is FALSE
    assert evaluate({"signals": "s"}, catalog, signals, summary="GA4").outcome is TRUE


def test_a_missing_custom_field_below_the_threshold_is_an_error(catalog: VendorCatalog) -> None:
    signals = {"s": {"threshold": 4, "in": ["summary", "Justification"], "keywords": {"crm": 2}}}
    result = evaluate({"signals": "s"}, catalog, signals, summary="crm")
    assert result.outcome is ERROR
    assert "without field 'Justification', which is not on the issue" in result.reason


def test_a_missing_custom_field_does_not_spoil_a_score_already_reached(
    catalog: VendorCatalog,
) -> None:
    signals = {"s": {"threshold": 2, "in": ["summary", "Justification"], "keywords": {"crm": 2}}}
    assert evaluate({"signals": "s"}, catalog, signals, summary="crm").outcome is TRUE


def test_the_score_is_computed_once_per_issue_for_all_rules(catalog: VendorCatalog) -> None:
    pred = compile_predicate({"signals": "tech"}, catalog=catalog, signals=TECH)
    ctx = context(issue(summary="pixel crm"), catalog=catalog)
    first = check(pred, ctx)
    assert len(ctx.memo) == 1
    second = check(pred, ctx)
    assert second.values["score"] == first.values["score"] == 5
