"""Tagging: is this request marketing-originated, is it a technology request, and why.

Pure: a ``Tagger`` wraps a loaded tagging rule set and turns one ``Issue`` plus a group
directory into a ``TagVerdict``. ``bridge classify``, ``bridge rules explain`` and ``bridge
sync`` all go through it, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from .model import Issue
from .rules import Directory, FieldNames, RuleSet, TaggingResult, evaluate, load_rules
from .rules import referenced_names as _referenced_names
from .rules.result import Outcome

__all__ = ["DEFAULT_LABEL", "SYSTEM_FIELDS", "TagVerdict", "Tagger"]

DEFAULT_LABEL = "marketing-tech-request"

# System fields any tagging predicate may read; custom fields come from the rules themselves.
SYSTEM_FIELDS = (
    "summary",
    "description",
    "project",
    "issuetype",
    "status",
    "reporter",
    "creator",
    "assignee",
    "labels",
    "components",
)


class TagVerdict(BaseModel):
    """One issue's tagging verdict; ``to_json`` is the ``bridge classify`` output object."""

    model_config = ConfigDict(frozen=True)

    key: str
    marketing_originated: bool
    tech_request: bool
    category: str | None
    reasons: tuple[str, ...]
    rules_version: str
    undecided: bool = False  # a rule that could have decided hit an error (e.g. missing field)

    @property
    def tag(self) -> bool:
        return self.marketing_originated and self.tech_request

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "marketing_originated": self.marketing_originated,
            "tech_request": self.tech_request,
            "category": self.category,
            "tag": self.tag,
            "reasons": list(self.reasons),
        }


class Tagger:
    def __init__(self, rules: RuleSet, *, fields: FieldNames | None = None) -> None:
        self.rules = rules
        self.fields = fields or FieldNames()
        self._names = _referenced_names(rules, fields=self.fields)

    @classmethod
    def load(cls, rules_dir: str | Path, *, fields: FieldNames | None = None) -> Tagger:
        """Load the tagging rules (and the vendor catalog) from a rules directory."""
        return cls(load_rules(rules_dir), fields=fields)

    @property
    def version(self) -> str:
        return self.rules.version

    def custom_fields(self) -> set[str]:
        """Custom field names the rules read: what a search must ask for."""
        return set(self._names.get("fields", set()))

    def groups(self) -> set[str]:
        """Groups the rules ask about: the directory must know these memberships."""
        return set(self._names.get("groups", set()))

    def referenced_names(self) -> dict[str, set[str]]:
        return {k: set(v) for k, v in self._names.items()}

    def explain(self, issue: Issue, directory: Directory) -> TaggingResult:
        """The full result tree, for ``bridge rules explain``."""
        return evaluate(self.rules, self.rules.context(issue, directory, fields=self.fields))

    def classify(self, issue: Issue, directory: Directory) -> TagVerdict:
        result = self.explain(issue, directory)
        return TagVerdict(
            key=issue.key,
            marketing_originated=result.marketing_originated is Outcome.TRUE,
            tech_request=result.tech_request is Outcome.TRUE,
            category=result.category if result.tech_request is Outcome.TRUE else None,
            reasons=_who_then_what(result),
            rules_version=result.version,
            undecided=Outcome.ERROR in (result.marketing_originated, result.tech_request),
        )

    def classify_all(self, issues: Iterable[Issue], directory: Directory) -> list[TagVerdict]:
        return [self.classify(issue, directory) for issue in issues]


def _who_then_what(result: TaggingResult) -> tuple[str, ...]:
    """The reasons, ordered so the first says who asked and the second what is asked.

    Comments, the stored verdict and the demo quote the first one or two reasons; without
    this, three marketing-origin rules that all matched would crowd out the technology one.
    """
    reasons = result.reasons()
    firsts: list[int] = []
    for wanted in ("marketing_originated", "tech_request"):
        for index, rule in enumerate(r for r in result.rules if r.outcome is not Outcome.FALSE):
            decided = rule.outcome is Outcome.TRUE and getattr(rule.rule.then, wanted)
            if decided and index not in firsts:
                firsts.append(index)
                break
    ordered = [reasons[i] for i in firsts if i < len(reasons)]
    return tuple(ordered + [r for i, r in enumerate(reasons) if i not in firsts])
