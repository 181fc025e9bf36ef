"""Lock the public surface of bridgeplugin.budget: a change here is a deliberate edit."""

from __future__ import annotations

import bridgeplugin.budget as budget

PUBLIC = {
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
}


def test_public_names_are_exactly_the_locked_set():
    assert set(budget.__all__) == PUBLIC
    for name in PUBLIC:
        assert hasattr(budget, name), name


def test_results_are_frozen():
    import dataclasses

    for name in ("SprintReport", "LineFigures", "Series", "SeriesPoint", "Money", "Change"):
        cls = getattr(budget, name)
        assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen, name
