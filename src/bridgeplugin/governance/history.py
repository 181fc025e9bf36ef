"""Reading Jira changelogs: who moved an issue where and when, and what changed after a time.

Jira's own records are the evidence here (never the assignee, never a field a person can type
into): the author of the changelog entry that closed a review sub-task is who gave the review;
the entry that moved a request into its current status says where it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ..model import ChangeItem, ChangelogEntry, User
from ..rules.text import TextView
from ..rules.vendors import VendorCatalog
from .policy import Material

__all__ = [
    "Change",
    "Person",
    "StatusMove",
    "closing_entry",
    "last_move_into",
    "material_changes",
    "ordered",
    "person",
]


@dataclass(frozen=True, slots=True)
class Person:
    account_id: str
    name: str

    def __str__(self) -> str:
        return self.name


def person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person(user.account_id, user.display_name or user.account_id)


@dataclass(frozen=True, slots=True)
class StatusMove:
    """One status change from the history."""

    from_status: str | None
    to_status: str | None
    at: datetime
    by: Person | None


@dataclass(frozen=True, slots=True)
class Change:
    """A material change of the request after a review was given."""

    field: str
    before: str | None
    after: str | None
    at: datetime
    by: Person | None
    why: str  # "vendor 'Klaviyo' appeared in summary"

    def to_json(self) -> dict[str, object]:
        return {
            "field": self.field,
            "from": self.before,
            "to": self.after,
            "at": self.at.isoformat(),
            "by": self.by.name if self.by else None,
            "why": self.why,
        }


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def ordered(entries: Iterable[ChangelogEntry]) -> list[ChangelogEntry]:
    """Oldest first; entries at the same instant by id (Jira's ids grow)."""
    return sorted(entries, key=lambda e: (e.created, _number(e.id)))


def _field(item: ChangeItem) -> str:
    return (item.field or item.field_id or "").casefold()


def closing_entry(entries: Sequence[ChangelogEntry]) -> ChangelogEntry | None:
    """The latest entry that changed status or resolution: who put the issue where it is."""
    for entry in reversed(ordered(entries)):
        if any(_field(i) in ("status", "resolution") for i in entry.items):
            return entry
    return None


def last_move_into(entries: Sequence[ChangelogEntry], status: str | None) -> StatusMove | None:
    """The latest status change into ``status`` (None if the history has none)."""
    if status is None:
        return None
    folded = status.casefold()
    for entry in reversed(ordered(entries)):
        for item in entry.items:
            if _field(item) == "status" and (item.to_string or "").casefold() == folded:
                return StatusMove(
                    item.from_string, item.to_string, entry.created, person(entry.author)
                )
    return None


# -- material changes ---------------------------------------------------------------------------

_NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def _as_number(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    match = _NUMBER.search(text.replace(",", ""))
    return float(match.group()) if match else None


def _mentions(text: str | None, material: Material, catalog: VendorCatalog | None) -> set[str]:
    if not text:
        return set()
    view = TextView(text)
    found: set[str] = set()
    if material.vendors and catalog is not None:
        found |= {f"vendor '{m.vendor}'" for m in catalog.find(view)}
    if material.terms is not None:
        found |= {f"keyword '{t}'" for t in material.terms.find(view)}
    return found


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.2f}"


def material_changes(
    entries: Sequence[ChangelogEntry],
    after: datetime,
    material: Material,
    catalog: VendorCatalog | None,
) -> list[Change]:
    """Changes of the request after ``after`` that ``material`` calls material, oldest first."""
    fields = {f.casefold() for f in material.fields}
    texts = {f.casefold() for f in material.text_fields}
    numbers = {n.field.casefold(): n for n in material.numbers}
    out: list[Change] = []
    for entry in ordered(entries):
        if entry.created <= after:
            continue
        by = person(entry.author)
        for item in entry.items:
            name = item.field or item.field_id or ""
            key = name.casefold()
            before, now = item.from_string, item.to_string
            if key in fields:
                out.append(Change(name, before, now, entry.created, by, f"{name} changed"))
            elif key in texts and (material.vendors or material.terms is not None):
                old, new = _mentions(before, material, catalog), _mentions(now, material, catalog)
                if old != new:
                    added = sorted(new - old)
                    gone = sorted(old - new)
                    parts = [f"{', '.join(added)} appeared"] if added else []
                    parts += [f"{', '.join(gone)} disappeared"] if gone else []
                    why = f"in {name}: " + "; ".join(parts)
                    out.append(Change(name, before, now, entry.created, by, why))
            if key in numbers:
                rule = numbers[key]
                old_n, new_n = _as_number(before), _as_number(now)
                if new_n is not None and new_n > (old_n or 0.0) and new_n > rule.increase_over:
                    was = _fmt(old_n) if old_n is not None else "empty"
                    why = (
                        f"{name} rose from {was} to {_fmt(new_n)} "
                        f"(above {_fmt(rule.increase_over)})"
                    )
                    out.append(Change(name, before, now, entry.created, by, why))
    return out
