"""Sprint figures against a hand-computed fixture: one line, four two-week sprints.

The budget line "pilot": 10,000 USD for 2026-01-05 .. 2026-03-15 (70 days, so every 14-day
sprint is exactly 20 % of the period), split marketing 60 / IT 40, capex 5,000 / opex 5,000.
Rates: marketing 50 USD/h, IT 100 USD/h. The subscription is 365 USD a month, which prorates to
exactly 365 x 12 / 365 = 12 USD a day, so every figure below is an exact Decimal.

Sprints (09:00 UTC, closed on their end):   R = report day (first day not counted)
    S1  01-05 .. 01-19    R = 01-19   elapsed 14 days = 20 %
    S2  01-19 .. 02-02    R = 02-02   elapsed 28 days = 40 %
    S3  02-02 .. 02-16    R = 02-16   elapsed 42 days = 60 %
    S4  02-16 .. 03-02    R = 03-02   elapsed 56 days = 80 %
    S5  03-02 .. 03-16    future (only places the forecast on the chart)

Spend per sprint:
    S1  mia 8 h x 50 = 400 (mkt) + ada 10 h x 100 = 1,000 (it)                        = 1,400
    S2  MKT-1 Cost 3,316 approved 01-20 (mkt, capex) + ada 6 h = 600 (it)
        + MKT-2 subscription approved 01-26: days 01-26..02-01 = 7 x 12 = 84 (mkt)
        + mia 4 h = 200 (mkt)                            3,316 + 600 + 84 + 200     = 4,200
    S3  subscription 14 x 12 = 168 + ada 2 h = 200 + mia 10 h = 500                 =   868
    S4  subscription 168 + ada 20 h = 2,000 + IT-1 Cost 1,416 done 02-20 (it, capex) = 3,584

Noise that must not count: a declined request (Won't Do), a request still In Review (pending),
a cost approved before the period, a worklog by someone in no team (skipped), a cost of an
initiative without a budget line (unbudgeted).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from budgetkit import facts, moves, sprint, t, wl, yaml_text

from bridgeplugin.budget import (
    Status,
    collect_costs,
    format_money,
    format_percent,
    read_budgets,
    sprint_report,
)

D = Decimal

BUDGETS = yaml_text(
    """
    kind: budgets
    currency: USD
    departments:
      marketing: {projects: [MKT]}
      it: {projects: [IT]}
    teams:
      marketing: {department: marketing, groups: [marketing], hourly_rate: 50}
      it: {department: it, groups: [it-architecture], hourly_rate: 100}
    budgets:
      pilot:
        name: Pilot
        initiative: Pilot
        period: {start: 2026-01-05, end: 2026-03-15}
        amount: 10000
        split: {marketing: 60, it: 40}
        expense: {capex: 5000, opex: 5000}
        milestones:
          - {name: Pilot live, date: 2026-02-15, planned_spend: 6000}
    """
)

GROUPS = {"mia": ["marketing"], "ada": ["it-architecture"], "zoe": ["contractors"]}

SPRINTS = [
    sprint(1, "2026-01-05T09:00", "2026-01-19T09:00"),
    sprint(2, "2026-01-19T09:00", "2026-02-02T09:00"),
    sprint(3, "2026-02-02T09:00", "2026-02-16T09:00"),
    sprint(4, "2026-02-16T09:00", "2026-03-02T09:00"),
    sprint(5, "2026-03-02T09:00", "2026-03-16T09:00", state="future"),
]
AS_OF = t("2026-03-02T12:00")

ISSUES = [
    facts(
        "MKT-1",
        initiative="Pilot",
        status="Approved",
        cost=3316,
        changelog=moves(
            ("2026-01-19T10:00", "To Do", "In Review"),
            ("2026-01-20T10:00", "In Review", "Approved"),
        ),
    ),
    facts(
        "MKT-2",
        initiative="Pilot",
        status="Approved",
        monthly=365,
        changelog=moves(("2026-01-26T10:00", "In Review", "Approved")),
    ),
    facts(
        "IT-1",
        initiative="Pilot",
        status="Done",
        resolution="Done",
        cost=1416,
        changelog=moves(
            ("2026-02-17T09:00", "To Do", "In Progress"),
            ("2026-02-20T15:00", "In Progress", "Done"),
        ),
    ),
    facts(
        "IT-2",
        initiative="Pilot",
        status="In Progress",
        worklogs=(
            wl("ada", "2026-01-07T10:00", 10),
            wl("ada", "2026-01-21T10:00", 6),
            wl("ada", "2026-02-04T10:00", 2),
            wl("ada", "2026-02-18T10:00", 20),
            wl("zoe", "2026-02-19T10:00", 5),  # no team: skipped
        ),
    ),
    facts(
        "MKT-3",
        initiative="Pilot",
        status="In Review",
        worklogs=(
            wl("mia", "2026-01-08T10:00", 8),
            wl("mia", "2026-01-22T10:00", 4),
            wl("mia", "2026-02-10T10:00", 10),
        ),
    ),
    # Noise.
    facts("MKT-4", initiative="Pilot", status="In Review", cost=999),  # pending
    facts(
        "MKT-5",
        initiative="Pilot",
        status="Done",
        resolution="Won't Do",
        cost=5000,
        changelog=moves(("2026-01-21T10:00", "In Review", "Done")),
    ),
    facts(
        "MKT-6",
        initiative="Pilot",
        status="Approved",
        cost=700,
        changelog=moves(("2025-12-20T10:00", "In Review", "Approved")),  # before the period
    ),
    facts(
        "MKT-7",
        initiative="Website relaunch",  # no budget line
        status="Approved",
        cost=250,
        changelog=moves(("2026-02-25T10:00", "In Review", "Approved")),
    ),
]


@pytest.fixture(scope="module")
def book():
    return read_budgets(BUDGETS, "budgets.yaml")


@pytest.fixture(scope="module")
def costs(book):
    return collect_costs(book, ISSUES, GROUPS)


def report(book, costs, sprint_name):
    return sprint_report(book, SPRINTS, costs, as_of=AS_OF, sprint=sprint_name)


def money(x):
    return None if x is None else x.amount


# Every figure of the line at every sprint, computed by hand (see the module docstring).
#   burn rate  = mean spend of the last <= 3 finished sprints
#   EAC        = to date + burn spend x days_left / burn days        (days_left = 03-16 - R)
#   exhaustion = R + floor(remaining x burn days / burn spend)
EXPECTED = {
    "S1": dict(
        this=D(1400),
        to_date=D(1400),
        remaining=D(8600),
        used=D(14),  # 1,400 x 100 / 10,000
        elapsed=D(20),  # 14 x 100 / 70
        burn=D(1400),  # S1 only
        days_left=56,  # 01-19 .. 03-15: 13 + 28 + 15
        remaining_sprints=D(4),  # 56 x 1 / 14
        eac=D(7000),  # 1,400 + 1,400 x 56 / 14 = 1,400 + 5,600
        exhaustion=date(2026, 4, 15),  # 8,600 x 14 / 1,400 = 86 days after 01-19
        status=Status.ON_TRACK,  # 14 - 20 = -6 points; money lasts past 03-15
    ),
    "S2": dict(
        this=D(4200),
        to_date=D(5600),
        remaining=D(4400),
        used=D(56),
        elapsed=D(40),
        burn=D(2800),  # (1,400 + 4,200) / 2
        days_left=42,  # 02-02 .. 03-15: 27 + 15
        remaining_sprints=D(3),  # 42 x 2 / 28
        eac=D(14000),  # 5,600 + 5,600 x 42 / 28 = 5,600 + 8,400
        exhaustion=date(2026, 2, 24),  # 4,400 x 28 / 5,600 = 22 days after 02-02
        status=Status.AT_RISK,  # 56 - 40 = 16 > 10 points, and runs out before 03-15
    ),
    "S3": dict(
        this=D(868),
        to_date=D(6468),
        remaining=D(3532),
        used=D("64.68"),
        elapsed=D(60),
        burn=D(2156),  # (1,400 + 4,200 + 868) / 3 = 6,468 / 3
        days_left=28,  # 02-16 .. 03-15: 13 + 15
        remaining_sprints=D(2),  # 28 x 3 / 42
        eac=D(10780),  # 6,468 + 6,468 x 28 / 42 = 6,468 + 4,312
        exhaustion=date(2026, 3, 10),  # 3,532 x 42 / 6,468 = 22.93... -> 22 days after 02-16
        status=Status.AT_RISK,  # 4.68 points only, but runs out on 03-10 < 03-15
    ),
    "S4": dict(
        this=D(3584),
        to_date=D(10052),
        remaining=D(-52),
        used=D("100.52"),
        elapsed=D(80),
        burn=D(2884),  # (4,200 + 868 + 3,584) / 3 = 8,652 / 3  (S1 drops out)
        days_left=14,  # 03-02 .. 03-15
        remaining_sprints=D(1),  # 14 x 3 / 42
        eac=D(12936),  # 10,052 + 8,652 x 14 / 42 = 10,052 + 2,884
        exhaustion=None,  # already exhausted
        status=Status.OVER,  # 10,052 > 10,000
    ),
}


@pytest.mark.parametrize("name", ["S1", "S2", "S3", "S4"])
@pytest.mark.parametrize("which", ["line", "total"])
def test_every_figure_matches_the_hand_computation(book, costs, name, which):
    r = report(book, costs, name)
    fig = r.lines[0] if which == "line" else r.total  # one line: the total is the same
    want = EXPECTED[name]
    assert money(fig.spent_this_sprint) == want["this"]
    assert money(fig.spent_to_date) == want["to_date"]
    assert money(fig.remaining) == want["remaining"]
    assert fig.percent_used == want["used"]
    assert fig.percent_elapsed == want["elapsed"]
    assert money(fig.burn_rate) == want["burn"]
    assert fig.remaining_days == want["days_left"]
    assert fig.remaining_sprints == want["remaining_sprints"]
    assert money(fig.eac) == want["eac"]
    assert money(fig.variance_at_completion) == D(10000) - want["eac"]
    assert fig.forecast_exhaustion == want["exhaustion"]
    assert fig.exhausted is (want["remaining"] <= 0)
    assert fig.status is want["status"]
    assert fig.amount.amount == D(10000)


def test_status_moves_on_track_then_at_risk_then_over(book, costs):
    statuses = [report(book, costs, n).lines[0].status for n in ("S1", "S2", "S3", "S4")]
    assert statuses == [Status.ON_TRACK, Status.AT_RISK, Status.AT_RISK, Status.OVER]


def test_burn_rate_uses_the_last_three_finished_sprints(book, costs):
    assert report(book, costs, "S2").lines[0].burn_sprints == ("S1", "S2")
    assert report(book, costs, "S4").lines[0].burn_sprints == ("S2", "S3", "S4")


def test_reasons_say_why_a_line_is_at_risk(book, costs):
    s2 = report(book, costs, "S2").lines[0].reasons
    assert s2 == (
        "56.0% used with 40.0% of the period elapsed: 16.0 points ahead, more than the 10 allowed",
        "at the burn rate the money runs out on 2026-02-24, before the period ends on 2026-03-15",
    )
    s3 = report(book, costs, "S3").lines[0].reasons
    assert s3 == (
        "at the burn rate the money runs out on 2026-03-10, before the period ends on 2026-03-15",
    )
    s4 = report(book, costs, "S4").lines[0].reasons
    assert s4 == ("spent USD 10,052.00 is more than the amount USD 10,000.00 (by USD 52.00)",)


def test_change_since_the_previous_sprint(book, costs):
    change = report(book, costs, "S4").lines[0].change
    assert change is not None
    assert change.previous_sprint == "S3"
    assert change.spent_to_date.amount == D(3584)  # 10,052 - 6,468
    assert change.remaining.amount == D(-3584)
    assert change.percent_used == D("35.84")  # 100.52 - 64.68
    assert change.percent_elapsed == D(20)
    assert change.burn_rate.amount == D(728)  # 2,884 - 2,156
    assert change.eac.amount == D(2156)  # 12,936 - 10,780
    assert change.forecast_exhaustion_days is None  # no date any more: exhausted
    assert (change.status_before, change.status_after) == (Status.AT_RISK, Status.OVER)
    assert change.status_changed

    s3 = report(book, costs, "S3").lines[0].change
    assert s3.forecast_exhaustion_days == 14  # 03-10 - 02-24
    assert not s3.status_changed  # at risk -> at risk
    assert report(book, costs, "S1").lines[0].change is None  # nothing before S1


def test_total_change_matches_the_line_change(book, costs):
    r = report(book, costs, "S3")
    assert r.total.change.spent_to_date == r.lines[0].change.spent_to_date
    assert r.total.change.forecast_exhaustion_days == 14
    assert r.total.change.status_before is Status.AT_RISK


def test_split_by_department_against_the_agreed_split(book, costs):
    depts = {d.key: d for d in report(book, costs, "S4").lines[0].departments}
    assert list(depts) == ["marketing", "it"]
    mkt, it = depts["marketing"], depts["it"]
    # marketing: 400 + 3,316 + 84 + 200 + 168 + 500 + 168 = 4,836; agreed 60 % = 6,000
    assert (mkt.agreed_percent, mkt.agreed.amount) == (D(60), D(6000))
    assert mkt.spent_to_date.amount == D(4836)
    assert mkt.remaining.amount == D(1164)
    assert mkt.spent_this_sprint.amount == D(168)  # only the subscription in S4
    assert mkt.share_percent == D(4836) * 100 / D(10052)
    # IT: 1,000 + 600 + 200 + 2,000 + 1,416 = 5,216; agreed 40 % = 4,000 -> 1,216 over
    assert (it.agreed_percent, it.agreed.amount) == (D(40), D(4000))
    assert it.spent_to_date.amount == D(5216)
    assert it.remaining.amount == D(-1216)
    assert it.spent_this_sprint.amount == D(3416)  # 2,000 + 1,416
    assert format_percent(it.share_percent) == "51.9%"  # 5,216 / 10,052 = 51.89 %


def test_capex_and_opex_against_their_budgets(book, costs):
    capex, opex = report(book, costs, "S4").lines[0].expense
    # capex: the two one-off costs 3,316 + 1,416; opex: everything else
    assert (capex.kind, capex.spent_to_date.amount, capex.remaining.amount) == (
        "capex",
        D(4732),
        D(268),
    )
    assert (opex.kind, opex.spent_to_date.amount, opex.remaining.amount) == (
        "opex",
        D(5320),  # 10,052 - 4,732
        D(-320),
    )


def test_milestone_actual_once_reached_forecast_before(book, costs):
    (reached,) = report(book, costs, "S4").lines[0].milestones
    # through 02-15: S1 + S2 (5,600) + ada 200 (02-04) + mia 500 (02-10) + 14 days x 12
    assert reached.reached
    assert reached.spent_by.amount == D(6468)
    assert reached.variance.amount == D(468)  # over the 6,000 planned
    assert reached.forecast_by is None

    (ahead,) = report(book, costs, "S2").lines[0].milestones
    # at S2 (R = 02-02, 200 a day): 5,600 + 5,600 x 14 / 28 by the start of 02-16
    assert not ahead.reached
    assert ahead.forecast_by.amount == D(8400)
    assert ahead.variance.amount == D(2400)


def test_burn_up_series_for_the_chart(book, costs):
    series = report(book, costs, "S4").lines[0].series
    rows = [
        (p.label, p.at, p.kind, money(p.spent), money(p.planned), money(p.forecast))
        for p in series.points
    ]
    assert rows == [
        ("period start", date(2026, 1, 5), "start", D(0), D(0), None),
        ("S1", date(2026, 1, 19), "actual", D(1400), D(2000), None),  # planned 10,000 x 14/70
        ("S2", date(2026, 2, 2), "actual", D(5600), D(4000), None),
        ("S3", date(2026, 2, 16), "actual", D(6468), D(6000), None),
        ("S4", date(2026, 3, 2), "actual", D(10052), D(8000), D(10052)),  # forecast starts
        # S5 ends on 03-16, the period's end: one point, the EAC
        ("end of period", date(2026, 3, 16), "end", None, D(10000), D(12936)),
    ]
    assert {p.budget.amount for p in series.points} == {D(10000)}
    assert report(book, costs, "S4").series == report(book, costs, "S4").total.series


def test_series_forecast_runs_through_later_sprints(book, costs):
    points = report(book, costs, "S2").lines[0].series.points
    ahead = [(p.label, p.kind, money(p.spent), money(p.forecast)) for p in points[3:]]
    # 200 a day from 02-02: +14 days = 8,400; +28 = 11,200; 03-16 (+42) = the EAC 14,000
    assert ahead == [
        ("S3", "forecast", None, D(8400)),
        ("S4", "forecast", None, D(11200)),
        ("end of period", "end", None, D(14000)),
    ]


def test_what_does_not_count(book, costs):
    r = report(book, costs, "S4")
    line = r.lines[0]
    # MKT-4 is in review: pending, not spent; MKT-5 was declined: neither.
    assert line.pending_one_off.amount == D(999)
    assert [p.issue_key for p in r.pending] == ["MKT-4"]
    # zoe is in no team: listed with the fix, not priced.
    assert [s.issue_key for s in r.skipped] == ["IT-2"]
    assert "add one of them to a team's groups" in r.skipped[0].reason
    # MKT-7's initiative has no line: shown apart.
    assert [(u.source, u.amount.amount) for u in r.unbudgeted] == [("MKT-7", D(250))]
    # MKT-6 was approved before the period began: in no figure.
    assert all(i.source != "MKT-6" for i in line.items)


def test_items_explain_this_sprints_spend(book, costs):
    items = report(book, costs, "S2").lines[0].items
    assert sum((i.amount.amount for i in items), D(0)) == D(4200)
    whys = sorted(i.why for i in items)
    assert "MKT-1: Cost 3316 USD, committed 2026-01-20 (In Review -> Approved)" in whys
    assert any(
        w.startswith("MKT-2: Monthly cost 365 USD from 2026-01-26") and "7 days x 365" in w
        for w in whys
    )


def test_presentation_rounds_only_at_the_end(book, costs):
    line = report(book, costs, "S3").lines[0]
    assert format_money(line.spent_to_date) == "USD 6,468.00"
    assert format_percent(line.percent_used) == "64.7%"
    assert str(line.remaining) == "USD 3,532.00"


def test_sprint_defaults_to_the_latest_started(book, costs):
    r = sprint_report(book, SPRINTS, costs, as_of=AS_OF)
    assert r.sprint.name == "S4"
    assert r.previous.name == "S3"
    assert [w.name for w in r.sprints] == ["S1", "S2", "S3", "S4"]
