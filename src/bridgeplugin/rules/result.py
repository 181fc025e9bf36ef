"""The result tree: what every evaluation returns, so "why?" always has an answer.

Each predicate evaluation yields one :class:`Result` node::

    Result(predicate="any", outcome=TRUE, reason="1 of 2 conditions is true", children=(
        Result(predicate="project_in", outcome=FALSE, reason="project IT is not in [MKT]"),
        Result(predicate="reporter_in_group", outcome=TRUE,
               reason="reporter dana is in group marketing",
               values={"account_id": "5b10a", "groups": ["marketing"]}),
    ))

Outcomes are three-valued (:class:`Outcome`): ``true``, ``false`` and ``error``. ``error`` means
"could not be decided" (a field that was not loaded, a value of the wrong type) and behaves as
*unknown* in Kleene's three-valued logic, so the answer of a composite never depends on the
order of its children or on short-circuiting:

=========  ==========================================================================
``all``    false if any child is false; else error if any child is error; else true
``any``    true if any child is true; else error if any child is error; else false
``not``    swaps true and false; error stays error
=========  ==========================================================================

Consequence worth knowing: an error only surfaces when it could change the answer.
``all: [project_in: [MKT], {field: Cost, gt: 1000}]`` on an IT issue is simply false, even
when Cost is missing. Mandatory review rules (later) treat a remaining ``error`` as "needs the
review", so an undecidable condition never silently skips a review.

Composites stop at the first child that decides them (a false child of ``all``, a true child of
``any``); children after it are not evaluated and do not appear in the tree. The tree therefore
holds exactly what decided the outcome, which is also what ``bridge check`` prints.

``Result`` is a plain ``__slots__`` class rather than a frozen dataclass because tens of them are
built per issue on the hot path and a frozen dataclass's ``__init__`` costs four times as much.
Treat instances as immutable. For the same reason a predicate may hand over its reason as a
zero-argument function: the text is then built the first time someone reads ``reason`` (most
results of a bulk run are never read), and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context
    from .ruleset import Rule

__all__ = [
    "Outcome",
    "Result",
    "RuleResult",
    "TaggingResult",
    "all_of",
    "any_of",
    "negate",
    "true_path",
]


class Outcome(StrEnum):
    """The three outcomes of a predicate; ``error`` means "could not be decided"."""

    TRUE = "true"
    FALSE = "false"
    ERROR = "error"


TRUE = Outcome.TRUE
FALSE = Outcome.FALSE
ERROR = Outcome.ERROR

_EMPTY: Mapping[str, Any] = {}


def all_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Kleene conjunction: false wins over error, error wins over true."""
    seen_error = False
    for outcome in outcomes:
        if outcome is FALSE:
            return FALSE
        if outcome is ERROR:
            seen_error = True
    return ERROR if seen_error else TRUE


def any_of(outcomes: Iterable[Outcome]) -> Outcome:
    """Kleene disjunction: true wins over error, error wins over false."""
    seen_error = False
    for outcome in outcomes:
        if outcome is TRUE:
            return TRUE
        if outcome is ERROR:
            seen_error = True
    return ERROR if seen_error else FALSE


def negate(outcome: Outcome) -> Outcome:
    """Kleene negation: error stays error."""
    if outcome is TRUE:
        return FALSE
    if outcome is FALSE:
        return TRUE
    return ERROR


_MARK = {TRUE: "[true] ", FALSE: "[false]", ERROR: "[error]"}


