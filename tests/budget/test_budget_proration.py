"""Subscriptions are prorated by day: days active in the range x monthly x 12 / 365.

Sprints: S1 2026-01-05 .. 01-19 (days 01-05 .. 01-18), S2 01-19 .. 02-02. The line covers all
of 2026, so it also counts the days before the first sprint in "spent to date".
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from budgetkit import facts, moves, sprint, t, yaml_text

from bridgeplugin.budget import collect_costs, format_money, read_budgets, sprint_report

D = Decimal

BASE = yaml_text(
    """
    kind: budgets
    currency: USD
    time_zone: {tz}
    departments:
      it: {{projects: [IT]}}
    budgets:
      year:
        initiative: Platform
        period: {{start: 2026-01-01, end: 2026-12-31}}
        amount: 100000
        split: {{it: 100}}
    """
)

SPRINTS = [
    sprint(1, "2026-01-05T09:00", "2026-01-19T09:00"),
    sprint(2, "2026-01-19T09:00", "2026-02-02T09:00", state="active"),
]


def run(subscriptions: str, *, issues=(), tz="UTC", as_of="2026-01-24T12:00", name=None):
    text = BASE.format(tz=tz) + (f"subscriptions:\n{subscriptions}" if subscriptions else "")
    book = read_budgets(text)
    costs = collect_costs(book, list(issues), {})
    return sprint_report(book, SPRINTS, costs, as_of=t(as_of), sprint=name).lines[0]


def sub(key, monthly, start, end=None):
    end_text = f", end: {end}" if end else ""
    return f"  {key}: {{initiative: Platform, monthly: {monthly}, start: {start}{end_text}}}\n"


def test_a_subscription_starting_mid_sprint_pays_for_its_days_only():
    line = run(sub("crm", 100, "2026-01-12"), name="S1")
    # 01-12 .. 01-18 = 7 days: 7 x 100 x 12 / 365 = 8,400 / 365 = 23.0136986...
    (item,) = line.items
    assert item.amount.amount == D(8400) / D(365)
    assert format_money(line.spent_this_sprint) == "USD 23.01"
    assert "7 days x 100 x 12 / 365" in item.why


def test_a_subscription_ending_mid_sprint_stops_after_its_last_day():
    # monthly 365 is 12 a day; it ends on 01-09 (included): S1 has 01-05 .. 01-09 = 5 days
    line = run(sub("old", 365, "2025-12-01", "2026-01-09"), name="S1")
    assert line.spent_this_sprint.amount == D(60)
    # to date: only the period's days, 01-01 .. 01-09 = 9 days (December is outside the line)
    assert line.spent_to_date.amount == D(108)


@pytest.mark.parametrize(
    ("start", "s1_days", "s2_days"),
    [
        ("2026-01-18", 1, 5),  # the sprint's last day
        ("2026-01-19", 0, 5),  # the next sprint's first day: nothing in S1
        ("2026-01-05", 14, 5),  # the sprint's first day: the whole sprint
        ("2026-03-01", 0, 0),  # not yet
    ],
)
def test_days_at_the_edges_of_a_sprint(start, s1_days, s2_days):
    # S2 is running on 01-24 12:00: its days so far are 01-19 .. 01-23 = 5
    s1 = run(sub("x", 365, start), name="S1")
    s2 = run(sub("x", 365, start), name="S2")
    assert s1.spent_this_sprint.amount == D(12 * s1_days)
    assert s2.spent_this_sprint.amount == D(12 * s2_days)
    assert len(s1.items) == (0 if s1_days == 0 else 1)


def test_a_subscription_on_an_issue_starts_on_the_local_day_it_was_committed():
    approved = facts(
        "IT-1",
        initiative="Platform",
        status="Approved",
        monthly=365,
        changelog=moves(("2026-01-11T23:30", "In Review", "Approved")),  # 00:30 in Berlin
    )
    utc = run("", issues=[approved], tz="UTC", name="S1")
    berlin = run("", issues=[approved], tz="Europe/Berlin", name="S1")
    assert utc.spent_this_sprint.amount == D(12 * 8)  # 01-11 .. 01-18
    assert berlin.spent_this_sprint.amount == D(12 * 7)  # 01-12 .. 01-18


def test_sprints_add_up_to_the_spend_to_date():
    line = run(sub("a", 100, "2026-01-05") + sub("b", 70, "2026-01-10", "2026-01-20"))
    s1 = run(sub("a", 100, "2026-01-05") + sub("b", 70, "2026-01-10", "2026-01-20"), name="S1")
    # No day before S1 is active, so S1 + S2 (so far) = everything to date.
    assert s1.spent_this_sprint.amount + line.spent_this_sprint.amount == pytest.approx(
        line.spent_to_date.amount, abs=D("1e-20")
    )
    # b: S1 01-10 .. 01-18 = 9 days, S2 01-19 .. 01-20 = 2 days
    b_s1 = next(i for i in s1.items if i.source == "subscriptions.b")
    assert b_s1.amount.amount == D(9 * 70 * 12) / D(365)
