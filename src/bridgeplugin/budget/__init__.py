"""Joint budgets: the budgets file and the sprint figures (pure core, no I/O).

::

    from bridgeplugin.budget import load_budgets, collect_costs, IssueFacts, sprint_report

    book = load_budgets("rules/budgets.yaml")          # RuleFileError names file:line + fix
    costs = collect_costs(book, [IssueFacts(issue, changelog, worklogs), ...],
                          groups={"5b10a": ["marketing"], ...})
    report = sprint_report(book, board_sprints, costs, as_of=now, sprint="IT Sprint 24")
    report.total.spent_to_date, report.total.status, report.lines[0].forecast_exhaustion
    report.series.points                               # the burn-up chart's data

Layout (policy-bot's split): ``schema`` is the typed file shape, ``load`` parses and checks it
(reusing ``rules/source.py`` for line numbers) into a ``book``; ``costs`` prices and dates what
Jira says was spent; ``figures`` computes the sprint figures; ``money`` holds ``Money``,
ISO 4217 minor units and exchange rates. The file format, every key commented:
``rules/budgets.yaml``. Definitions of every figure: ``figures``' docstring.
"""

from .book import BudgetBook, BudgetLine, Department, Milestone, Team, Thresholds
from .costs import Charge, Costs, IssueFacts, Pending, Skipped, Subscription, collect_costs
from .figures import (
    Change,
    CostItem,
    DepartmentFigures,
    ExpenseFigures,
    LineFigures,
    MilestoneFigures,
    Series,
    SeriesPoint,
    SprintReport,
    SprintWindow,
    Status,
    pick_sprint,
    sprint_report,
)
from .load import load_budgets, read_budgets
from .money import CurrencyMismatch, FxRates, Money, format_money, format_percent

__all__ = [
    "BudgetBook",
    "BudgetLine",
    "Change",
    "Charge",
    "CostItem",
    "Costs",
    "CurrencyMismatch",
    "Department",
    "DepartmentFigures",
    "ExpenseFigures",
    "FxRates",
    "IssueFacts",
    "LineFigures",
    "Milestone",
    "MilestoneFigures",
    "Money",
    "Pending",
    "Series",
    "SeriesPoint",
    "Skipped",
    "SprintReport",
    "SprintWindow",
    "Status",
    "Subscription",
    "Team",
    "Thresholds",
    "collect_costs",
    "format_money",
    "format_percent",
    "load_budgets",
    "pick_sprint",
    "read_budgets",
    "sprint_report",
]