class Result:
    """One node of the result tree: a predicate, its outcome, and why.

    ``predicate`` is the rule-file key that produced the node (``project_in``, ``all``, ``ref``).
    ``reason`` is one line of plain English naming the values looked at. ``values`` holds the
    same facts for machines (``bridge check --format json``, ``category_from: vendor``).
    """

    __slots__ = ("_reason", "children", "outcome", "predicate", "values")

    def __init__(
        self,
        predicate: str,
        outcome: Outcome,
        reason: str | Callable[[], str],
        children: tuple[Result, ...] = (),
        values: Mapping[str, Any] = _EMPTY,
    ) -> None:
        self.predicate = predicate
        self.outcome = outcome
        self._reason = reason
        self.children = children
        self.values = values

    @property
    def reason(self) -> str:
        """One line of plain English naming the values looked at."""
        reason = self._reason
        if not isinstance(reason, str):
            reason = self._reason = reason()
        return reason

    def __repr__(self) -> str:
        extra = f", children={self.children!r}" if self.children else ""
        return f"Result({self.predicate!r}, {self.outcome.value}, {self.reason!r}{extra})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Result):
            return NotImplemented
        return (
            self.predicate == other.predicate
            and self.outcome is other.outcome
            and self.reason == other.reason
            and self.children == other.children
            and dict(self.values) == dict(other.values)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking; equality is structural

    @property
    def is_true(self) -> bool:
        return self.outcome is TRUE

    @property
    def is_error(self) -> bool:
        return self.outcome is ERROR

    def walk(self) -> Iterator[Result]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children:
            yield from child.walk()

    def decisive(self) -> list[Result]:
        """The leaves that decided this outcome (what a one-line explanation should cite).

        For a true ``all`` that is every child; for a false ``all`` the false ones; for a true
        ``any`` the true ones; for an error, the children that were errors. A false definition
        (``ref``) is cited by its name ("clear_tech is false"): listing every way it could have
        been true would bury the reason under the definition's whole vocabulary.
        """
        if not self.children:
            return [self]
        if self.predicate == "ref" and self.outcome is FALSE:
            return [self]
        if self.predicate == "not" or self.predicate == "ref":
            return self.children[0].decisive()
        wanted = self.outcome
        picked = [c for c in self.children if c.outcome is wanted] or list(self.children)
        leaves: list[Result] = []
        for child in picked:
            leaves.extend(child.decisive())
        return leaves

    def lines(self, indent: str = "  ") -> list[str]:
        """The tree as indented text lines, one node per line, for ``bridge check``."""
        out: list[str] = []
        self._lines(out, 0, indent)
        return out

    def _lines(self, out: list[str], depth: int, indent: str) -> None:
        out.append(f"{indent * depth}{_MARK[self.outcome]} {self.predicate}: {self.reason}")
        for child in self.children:
            child._lines(out, depth + 1, indent)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{predicate, outcome, reason, values?, children?}``."""
        out: dict[str, Any] = {
            "predicate": self.predicate,
            "outcome": self.outcome.value,
            "reason": self.reason,
        }
        if self.values:
            out["values"] = dict(self.values)
        if self.children:
            out["children"] = [c.to_dict() for c in self.children]
        return out


def true_path(node: Result) -> Iterator[Result]:
    """Nodes reachable through true nodes only (what made a true outcome true)."""
    if node.outcome is not TRUE:
        return
    yield node
    if node.predicate != "not":  # below a true "not" lies a false node: not a reason
        for child in node.children:
            yield from true_path(child)


_RUN: Callable[[Any, Context], Result] | None = None


def _run() -> Callable[[Any, Context], Result]:
    """``predicates.base.run``, imported on first use (predicates import this module); kept,
    because an import statement costs a microsecond each time and trees are built per rule."""
    global _RUN
    if _RUN is None:
        from .predicates.base import run

        _RUN = run
    return _RUN


class RuleResult:
    """One rule's evaluation: its outcome, its condition's result tree, its category.

    In bulk runs (``evaluate``) the outcome is decided first with the predicates' fast
    ``test`` and the tree is built from the same ``Context`` the first time ``condition`` is
    read: evaluation is pure, so the tree explains exactly that outcome, and issues nobody
    looks at never pay for explanations.
    """

    __slots__ = ("_condition", "_ctx", "outcome", "rule")

    def __init__(
        self,
        rule: Rule,
        outcome: Outcome,
        *,
        condition: Result | None = None,
        ctx: Context | None = None,
    ) -> None:
        if condition is None and ctx is None:
            raise ValueError("a RuleResult needs its condition's result or the context to build it")
        self.rule = rule
        self.outcome = outcome
        self._condition = condition
        self._ctx = ctx

    @property
    def condition(self) -> Result:
        """The result tree of the rule's ``if`` (built on first access)."""
        if self._condition is None:
            self._condition = _run()(self.rule.condition, self._ctx)  # type: ignore[arg-type]
        return self._condition

    @property
    def category(self) -> str | None:
        """The category this rule concludes (None unless it is true and concludes one)."""
        then = self.rule.then
        if self.outcome is not TRUE or not then.tech_request:
            return None
        if then.category_from == "vendor":
            for node in true_path(self.condition):
                if node.predicate == "vendor":
                    return node.values.get("category") or then.category
        return then.category

    def __repr__(self) -> str:
        return f"RuleResult({self.rule.name!r}, {self.outcome.value}, {self.reason!r})"

    @property
    def name(self) -> str:
        return self.rule.name

    @property
    def reason(self) -> str:
        """The decisive leaf reasons joined: ``reporter dana is in group marketing``."""
        return "; ".join(leaf.reason for leaf in self.condition.decisive())

    def true_nodes(self) -> Iterator[Result]:
        return true_path(self.condition)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.rule.name,
            "outcome": self.outcome.value,
            "then": self.rule.then.describe(),
            "reason": self.reason,
            "result": self.condition.to_dict(),
        }
        if self.category is not None:
            out["category"] = self.category
        return out


