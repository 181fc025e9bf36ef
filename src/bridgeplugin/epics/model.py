"""What the epics planner reads: initiatives gathered from requests, epics found in Jira."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..model import Issue
from ..plan import PROPERTY
from .keys import EPIC_LABEL, initiative_key, key_of_label
from .load import EpicRules

__all__ = ["SECTION", "EpicView", "Initiative", "epic_record", "gather", "initiative_name"]

SECTION = "epic"  # the epic's own key in its ``bridge`` property


@dataclass(frozen=True)
class Initiative:
    key: str
    name: str
    members: tuple[Issue, ...]  # every issue naming it (epics excluded), in key order
    triggered: bool  # the rules' ``when`` holds: it gets an epic
    why: str  # which trigger, for the report
    categories: tuple[str, ...]  # of its tagged requests, first seen first


@dataclass(frozen=True)
class EpicView:
    """An epic the plugin made, as found by its ``bridge-epic`` label (whatever its project or
    summary now): the stable key from its record or label, the record itself."""

    issue: Issue
    initiative: str | None
    record: Mapping[str, Any]

    @property
    def keys(self) -> set[str]:
        """Every initiative key that leads here: its own and those of renames it absorbed."""
        aliases = self.record.get("aliases") or []
        return {k for k in (self.initiative, *aliases) if isinstance(k, str) and k}


def epic_record(issue: Issue) -> dict[str, Any]:
    prop = issue.properties.get(PROPERTY)
    section = prop.get(SECTION) if isinstance(prop, Mapping) else None
    return dict(section) if isinstance(section, Mapping) else {}


def view(issue: Issue) -> EpicView:
    record = epic_record(issue)
    key = record.get("initiative") or key_of_label(issue.labels)
    return EpicView(issue=issue, initiative=key if isinstance(key, str) else None, record=record)


def initiative_name(issue: Issue, rules: EpicRules) -> str | None:
    source = rules.spec.initiative
    if source.field:
        value = issue.custom.get(source.field)
        if isinstance(value, list):  # a multi-value field: the first value names it
            value = value[0] if value else None
        text = str(value).strip() if value is not None else ""
        return text or None
    prefix = source.label_prefix or ""
    for label in issue.labels:
        if label.startswith(prefix) and len(label) > len(prefix):
            return label[len(prefix) :]
    return None


def gather(
    issues: Sequence[Issue],
    rules: EpicRules,
    *,
    marketing: str,
    it: str,
    counts: Callable[[Issue], bool] | None = None,
) -> list[Initiative]:
    """Group issues by initiative key (two spellings of one name are one initiative; the most
    used spelling names it) and decide which get an epic. ``counts``: the ``counts_if``
    predicate, evaluated (None: every issue counts)."""
    groups: dict[str, list[tuple[Issue, str]]] = {}
    for issue in issues:
        if issue.issue_type == rules.spec.epic.issue_type or EPIC_LABEL in issue.labels:
            continue  # epics carry the initiative too (set_initiative): they are not members
        if counts is not None and not counts(issue):
            continue
        name = initiative_name(issue, rules)
        if name:
            groups.setdefault(initiative_key(name), []).append((issue, name))
    out = []
    for key, pairs in sorted(groups.items()):
        members = tuple(sorted((i for i, _ in pairs), key=_order))
        names = [n for _, n in pairs]
        name = max(sorted(set(names)), key=names.count)
        triggered, why = _trigger(members, rules, marketing, it)
        out.append(Initiative(key, name, members, triggered, why, _categories(members)))
    return out


def _order(issue: Issue) -> tuple[str, int]:
    project, _, number = issue.key.rpartition("-")
    return project, int(number) if number.isdigit() else 0


def _tagging(issue: Issue) -> Mapping[str, Any]:
    prop = issue.properties.get(PROPERTY)
    record = prop.get("tagging") if isinstance(prop, Mapping) else None
    return record if isinstance(record, Mapping) else {}


def _trigger(
    members: Sequence[Issue], rules: EpicRules, marketing: str, it: str
) -> tuple[bool, str]:
    projects = {m.project for m in members}
    if "shared" in rules.spec.when and {marketing, it} <= projects:
        return True, f"on issues of both {marketing} and {it}"
    approved = {s.casefold() for s in rules.spec.approved_statuses}
    if "approved" in rules.spec.when:
        for m in members:
            if _tagging(m).get("tag") and (m.status or "").casefold() in approved:
                return True, f"tagged request {m.key} is {m.status}"
    return False, "not shared by both teams, and no tagged request approved"


def _categories(members: Sequence[Issue]) -> tuple[str, ...]:
    found: list[str] = []
    for m in members:
        record = _tagging(m)
        category = record.get("category")
        if record.get("tag") and isinstance(category, str) and category not in found:
            found.append(category)
    return tuple(found)
