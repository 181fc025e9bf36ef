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


def test_a_jinja_template_uses_the_report_as_is():
    import budgetdemo as demo
    import jinja2

    from bridgeplugin.config import shipped_dir

    book = budget.load_budgets(shipped_dir("rules") / "budgets.yaml")
    costs = budget.collect_costs(book, demo.issues(), demo.groups())
    report = budget.sprint_report(book, demo.sprints(), costs, as_of=demo.CLOCK)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=True)
    env.filters["money"] = budget.format_money
    env.filters["pct"] = budget.format_percent
    template = env.from_string(
        "{% for x in report.lines %}{{ x.name }}|{{ x.status }}|{{ x.status.colour }}|"
        "{{ x.spent_to_date }}|{{ x.percent_used | pct }}|{{ x.eac | money }}|"
        "{{ x.forecast_exhaustion }}\n{% endfor %}"
        "{{ report.total.name }}|{{ report.series.labels | join(',') }}"
    )
    text = template.render(report=report)
    assert text.splitlines()[0] == (
        "Customer data platform 2026|on track|Green|USD 10,670.00|8.9%|USD 18,640.95|2028-04-28"
    )
    assert text.endswith(
        "Total|period start,IT Sprint 21,IT Sprint 22,IT Sprint 23,IT Sprint 24,IT Sprint 25,"
        "IT Sprint 26,end of period"
    )
