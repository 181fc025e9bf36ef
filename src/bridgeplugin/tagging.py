"""Tagging: is this request marketing-originated, is it a technology request, and why.

Pure: a ``Tagger`` wraps a loaded tagging rule set and turns one ``Issue`` plus a group
directory into a ``TagVerdict``. ``bridge classify``, ``bridge rules explain`` and ``bridge
sync`` all go through it, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from .model import Issue
from .rules import Directory, FieldNames, RuleSet, TaggingResult, evaluate, load_rules
from .rules import referenced_names as _referenced_names
from .rules.result import ERROR, TRUE

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


class TagVerdict:
    """One issue's tagging verdict; ``to_json`` is the ``bridge classify`` output object.

    ``reasons`` may be handed over as a zero-argument function: ``Tagger.classify`` does, so
    the reasons (most of the cost of a verdict) are rendered the first time someone reads them.
    A sync classifies every issue it reads but reads the reasons of the tagged ones and of
    those it untags only. A plain ``__slots__`` class (not a frozen model) for that, and
    because one is built per issue; treat instances as immutable.
    """

    __slots__ = (
        "_reasons",
        "category",
        "key",
        "marketing_originated",
        "rules_version",
        "tech_request",
        "undecided",
    )

    def __init__(
        self,
        *,
        key: str,
        marketing_originated: bool,
        tech_request: bool,
        category: str | None,
        reasons: Iterable[str] | Callable[[], tuple[str, ...]],
        rules_version: str,
        undecided: bool = False,  # a rule that could have decided hit an error (missing field)
    ) -> None:
        self.key = key
        self.marketing_originated = marketing_originated
        self.tech_request = tech_request
        self.category = category
        self._reasons: tuple[str, ...] | Callable[[], tuple[str, ...]] = (
            reasons if callable(reasons) else tuple(reasons)
        )
        self.rules_version = rules_version
        self.undecided = undecided

    @property
    def reasons(self) -> tuple[str, ...]:
        """One line per rule that was true or undecided, who asked first, then what is asked."""
        reasons = self._reasons
        if not isinstance(reasons, tuple):
            reasons = self._reasons = tuple(reasons())
        return reasons

    @property
    def tag(self) -> bool:
        return self.marketing_originated and self.tech_request

    def _fields(self) -> tuple[Any, ...]:
        return (
            self.key,
            self.marketing_originated,
            self.tech_request,
            self.category,
            self.reasons,
            self.rules_version,
            self.undecided,
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TagVerdict):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash(self._fields())

    def __repr__(self) -> str:
        return (
            f"TagVerdict(key={self.key!r}, marketing_originated={self.marketing_originated}, "
            f"tech_request={self.tech_request}, category={self.category!r}, "
            f"reasons={self.reasons!r}, rules_version={self.rules_version!r}, "
            f"undecided={self.undecided})"
        )

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> TagVerdict:
        """A copy with some fields changed (the name it had as a pydantic model)."""
        fields = {
            "key": self.key,
            "marketing_originated": self.marketing_originated,
            "tech_request": self.tech_request,
            "category": self.category,
            "reasons": self._reasons,
            "rules_version": self.rules_version,
            "undecided": self.undecided,
        }
        return TagVerdict(**{**fields, **(update or {})})

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
        """The verdict; its reasons are rendered when first read (see ``TagVerdict``)."""
        ctx = self.rules.context(issue, directory, fields=self.fields)
        result = evaluate(self.rules, ctx)
        # The tokenised texts are several times the size of the text: a sync holding every
        # verdict of a run must not hold them too. Reasons read later tokenise again.
        ctx.forget_texts()
        mo, tr = result.marketing_originated, result.tech_request
        return TagVerdict(
            key=issue.key,
            marketing_originated=mo is TRUE,
            tech_request=tr is TRUE,
            category=result.category if tr is TRUE else None,
            reasons=lambda: _who_then_what(result),
            rules_version=result.version,
            undecided=mo is ERROR or tr is ERROR,
        )

    def classify_all(self, issues: Iterable[Issue], directory: Directory) -> list[TagVerdict]:
        return [self.classify(issue, directory) for issue in issues]


def _who_then_what(result: TaggingResult) -> tuple[str, ...]:
    """The reasons, ordered so the first says who asked and the second what is asked.

    Comments, the stored verdict and the demo quote the first one or two reasons; without
    this, three marketing-origin rules that all matched would crowd out the technology one.
    """
    reasons = result.reasons()
    listed = result.listed()  # the rules the reasons are of, in the same order
    firsts: list[int] = []
    for wanted in ("marketing_originated", "tech_request"):
        for index, rule in enumerate(listed):
            decided = rule.outcome is TRUE and getattr(rule.rule.then, wanted)
            if decided and index not in firsts:
                firsts.append(index)
                break
    ordered = [reasons[i] for i in firsts if i < len(reasons)]
    return tuple(ordered + [r for i, r in enumerate(reasons) if i not in firsts])
