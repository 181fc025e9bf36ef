"""Status thresholds at their edges, on the hand-computed fixture of test_budget_figures.

At S2 the line has used 56 % with 40 % elapsed (16 points ahead); at S1 the money runs out on
2026-04-15 at the burn rate (86 days after 01-19); at S4 10,052 is spent.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from test_budget_figures import AS_OF, BUDGETS, GROUPS, ISSUES, SPRINTS

from bridgeplugin.budget import Status, collect_costs, read_budgets, sprint_report
from bridgeplugin.errors import RuleFileError

D = Decimal


def line_at(sprint: str, text: str):
    book = read_budgets(text)
    costs = collect_costs(book, ISSUES, GROUPS)
    return sprint_report(book, SPRINTS, costs, as_of=AS_OF, sprint=sprint).lines[0]


def with_thresholds(points: str, early: bool) -> str:
    flag = "true" if early else "false"
    return BUDGETS + (
        f"    thresholds: {{at_risk_points: {points}, at_risk_on_early_exhaustion: {flag}}}\n"
    )


@pytest.mark.parametrize(
    ("points", "status"),
    [
        ("16", Status.ON_TRACK),  # exactly 16 ahead is not *more than* 16
        ("15.99", Status.AT_RISK),
        ("0", Status.AT_RISK),
    ],
)
def test_at_risk_when_used_exceeds_elapsed_by_more_than_the_points(points, status):
    line = line_at("S2", with_thresholds(points, early=False))
    assert line.points_ahead == D(16)
    assert line.status is status


def test_early_exhaustion_can_be_switched_off_per_line():
    # S3 is at risk only because the money runs out on 03-10 (before 03-15).
    assert line_at("S3", BUDGETS).status is Status.AT_RISK
    assert line_at("S3", with_thresholds("10", early=False)).status is Status.ON_TRACK


@pytest.mark.parametrize(
    ("end", "status"),
    [
        # 01-19 + 86 days = 04-15: the money covers the days up to 04-14.
        ("2026-04-14", Status.ON_TRACK),  # lasts exactly through the period
        ("2026-04-15", Status.AT_RISK),  # runs out on the period's last day
    ],
)
def test_at_risk_when_the_money_runs_out_on_or_before_the_last_day(end, status):
    text = BUDGETS.replace("end: 2026-03-15", f"end: {end}")
    line = line_at("S1", text)
    assert line.forecast_exhaustion.isoformat() == "2026-04-15"
    assert line.status is status


def test_spending_exactly_the_amount_is_exhausted_but_not_over():
    text = BUDGETS.replace("amount: 10000", "amount: 10052").replace(
        "expense: {capex: 5000, opex: 5000}", "expense: {capex: 5052, opex: 5000}"
    )
    line = line_at("S4", text)
    assert line.remaining.amount == 0
    assert line.exhausted
    assert line.forecast_exhaustion is None
    assert line.status is Status.AT_RISK  # 100 % used, 80 % elapsed: 20 points ahead


def test_a_negative_threshold_is_refused():
    with pytest.raises(RuleFileError, match="at_risk_points is negative"):
        read_budgets(with_thresholds("-1", early=True))
