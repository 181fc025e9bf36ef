"""tagged and category_in: the review-only predicates over the tagging verdict.

Each case is evaluated through the explaining path and the fast path; both must agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from bridgeplugin.governance.context import ReviewContext
from bridgeplugin.governance.parse import parse_reviews
from bridgeplugin.rules import Context, Outcome, StaticDirectory
from bridgeplugin.rules.predicates.base import run
from bridgeplugin.rules.predicates.base import test as fast
from bridgeplugin.rules.source import read_text
from bridgeplugin.tagging import TagVerdict

from .kit import request, tagged

TRUE, FALSE, ERROR = Outcome.TRUE, Outcome.FALSE, Outcome.ERROR
NOT_TECH = TagVerdict(
    key="MKT-1",
    marketing_originated=True,
    tech_request=False,
    category=None,
    reasons=(),
    rules_version="t",
)
TECH_NO_CATEGORY = NOT_TECH.model_copy(update={"tech_request": True})


@dataclass
class Case:
    name: str
    spec: Any
    verdict: TagVerdict | None
    outcome: Outcome
    contains: str

    def __str__(self) -> str:
        return self.name


CASES = [
    Case("a tagged request is tagged", {"tagged": True}, tagged(), TRUE, "category saas"),
    Case("an untagged request is not", {"tagged": True}, NOT_TECH, FALSE, "not a technology"),
    Case("tagged: false holds for an untagged request", {"tagged": False}, NOT_TECH, TRUE, "not"),
    Case(
        "an undecided verdict is an error, naming why",
        {"tagged": True},
        tagged(tag=False, undecided=True),
        ERROR,
        "could not decide: tech: could not decide: field 'Vendor'",
    ),
    Case("no verdict at all is an error", {"tagged": True}, None, ERROR, "not available"),
    Case(
        "a listed category is true",
        {"category_in": ["data", "SaaS"]},
        tagged(category="saas"),
        TRUE,
        "category saas is in [data, SaaS]",
    ),
    Case(
        "another category is false",
        {"category_in": ["data"]},
        tagged(category="saas"),
        FALSE,
        "category saas is not in [data]",
    ),
    Case(
        "a request that is not technology has no category: false",
        {"category_in": ["data"]},
        NOT_TECH,
        FALSE,
        "not a technology request",
    ),
    Case(
        "a technology request without a category cannot be decided",
        {"category_in": ["data"]},
        TECH_NO_CATEGORY,
        ERROR,
        "without a category",
    ),
    Case(
        "an undecided verdict cannot be decided either",
        {"category_in": ["data"]},
        tagged(tag=False, undecided=True),
        ERROR,
        "could not decide",
    ),
]


def compile_in_reviews(spec: Any) -> Any:
    doc = {
        "kind": "reviews",
        "reviews": {"x": {"groups": ["g"]}},
        "rules": [{"name": "r", "if": spec, "require": ["x"]}],
    }
    part = parse_reviews(read_text(yaml.safe_dump(doc), "r.yaml"), catalog=None)
    return part.rules[0].condition


@pytest.mark.parametrize("case", CASES, ids=str)
def test_review_predicate(case: Case) -> None:
    pred = compile_in_reviews(case.spec)
    ctx = ReviewContext(request(), StaticDirectory(), tagging=case.verdict)
    result = run(pred, ctx)
    assert fast(pred, ctx) is result.outcome
    assert result.outcome is case.outcome, result.reason
    assert case.contains in result.reason


def test_a_plain_tagging_context_has_no_verdict() -> None:
    pred = compile_in_reviews({"tagged": True})
    result = run(pred, Context(request(), StaticDirectory()))
    assert result.outcome is ERROR


def test_category_in_reports_the_categories_it_names() -> None:
    pred = compile_in_reviews({"category_in": ["data", "ai"]})
    assert sorted(pred.names(None)) == [("categories", "ai"), ("categories", "data")]
