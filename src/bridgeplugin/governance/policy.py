"""The compiled review policy: what ``load_policy`` returns and ``evaluate`` consumes.

Plain frozen dataclasses; every part remembers where it was written (``Where``) so a verdict,
``bridge check`` and ``bridge rules validate --site`` can point at the file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from ..rules.context import FieldNames
from ..rules.predicates.base import Predicate
from ..rules.text import Terms
from ..rules.vendors import VendorCatalog

__all__ = [
    "Gate",
    "GateConfig",
    "Material",
    "NumberChange",
    "Policy",
    "Resolutions",
    "Review",
    "ReviewRule",
    "TransitionRule",
    "WaiverDef",
    "Where",
]


@dataclass(frozen=True, slots=True)
class Where:
    """A place in a rule file."""

    path: str
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}"


@dataclass(frozen=True, slots=True)
class NumberChange:
    """A rise of ``field`` to more than ``increase_over`` is material."""

    field: str
    increase_over: float


@dataclass(frozen=True)
class Material:
    """What makes a change of the request after a review material (the review lapses)."""

    fields: tuple[str, ...] = ()
    text_fields: tuple[str, ...] = ()
    vendors: bool = False
    keywords: tuple[str, ...] = ()
    terms: Terms | None = field(default=None, compare=False, repr=False)
    numbers: tuple[NumberChange, ...] = ()

    def field_names(self) -> set[str]:
        """Every field whose change is looked at."""
        return {*self.fields, *self.text_fields, *(n.field for n in self.numbers)}

    def describe(self) -> str:
        parts = []
        if self.fields:
            parts.append("changes of " + ", ".join(self.fields))
        if self.text_fields and (self.vendors or self.keywords):
            what = " or ".join(
                x
                for x in ("vendors" if self.vendors else "", "keywords" if self.keywords else "")
                if x
            )
            parts.append(f"{what} appearing or disappearing in {', '.join(self.text_fields)}")
        for n in self.numbers:
            parts.append(f"{n.field} rising above {n.increase_over:g}")
        return "; ".join(parts) or "nothing (this review never lapses)"


@dataclass(frozen=True)
class Review:
    """One named review (``reviews: {security: ...}``)."""

    name: str
    title: str
    groups: tuple[str, ...]
    label: str
    material: Material
    where: Where
    approvals: int = 1
    self_approval: bool = False
    assignee: str | None = None
    due_days: int | None = None
    description: str | None = None

    def in_group(self, groups: frozenset[str]) -> str | None:
        """The first of the review's groups in ``groups`` (lower-cased names), or None."""
        return next((g for g in self.groups if g.lower() in groups), None)


@dataclass(frozen=True)
class ReviewRule:
    """``if`` the condition holds, the request needs the reviews in ``require``."""

    name: str
    condition: Predicate
    require: tuple[str, ...]
    where: Where
    require_where: tuple[Where, ...] = ()
    mandatory: bool = False
    description: str | None = None


@dataclass(frozen=True, slots=True)
class TransitionRule:
    """A status change into ``to`` from one of ``sources`` counts as approval."""

    sources: tuple[str, ...]
    to: str

    def matches(self, from_status: str | None, to_status: str | None) -> bool:
        if from_status is None or to_status is None:
            return False
        return to_status.casefold() == self.to.casefold() and from_status.casefold() in {
            s.casefold() for s in self.sources
        }

    def describe(self) -> str:
        return f"{' / '.join(self.sources)} -> {self.to}"


