"""The budget book: a loaded, checked budgets file with every default filled in.

``schema.py`` is the file as written (currencies may be left to the top-level default);
:class:`BudgetBook` is what the pure core works on: every line, team and cost source has its
currency, thresholds are merged, names are resolved. It is built only by ``load.py``, after
every check passed, so code that receives one never re-validates it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Literal
from zoneinfo import ZoneInfo

from .money import FxRates

__all__ = [
    "BudgetBook",
    "BudgetLine",
    "CostRules",
    "CostSource",
    "Department",
    "Expense",
    "FileSubscription",
    "Milestone",
    "Team",
    "Thresholds",
]

Expense = Literal["capex", "opex"]


@dataclass(frozen=True)
class Thresholds:
    at_risk_points: Decimal
    at_risk_on_early_exhaustion: bool


@dataclass(frozen=True)
class Milestone:
    name: str
    date: date
    planned_spend: Decimal | None


@dataclass(frozen=True)
class BudgetLine:
    """One joint budget line: an initiative's money for one period, in one currency."""

    key: str
    name: str
    initiative: str
    start: date  # first day of the period
    end: date  # last day of the period (inclusive)
    amount: Decimal
    currency: str
    split: Mapping[str, Decimal]  # department key -> agreed percent (sums to 100)
    expense: Mapping[str, Decimal] | None  # "capex"/"opex" -> amount (sums to amount)
    milestones: tuple[Milestone, ...]
    thresholds: Thresholds
    description: str = ""
    path: str = ""
    line: int | None = None  # where the line is defined, for messages

    @property
    def days(self) -> int:
        """Length of the period in days, both ends included."""
        return (self.end - self.start).days + 1

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Department:
    key: str
    name: str
    projects: tuple[str, ...]


@dataclass(frozen=True)
class Team:
    key: str
    department: str
    groups: tuple[str, ...]
    hourly_rate: Decimal
    currency: str


@dataclass(frozen=True)
class CostSource:
    """A cost read from an issue field by name; ``field`` None means the source is off."""

    field: str | None
    currency: str
    expense: Expense


@dataclass(frozen=True)
class CostRules:
    initiative_field: str
    one_off: CostSource
    monthly: CostSource
    worklogs_enabled: bool
    worklog_expense: Expense
    committed_statuses: tuple[str, ...]
    not_spent_resolutions: tuple[str, ...]
    capex_labels: tuple[str, ...]

    def is_committed_status(self, status: str | None) -> bool:
        return status is not None and status.casefold() in {
            s.casefold() for s in self.committed_statuses
        }

    def is_not_spent(self, resolution: str | None) -> bool:
        return resolution is not None and resolution.casefold() in {
            r.casefold() for r in self.not_spent_resolutions
        }


@dataclass(frozen=True)
class FileSubscription:
    """A recurring cost listed in the file rather than on an issue."""

    key: str
    initiative: str
    monthly: Decimal
    currency: str
    start: date
    end: date | None  # inclusive; None = open-ended
    department: str | None
    expense: Expense
    description: str = ""


@dataclass(frozen=True)
class BudgetBook:
    """Everything a budgets file says, checked and resolved."""

    path: str
    description: str
    lines: tuple[BudgetLine, ...]
    departments: tuple[Department, ...]
    teams: tuple[Team, ...]
    default_team: str | None
    costs: CostRules
    subscriptions: tuple[FileSubscription, ...]
    fx: FxRates
    report_currency: str
    time_zone: str
    thresholds: Thresholds

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def line(self, key: str) -> BudgetLine:
        for line in self.lines:
            if line.key == key:
                return line
        raise KeyError(key)

    def lines_for(self, initiative: str) -> tuple[BudgetLine, ...]:
        """Lines of an initiative; names compare without case and surrounding blanks."""
        wanted = initiative.strip().casefold()
        return tuple(x for x in self.lines if x.initiative.strip().casefold() == wanted)

    def line_on(self, initiative: str, day: date) -> BudgetLine | None:
        """The line paying for ``initiative`` on ``day`` (periods of one initiative never
        overlap, so there is at most one)."""
        for line in self.lines_for(initiative):
            if line.covers(day):
                return line
        return None

    def team_of(self, groups: Iterable[str]) -> Team | None:
        """The first team (file order) listing one of ``groups``; else the default team."""
        have = {g.casefold() for g in groups}
        for team in self.teams:
            if any(g.casefold() in have for g in team.groups):
                return team
        if self.default_team is not None:
            return self.team(self.default_team)
        return None

    def team(self, key: str) -> Team:
        for team in self.teams:
            if team.key == key:
                return team
        raise KeyError(key)

    def department_of_project(self, project: str | None) -> str | None:
        if project is None:
            return None
        for dept in self.departments:
            if project.casefold() in (p.casefold() for p in dept.projects):
                return dept.key
        return None

    def department_name(self, key: str | None) -> str:
        for dept in self.departments:
            if dept.key == key:
                return dept.name
        return "unassigned" if key is None else key
