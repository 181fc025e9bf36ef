"""The total across lines, by hand: the pilot line of test_budget_figures plus a later line.

"beta": 5,000 USD for 2026-02-16 .. 2026-03-01 (14 days), nothing spent. At S3 (R = 02-16) its
period starts that very day, so no finished sprint overlaps it: no burn rate, no EAC.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from test_budget_figures import AS_OF, BUDGETS, GROUPS, ISSUES, SPRINTS

from bridgeplugin.budget import Status, collect_costs, read_budgets, sprint_report

D = Decimal

TWO_LINES = BUDGETS + (
    "  beta:\n"
    "    initiative: Beta\n"
    "    period: {start: 2026-02-16, end: 2026-03-01}\n"
    "    amount: 5000\n"
    "    split: {marketing: 50, it: 50}\n"
)


def total_at(name):
    book = read_budgets(TWO_LINES)
    costs = collect_costs(book, ISSUES, GROUPS)
    return sprint_report(book, SPRINTS, costs, as_of=AS_OF, sprint=name)


def test_total_at_s3_adds_the_lines_and_weights_elapsed_time_by_amount():
    r = total_at("S3")
    beta = r.lines[1]
    assert (beta.burn_rate, beta.eac) == (None, None)
    total = r.total
    assert total.amount.amount == D(15000)
    assert total.spent_to_date.amount == D(6468)
    assert total.percent_used == D("43.12")  # 6,468 x 100 / 15,000
    # planned: pilot 10,000 x 42 / 70 = 6,000, beta 5,000 x 0 / 14 = 0 -> 6,000 / 15,000
    assert total.percent_elapsed == D(40)
    # EAC: pilot 10,780 + beta's spend to date (0), said in the reasons
    assert total.eac.amount == D(10780)
    assert "the EAC counts only the spend to date of lines without a burn rate yet" in (
        total.reasons
    )
    # joint pace 6,468 / 42 = 154 a day; 8,532 left -> 55.4 days -> 02-16 + 55 = 04-12
    assert total.forecast_exhaustion == date(2026, 4, 12)
    assert total.status is Status.AT_RISK  # the worst line
    assert total.reasons[0].startswith("Pilot is at risk: at the burn rate the money runs out")
    # departments: agreed 6,000 + 2,500 marketing, 4,000 + 2,500 IT
    agreed = {d.key: (d.agreed.amount, d.agreed_percent) for d in total.departments}
    assert agreed == {
        "marketing": (D(8500), D(8500) * 100 / D(15000)),
        "it": (D(6500), D(6500) * 100 / D(15000)),
    }
    # no total capex budget: beta does not divide its amount
    assert [e.budget for e in total.expense] == [None, None]


def test_total_at_s4_is_over_when_one_line_is():
    r = total_at("S4")
    beta = r.lines[1]
    # beta's period is over and nothing was spent: burn 0 over S4, EAC 0, on track
    assert (beta.burn_rate.amount, beta.eac.amount, beta.status) == (D(0), D(0), Status.ON_TRACK)
    assert r.total.status is Status.OVER
    assert r.total.eac.amount == D(12936)  # 12,936 + 0
    # planned: 10,000 x 56 / 70 + 5,000 x 14 / 14 = 13,000 of 15,000
    assert r.total.percent_elapsed == D(13000) * 100 / D(15000)
    assert r.total.change.status_before is Status.AT_RISK
    assert r.total.change.status_after is Status.OVER


def test_total_series_sums_the_lines_at_every_point():
    points = total_at("S3").series.points
    rows = [
        (p.label, p.at, p.spent and p.spent.amount, p.forecast and p.forecast.amount)
        for p in points
    ]
    assert rows == [
        ("period start", date(2026, 1, 5), D(0), None),
        ("S1", date(2026, 1, 19), D(1400), None),
        ("S2", date(2026, 2, 2), D(5600), None),
        ("S3", date(2026, 2, 16), D(6468), D(6468)),
        # S4 ends 03-02: pilot 6,468 + 154 x 14 = 8,624; beta has no forecast: its 0
        ("S4", date(2026, 3, 2), None, D(8624)),
        ("end of period", date(2026, 3, 16), None, D(10780)),
    ]
    assert {p.budget.amount for p in points} == {D(15000)}