@dataclass(frozen=True)
class GateConfig:
    """The gate of one project (or the file-wide default)."""

    statuses: tuple[str, ...] = ("Approved",)
    categories: tuple[str, ...] = ()
    transitions: tuple[TransitionRule, ...] = ()
    unless_resolution: tuple[str, ...] = ()
    revert_to: str | None = None
    approvers: tuple[str, ...] = ()  # empty: anyone may approve (but see self_approval)
    self_approval: bool = False
    where: Where | None = None

    def is_gated_status(self, status: str | None, category: str | None) -> bool:
        if status is not None and status.casefold() in {s.casefold() for s in self.statuses}:
            return True
        return category is not None and category in self.categories

    def exempt(self, resolution: str | None) -> bool:
        return resolution is not None and resolution.casefold() in {
            r.casefold() for r in self.unless_resolution
        }

    def describe(self) -> str:
        parts = [f"entering {' or '.join(self.statuses)}"] if self.statuses else []
        if self.categories:
            parts.append(f"any status of category {' or '.join(self.categories)}")
        parts.extend(f"moving {t.describe()}" for t in self.transitions)
        text = "; ".join(parts) or "nothing"
        if self.unless_resolution:
            text += f" (unless resolved as {', '.join(self.unless_resolution)})"
        return text


@dataclass(frozen=True)
class Gate:
    default: GateConfig = field(default_factory=GateConfig)
    projects: Mapping[str, GateConfig] = field(default_factory=dict)

    def for_project(self, project: str | None) -> GateConfig:
        if project is not None:
            for key, config in self.projects.items():
                if key.casefold() == project.casefold():
                    return config
        return self.default

    def configs(self) -> Iterator[tuple[str | None, GateConfig]]:
        yield None, self.default
        yield from self.projects.items()


@dataclass(frozen=True)
class Resolutions:
    approve: tuple[str, ...] = ("Approved",)
    reject: tuple[str, ...] = ("Rejected", "Won't Do", "Declined")

    def verdict(self, resolution: str | None) -> str | None:
        """``approve``, ``reject`` or None (neither, or no resolution)."""
        if resolution is None:
            return None
        folded = resolution.casefold()
        if folded in {a.casefold() for a in self.approve}:
            return "approve"
        if folded in {r.casefold() for r in self.reject}:
            return "reject"
        return None


@dataclass(frozen=True)
class WaiverDef:
    """An emergency exception defined in the file (``waivers: {emergency: ...}``)."""

    name: str
    groups: tuple[str, ...]
    expires_after_days: int
    covers: tuple[str, ...]  # review names
    where: Where
    self_approval: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Policy:
    """Every ``kind: reviews`` file of a rules directory, merged and checked."""

    reviews: Mapping[str, Review]
    rules: tuple[ReviewRule, ...]
    gate: Gate
    resolutions: Resolutions
    waivers: Mapping[str, WaiverDef]
    version: str
    files: tuple[str, ...] = ()
    vendors: VendorCatalog | None = None

    def review_for_label(self, label: str) -> Review | None:
        folded = label.casefold()
        return next((r for r in self.reviews.values() if r.label.casefold() == folded), None)

    def groups(self) -> set[str]:
        """Every group the policy names: reviewers, waiver approvers, predicates."""
        out = {g for r in self.reviews.values() for g in r.groups}
        out |= {g for w in self.waivers.values() for g in w.groups}
        out |= {g for _, config in self.gate.configs() for g in config.approvers}
        return out | self.names().get("groups", set())

    def custom_fields(self) -> set[str]:
        """Fields the rules and the material changes read (what a load must ask for)."""
        builtin = {"summary", "description"}
        fields = set(self.names().get("fields", set()))
        for review in self.reviews.values():
            fields |= review.material.field_names()
        return fields - builtin

    def names(self, fields: FieldNames | None = None) -> dict[str, set[str]]:
        """Site names the rules' predicates refer to (``kind -> names``)."""
        names = fields or FieldNames()
        out: dict[str, set[str]] = {}
        seen: set[int] = set()

        def walk(pred: Predicate) -> None:
            if id(pred) in seen:
                return
            seen.add(id(pred))
            for kind, name in pred.names(names):
                out.setdefault(kind, set()).add(name)
            for child in pred.children():
                walk(child)

        for rule in self.rules:
            walk(rule.condition)
        return out
