"""Sprint windows: which sprint a cost falls in, which sprints have figures, which one is asked."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from budgetkit import facts, moves, sprint, t, wl, yaml_text

from bridgeplugin.budget import (
    Status,
    collect_costs,
    pick_sprint,
    read_budgets,
    sprint_report,
)
from bridgeplugin.budget.figures import sprint_windows
from bridgeplugin.errors import InputError

D = Decimal

BOOK = read_budgets(
    yaml_text(
        """
        kind: budgets
        currency: USD
        departments: {it: {projects: [IT]}}
        teams:
          it: {department: it, groups: [it], hourly_rate: 100}
        budgets:
          x:
            initiative: X
            period: {start: 2026-01-05, end: 2026-03-01}
            amount: 10000
            split: {it: 100}
        """
    )
)

# S1 closed early (complete 01-16 17:00, planned end 01-19 09:00); S2 active; S3 future.
SPRINTS = [
    sprint(1, "2026-01-05T09:00", "2026-01-19T09:00", complete="2026-01-16T17:00"),
    sprint(2, "2026-01-19T09:00", "2026-02-02T09:00", state="active"),
    sprint(3, "2026-02-02T09:00", "2026-02-16T09:00", state="future"),
]
AS_OF = t("2026-01-26T12:00")


def test_windows_use_completion_for_closed_and_the_clock_for_running_sprints():
    s1, s2, s3 = sprint_windows(SPRINTS, as_of=AS_OF, book=BOOK)
    assert (s1.cutoff, s1.finished, s1.report_day, s1.days) == (
        t("2026-01-16T17:00"),
        True,
        date(2026, 1, 16),
        11,  # 01-05 .. 01-15
    )
    assert (s2.cutoff, s2.finished, s2.report_day, s2.started) == (
        AS_OF,
        False,
        date(2026, 1, 26),
        True,
    )
    assert (s3.started, s3.report_day) == (False, date(2026, 2, 16))


def test_a_cost_between_two_sprints_counts_to_date_but_in_neither_sprint():
    issue = facts(
        "IT-1",
        initiative="X",
        worklogs=(
            wl("ada", "2026-01-10T10:00", 1),  # S1: 100
            wl("ada", "2026-01-17T10:00", 2),  # after S1 closed, before S2 began: 200
            wl("ada", "2026-01-20T10:00", 3),  # S2: 300
        ),
    )
    costs = collect_costs(BOOK, [issue], {"ada": ["it"]})
    line = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF).lines[0]
    assert line.spent_this_sprint.amount == D(300)
    assert line.spent_to_date.amount == D(600)


def test_a_running_sprint_is_left_out_of_the_burn_rate():
    issue = facts(
        "IT-1",
        initiative="X",
        worklogs=(wl("ada", "2026-01-10T10:00", 11), wl("ada", "2026-01-20T10:00", 50)),
    )
    costs = collect_costs(BOOK, [issue], {"ada": ["it"]})
    line = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF).lines[0]
    # Only S1 is finished: 1,100 over its 11 days = 100 a day.
    assert line.burn_sprints == ("S1",)
    assert line.burn_rate.amount == D(1100)
    # From 01-26 (R) to 03-02 (end + 1) are 35 days: EAC = 6,100 + 1,100 x 35 / 11 = 9,600
    assert line.eac.amount == D(6100) + D(1100) * 35 / 11
    assert line.status is Status.AT_RISK  # 61 % used, 37.5 % elapsed (21 of 56 days)


def test_no_finished_sprint_means_no_burn_rate_and_no_forecast():
    costs = collect_costs(BOOK, [], {})
    r = sprint_report(BOOK, SPRINTS, costs, as_of=t("2026-01-10T00:00"), sprint="S1")
    line = r.lines[0]
    assert (line.burn_rate, line.eac, line.forecast_exhaustion, line.remaining_sprints) == (
        None,
        None,
        None,
        None,
    )
    assert line.status is Status.ON_TRACK
    assert [p.forecast for p in line.series.points] == [None] * len(line.series.points)


@pytest.mark.parametrize(
    ("which", "name"),
    [
        (None, "S2"),  # the latest started
        ("active", "S2"),
        ("closed-last", "S1"),
        (1, "S1"),
        ("2", "S2"),
        ("s1", "S1"),  # names without case
    ],
)
def test_pick_a_sprint(which, name):
    assert pick_sprint(SPRINTS, which, as_of=AS_OF).name == name


def test_an_unknown_or_future_sprint_is_an_input_error_listing_the_choices():
    with pytest.raises(InputError) as info:
        pick_sprint(SPRINTS, "Sprint 99", as_of=AS_OF)
    assert "no sprint matches 'Sprint 99'" in str(info.value)
    assert info.value.hint == "use active, closed-last, a sprint id or one of: S1, S2"
    with pytest.raises(InputError, match="has not started yet"):
        pick_sprint(SPRINTS, "S3", as_of=AS_OF)
    with pytest.raises(InputError, match="no sprint has started yet"):
        pick_sprint(SPRINTS, None, as_of=t("2025-01-01T00:00"))


def test_the_clock_must_carry_a_time_zone():
    from datetime import datetime

    with pytest.raises(ValueError, match="timezone-aware"):
        sprint_report(BOOK, SPRINTS, collect_costs(BOOK, [], {}), as_of=datetime(2026, 1, 26))


def test_a_line_whose_period_has_not_begun_is_on_track_with_nothing_spent():
    book = read_budgets(
        yaml_text(
            """
            kind: budgets
            currency: USD
            departments: {it: {projects: [IT]}}
            budgets:
              later:
                initiative: X
                period: {start: 2026-06-01, end: 2026-06-30}
                amount: 500
                split: {it: 100}
            """
        )
    )
    r = sprint_report(book, SPRINTS, collect_costs(book, [], {}), as_of=AS_OF)
    line = r.lines[0]
    assert (line.percent_used, line.percent_elapsed, line.status) == (D(0), D(0), Status.ON_TRACK)
    assert line.burn_sprints == ()  # S1 does not overlap June
    assert line.remaining_days == 30
    # The chart still shows the line's own period: start, then its end.
    assert [p.kind for p in line.series.points] == ["start", "end"]


def test_a_committed_cost_moves_the_figures_when_it_is_approved():
    approved = facts(
        "IT-9",
        initiative="X",
        status="Approved",
        cost=2000,
        changelog=moves(("2026-01-21T10:00", "In Review", "Approved")),
    )
    costs = collect_costs(BOOK, [approved], {})
    s1 = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF, sprint="S1").lines[0]
    s2 = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF, sprint="S2").lines[0]
    assert (s1.spent_to_date.amount, s2.spent_to_date.amount) == (D(0), D(2000))
    assert s2.change.spent_to_date.amount == D(2000)


def test_a_cost_at_the_very_start_of_a_sprint_belongs_to_it():
    # Windows are [start, end): 09:00:00 on the start day is in, the completion instant is out.
    issue = facts(
        "IT-1",
        initiative="X",
        worklogs=(
            wl("ada", "2026-01-05T09:00", 1),  # S1's first instant
            wl("ada", "2026-01-16T17:00", 2),  # S1 completed at this instant: not in S1
            wl("ada", "2026-01-19T09:00", 4),  # S2's first instant
        ),
    )
    costs = collect_costs(BOOK, [issue], {"ada": ["it"]})
    s1 = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF, sprint="S1").lines[0]
    s2 = sprint_report(BOOK, SPRINTS, costs, as_of=AS_OF, sprint="S2").lines[0]
    assert (s1.spent_this_sprint.amount, s1.spent_to_date.amount) == (D(100), D(100))
    assert (s2.spent_this_sprint.amount, s2.spent_to_date.amount) == (D(400), D(700))
