"""Typed shape of a budgets file (``kind: budgets``), checked strictly before anything else.

Every model forbids unknown keys (a typo is an error with a suggestion, not a silently ignored
setting) and runs in strict mode, so ``projects: [NO]`` (YAML reads NO as false) asks for
quotes instead of becoming ``"False"``. Money is read into ``Decimal`` through the number's
text (:func:`~bridgeplugin.budget.money.to_decimal`), never through a float.

What this module cannot see — a currency that is not ISO 4217, a split that does not add up to
100, two periods of one initiative that overlap, a department nobody declared — is checked in
``load.py`` against the whole file, with the line of the value at fault.

The format, every key commented, is in ``rules/budgets.yaml`` (the shipped file).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from .money import to_decimal

__all__ = [
    "BudgetsFileSpec",
    "CostSourceSpec",
    "CostsSpec",
    "Date",
    "DepartmentSpec",
    "ExpenseSpec",
    "LineSpec",
    "MilestoneSpec",
    "Number",
    "PeriodSpec",
    "SubscriptionSpec",
    "TeamSpec",
    "ThresholdsOverrideSpec",
    "ThresholdsSpec",
    "WorklogsSpec",
]


def _number(value: Any) -> Decimal:
    return to_decimal(value)


def _date(value: Any) -> date:
    # datetime is a subclass of date: a timestamp where a day belongs is refused, because a
    # budget period or milestone is a calendar day in the file's time zone, not an instant.
    if isinstance(value, datetime):
        raise ValueError(f"expected a date like 2026-09-01, got the timestamp {value.isoformat()}")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"expected a date like 2026-09-01, got {value!r}")


Number = Annotated[Decimal, BeforeValidator(_number)]
Date = Annotated[date, BeforeValidator(_date)]
NonEmpty = Annotated[str, StringConstraints(min_length=1)]
# Keys of budget lines, teams, departments and subscriptions end up in URLs, page anchors and
# stored figures, so they use the same slug alphabet as rule names.
Name = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=80)]
Expense = Literal["capex", "opex"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DepartmentSpec(_Strict):
    """``departments.<key>``: who shares a budget. One-off costs and subscriptions on issues in
    ``projects`` are charged to this department; worklogs go by the author's team."""

    name: NonEmpty | None = None  # shown on the page; default: the key
    projects: list[NonEmpty] = []


class TeamSpec(_Strict):
    """``teams.<key>``: a line of the rate card. A worklog's author belongs to the first team
    (in file order) that lists one of the author's Jira groups."""

    department: Name
    groups: Annotated[list[NonEmpty], Field(min_length=1)]
    hourly_rate: Number
    currency: NonEmpty | None = None  # default: the file's currency


class CostSourceSpec(_Strict):
    """A cost read from an issue field (by field *name*); ``field: null`` switches it off."""

    field: NonEmpty | None
    currency: NonEmpty | None = None  # the field holds a bare number: this says in what
    expense: Expense


class WorklogsSpec(_Strict):
    enabled: bool = True
    expense: Expense = "opex"


class CostsSpec(_Strict):
    """``costs:``: where spend comes from and when a one-off cost counts as spent."""

    initiative_field: NonEmpty = "Initiative"
    one_off: CostSourceSpec = CostSourceSpec(field="Cost", expense="capex")
    monthly: CostSourceSpec = CostSourceSpec(field="Monthly cost", expense="opex")
    worklogs: WorklogsSpec = WorklogsSpec()
    # A request's cost is committed from the moment it (last) entered one of these statuses.
    committed_statuses: Annotated[list[NonEmpty], Field(min_length=1)] = ["Approved", "Done"]
    # ... unless it was closed with one of these resolutions (declined, never bought).
    not_spent_resolutions: list[NonEmpty] = [
        "Won't Do",
        "Rejected",
        "Declined",
        "Duplicate",
        "Cancelled",
    ]
    # Issues carrying one of these labels count as capital expenditure, whatever the source.
    capex_labels: list[NonEmpty] = []


class ThresholdsSpec(_Strict):
    """``thresholds:``: when a line is *at risk* (it is *over* when spent exceeds the amount)."""

    # At risk when percent used exceeds percent of the period elapsed by more than this.
    at_risk_points: Number = Decimal(10)
    # At risk when the money runs out, at the current burn rate, before the period ends.
    at_risk_on_early_exhaustion: bool = True


class ThresholdsOverrideSpec(_Strict):
    at_risk_points: Number | None = None
    at_risk_on_early_exhaustion: bool | None = None


class PeriodSpec(_Strict):
    start: Date
    end: Date  # inclusive: the last day of the period


class ExpenseSpec(_Strict):
    """``expense:`` of a line: how its amount divides into capital and operating spend."""

    capex: Number
    opex: Number


class MilestoneSpec(_Strict):
    name: NonEmpty
    date: Date
    planned_spend: Number | None = None  # cumulative spend planned by the end of that day


class LineSpec(_Strict):
    """``budgets.<key>``: one joint budget line — an initiative's money for one period."""

    name: NonEmpty | None = None  # shown on the page; default: the key
    initiative: NonEmpty  # the value of the Initiative field on the issues it pays for
    period: PeriodSpec
    amount: Number
    currency: NonEmpty | None = None  # default: the file's currency
    split: Annotated[dict[Name, Number], Field(min_length=1)]  # department -> percent
    expense: ExpenseSpec | None = None
    milestones: list[MilestoneSpec] = []
    thresholds: ThresholdsOverrideSpec | None = None
    description: str = ""


class SubscriptionSpec(_Strict):
    """``subscriptions.<key>``: a recurring cost no issue carries (a contract, a platform fee)."""

    initiative: NonEmpty
    monthly: Number
    currency: NonEmpty | None = None
    start: Date
    end: Date | None = None  # inclusive; open-ended when missing
    department: Name | None = None
    expense: Expense = "opex"
    description: str = ""


class BudgetsFileSpec(_Strict):
    kind: Literal["budgets"]
    description: str = ""
    currency: NonEmpty | None = None  # default for every line, rate and cost source
    report_currency: NonEmpty | None = None  # of the total; default: the lines' one currency
    time_zone: NonEmpty = "UTC"  # in which days (periods, proration, dates of costs) are counted
    departments: Annotated[dict[Name, DepartmentSpec], Field(min_length=1)]
    teams: dict[Name, TeamSpec] = {}
    default_team: Name | None = None  # for worklog authors in none of the teams' groups
    costs: CostsSpec = CostsSpec()
    subscriptions: dict[Name, SubscriptionSpec] = {}
    thresholds: ThresholdsSpec = ThresholdsSpec()
    fx: dict[NonEmpty, Number] = {}  # "EUR/USD": 1.08 reads "1 EUR is 1.08 USD"
    budgets: Annotated[dict[Name, LineSpec], Field(min_length=1)]
