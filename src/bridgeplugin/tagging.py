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
            reasons=tuple(result.reasons()),
            rules_version=result.version,
            undecided=Outcome.ERROR in (result.marketing_originated, result.tech_request),
        )

    def classify_all(self, issues: Iterable[Issue], directory: Directory) -> list[TagVerdict]:
        return [self.classify(issue, directory) for issue in issues]
