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
)
from .ruleset import Rule, RuleSet

__all__ = ["evaluate", "evaluate_predicate", "evaluate_rule"]


def evaluate_predicate(predicate: Predicate, ctx: Context) -> Result:
    """One predicate's result tree; a failure is an ``error`` node, never an exception."""
    return run(predicate, ctx)


def evaluate_rule(rule: Rule, ctx: Context) -> RuleResult:
    """One rule with its result tree built now (``bridge check``, ``bridge rules explain``)."""
    result = run(rule.condition, ctx)
    return RuleResult(rule, result.outcome, condition=result)


# Outcomes folded as bits: an accumulator says whether any rule was true / an error.
_BIT = {TRUE: 1, ERROR: 2, FALSE: 0}


def _verdict(positive: int, veto: int) -> Outcome:
    """Kleene-OR of the rules concluding true, then the vetoes on top (module doc)."""
    if veto & 1:  # a veto that holds
        return FALSE
    if not positive:  # no rule concluding true is true or undecided
        return FALSE
    if veto & 2:  # a veto that could not be decided
        return ERROR
    return TRUE if positive & 1 else ERROR


def evaluate(ruleset: RuleSet, ctx: Context) -> TaggingResult:
    """The tagging verdict of ``ctx.issue`` under ``ruleset`` (``kind: tagging``).

    Outcomes are decided with the predicates' fast ``test``; each rule's result tree is built
    from ``ctx`` when first read (``RuleResult.condition``), so a bulk run explains only the
    issues someone looks at.
    """
    if ruleset.kind != "tagging":
        raise ValueError(f"evaluate() takes tagging rules, not {ruleset.kind!r}")
    outcomes: list[Outcome] = []
    mo_pos = mo_veto = tr_pos = tr_veto = 0
    first_tech = -1
    bit = _BIT
    for index, (test, mo, tr) in enumerate(ruleset._plan):
        try:
            outcome = test(ctx)
        except Exception:  # recorded as the rule's error outcome, never raised through the run
            outcome = ERROR
        outcomes.append(outcome)
        if mo is not None:
            if mo:
                mo_pos |= bit[outcome]
            else:
                mo_veto |= bit[outcome]
        if tr is not None:
            if tr:
                tr_pos |= bit[outcome]
                if first_tech < 0 and outcome is TRUE:
                    first_tech = index
            else:
                tr_veto |= bit[outcome]
    tech = _verdict(tr_pos, tr_veto)
    category = None
    if tech is TRUE:
        # The first true rule concluding tech_request that names a category.
        for index in range(first_tech, len(outcomes)):
            rule = ruleset.rules[index]
            if outcomes[index] is TRUE and rule.then.tech_request:
                category = RuleResult(rule, TRUE, ctx=ctx).category
                if category is not None:
                    break
    return TaggingResult(
        ctx.issue.key,
        _verdict(mo_pos, mo_veto),
        tech,
        category,
        ruleset.version,
        rules=ruleset.rules,
        outcomes=outcomes,
        ctx=ctx,
    )
