"""Evaluate rules against one issue: pure, no I/O, never raises for a bad issue.

Tagging verdict from the rule results, per conclusion (``marketing_originated``,
``tech_request``) separately:

1. a rule concluding ``false`` (a *veto*) whose condition is true makes it ``false``;
2. otherwise the rules concluding ``true`` are combined with Kleene OR: ``true`` if one of them
   is true, ``false`` if all are false (or there are none);
3. a veto that could not be decided turns a would-be ``true`` (or ``error``) into ``error``:
   the veto might have applied.

So ``error`` means "a rule that matters could not be decided"; the caller chooses what that
does (tagging leaves the issue untagged and reports it; mandatory reviews will require the
review). The category is that of the first true rule (in order) concluding ``tech_request``
with a category; with ``category_from: vendor`` it is the category of the vendor that matched,
falling back to the rule's ``category``.
"""

from __future__ import annotations

from collections.abc import Sequence

from .context import Context
from .predicates.base import Predicate, run
from .result import (
    ERROR,
    FALSE,
    TRUE,
    Outcome,
    Result,
    RuleResult,
    TaggingResult,
    any_of,
    true_path,
)
from .ruleset import Rule, RuleSet

__all__ = ["evaluate", "evaluate_predicate", "evaluate_rule"]


def evaluate_predicate(predicate: Predicate, ctx: Context) -> Result:
    """One predicate's result tree; a failure is an ``error`` node, never an exception."""
    return run(predicate, ctx)


def evaluate_rule(rule: Rule, ctx: Context) -> RuleResult:
    result = run(rule.condition, ctx)
    category = None
    then = rule.then
    if result.outcome is TRUE and then.tech_request:
        category = then.category
        if then.category_from == "vendor":
            for node in true_path(result):
                if node.predicate == "vendor":
                    category = node.values.get("category") or category
                    break
    return RuleResult(rule, result, category)


def _conclude(results: Sequence[RuleResult], attr: str) -> Outcome:
    positive: list[Outcome] = []
    veto_error = False
    for r in results:
        says = getattr(r.rule.then, attr)
        if says is None:
            continue
        if says:
            positive.append(r.outcome)
        elif r.outcome is TRUE:
            return FALSE
        elif r.outcome is ERROR:
            veto_error = True
    outcome = any_of(positive)
    if outcome is FALSE:
        return FALSE
    return ERROR if veto_error else outcome


def evaluate(ruleset: RuleSet, ctx: Context) -> TaggingResult:
    """The tagging verdict of ``ctx.issue`` under ``ruleset`` (``kind: tagging``)."""
    if ruleset.kind != "tagging":
        raise ValueError(f"evaluate() takes tagging rules, not {ruleset.kind!r}")
    results = tuple(evaluate_rule(rule, ctx) for rule in ruleset.rules)
    tech = _conclude(results, "tech_request")
    category = None
    if tech is TRUE:
        for r in results:
            if r.category and r.outcome is TRUE:
                category = r.category
                break
    return TaggingResult(
        key=ctx.issue.key,
        marketing_originated=_conclude(results, "marketing_originated"),
        tech_request=tech,
        category=category,
        rules=results,
        version=ruleset.version,
    )
