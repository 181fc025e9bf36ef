"""Compiled rules: what ``load_rules`` returns and ``evaluate`` consumes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..model import Issue
from .context import Context, Directory, FieldNames
from .predicates.base import Predicate
from .result import Outcome
from .vendors import VendorCatalog

__all__ = ["Conclusion", "Rule", "RuleSet", "referenced_names"]


@dataclass(frozen=True, slots=True)
class Conclusion:
    """A tagging rule's ``then:``. ``True`` tags; ``False`` vetoes (see ``evaluate``)."""

    marketing_originated: bool | None = None
    tech_request: bool | None = None
    category: str | None = None
    category_from: str | None = None  # "vendor": the category of the vendor that matched

    def describe(self) -> str:
        parts = []
        for name in ("marketing_originated", "tech_request"):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{name}: {str(value).lower()}")
        if self.category:
            parts.append(f"category: {self.category}")
        if self.category_from:
            parts.append(f"category_from: {self.category_from}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    condition: Predicate
    then: Conclusion
    path: str  # the rule file, for messages and `bridge rules explain`
    line: int
    description: str | None = None


@dataclass(frozen=True)
class RuleSet:
    """Every rule of one kind, in evaluation order (files by name, rules in file order).

    ``version`` is the sha256 of the rules' content after YAML parsing (so comments,
    whitespace, key order and quoting do not change it) together with the vendor catalog's
    own hash; it goes into stored verdicts so a verdict can tell which rules made it.
    """

    kind: str
    rules: tuple[Rule, ...]
    version: str
    files: tuple[str, ...] = ()
    vendors: VendorCatalog | None = None
    _by_name: dict[str, Rule] = field(default_factory=dict, init=False, repr=False, compare=False)
    # (condition.test, marketing_originated, tech_request) per rule, for evaluate()'s hot loop
    _plan: tuple[tuple[Callable[[Context], Outcome], bool | None, bool | None], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    # evaluate()'s compiled plan of these rules, built on first use (kept here: one attribute
    # read per issue instead of a lookup by id)
    _compiled: Any = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_name.update({r.name: r for r in self.rules})
        plan = tuple(
            (r.condition.test, r.then.marketing_originated, r.then.tech_request) for r in self.rules
        )
        object.__setattr__(self, "_plan", plan)  # frozen dataclass: set once, here

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    def rule(self, name: str) -> Rule:
        """The rule called ``name`` (KeyError if none)."""
        return self._by_name[name]

    def context(
        self, issue: Issue, directory: Directory, *, fields: FieldNames | None = None
    ) -> Context:
        """An evaluation context for ``issue`` using this rule set's vendor catalog."""
        return Context(issue, directory, self.vendors, fields or _DEFAULT_FIELDS)


# Frozen, so one instance serves every context built without field names.
_DEFAULT_FIELDS = FieldNames()

_NAME_KINDS = ("fields", "groups", "projects", "statuses", "issue_types", "request_types")


def referenced_names(ruleset: RuleSet, *, fields: FieldNames | None = None) -> dict[str, set[str]]:
    """Names of site objects the rules rely on, for ``bridge rules validate`` / ``doctor``.

    Keys: ``fields`` (custom fields by name, including the configured "Requested by" and
    "Request Type" when a predicate reads them), ``groups``, ``projects``, ``statuses``,
    ``issue_types``, ``request_types``. Each is a set (possibly empty).
    """
    names = fields or FieldNames()
    out: dict[str, set[str]] = {k: set() for k in _NAME_KINDS}
    seen: set[int] = set()

    def walk(pred: Predicate) -> None:
        if id(pred) in seen:  # definitions are shared between rules
            return
        seen.add(id(pred))
        for kind, name in pred.names(names):
            out.setdefault(kind, set()).add(name)
        for child in pred.children():
            walk(child)

    for rule in ruleset.rules:
        walk(rule.condition)
    return out