class TaggingResult:
    """The tagging verdict of one issue, with every rule's result.

    ``marketing_originated`` and ``tech_request`` are outcomes, not booleans: ``error`` means
    a rule that could have tagged the issue could not be decided (see ``evaluate``).
    ``rules`` (one :class:`RuleResult` per rule, in order) is built on first access.
    """

    __slots__ = (
        "_ctx",
        "_listed",
        "_made",
        "_outcomes",
        "_rule_list",
        "_rules",
        "category",
        "key",
        "marketing_originated",
        "tech_request",
        "version",
    )

    def __init__(
        self,
        key: str,
        marketing_originated: Outcome,
        tech_request: Outcome,
        category: str | None,
        version: str,
        *,
        rules: Sequence[Rule],
        outcomes: Sequence[Outcome],
        ctx: Context,
    ) -> None:
        self.key = key
        self.marketing_originated = marketing_originated
        self.tech_request = tech_request
        self.category = category
        self.version = version
        self._rule_list = rules
        self._outcomes = outcomes
        self._ctx = ctx
        self._rules: tuple[RuleResult, ...] | None = None
        self._made: list[RuleResult | None] | None = None
        self._listed: list[RuleResult] | None = None

    @property
    def rules(self) -> tuple[RuleResult, ...]:
        if self._rules is None:
            self._rules = tuple(map(self._rule_at, range(len(self._rule_list))))
        return self._rules

    def _rule_at(self, index: int) -> RuleResult:
        """The result of rule ``index``, built once (``reasons`` builds only the rules it
        names: most rules are false)."""
        made = self._made
        if made is None:
            made = self._made = [None] * len(self._rule_list)
        r = made[index]
        if r is None:
            # RuleResult(rule, outcome, ctx=ctx) without the call (several per issue)
            r = made[index] = RuleResult.__new__(RuleResult)
            r.rule, r.outcome = self._rule_list[index], self._outcomes[index]
            r._condition, r._ctx = None, self._ctx
        return r

    def listed(self) -> list[RuleResult]:
        """The rules ``reasons`` names, in order: those that were true or undecided."""
        if self._listed is None:
            if type(self._outcomes) is not tuple:  # worked out now, read by index below
                self._outcomes = tuple(self._outcomes)
            self._listed = [
                self._rule_at(i) for i, o in enumerate(self._outcomes) if o is not FALSE
            ]
        return list(self._listed)

    def __repr__(self) -> str:
        return (
            f"TaggingResult({self.key!r}, marketing_originated={self.marketing_originated.value},"
            f" tech_request={self.tech_request.value}, category={self.category!r})"
        )

    def rule(self, name: str) -> RuleResult:
        """The result of the rule called ``name`` (KeyError if none)."""
        for r in self.rules:
            if r.rule.name == name:
                return r
        raise KeyError(name)

    @property
    def tagged(self) -> bool:
        """Marketing-originated *and* a technology request: what gets the label."""
        return self.marketing_originated is TRUE and self.tech_request is TRUE

    def reasons(self) -> list[str]:
        """One line per rule that was true or could not be decided, e.g.
        ``mkt-reporter: reporter dana is in group marketing``."""
        out: list[str] = []
        for r in self.listed():
            if r.outcome is TRUE:
                veto = (
                    " (veto)"
                    if False in (r.rule.then.marketing_originated, r.rule.then.tech_request)
                    else ""
                )
                out.append(f"{r.name}{veto}: {r.reason}")
            elif r.outcome is ERROR:
                out.append(f"{r.name}: could not decide: {r.reason}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "marketing_originated": self.marketing_originated.value,
            "tech_request": self.tech_request.value,
            "category": self.category,
            "tagged": self.tagged,
            "reasons": self.reasons(),
            "version": self.version,
            "rules": [r.to_dict() for r in self.rules],
        }
