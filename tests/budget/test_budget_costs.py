"""Cost facts: when a one-off cost counts, who a worklog is charged to, what is skipped."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from budgetkit import facts, moves, t, wl, yaml_text

from bridgeplugin.budget import collect_costs, read_budgets
from bridgeplugin.budget.costs import committed_at
from bridgeplugin.model import User, Worklog

D = Decimal

BOOK = read_budgets(
    yaml_text(
        """
        kind: budgets
        currency: USD
        departments:
          marketing: {projects: [MKT]}
          it: {projects: [IT]}
        teams:
          marketing: {department: marketing, groups: [marketing], hourly_rate: 85}
          architects: {department: it, groups: [it-architecture], hourly_rate: 120}
          security: {department: it, groups: [security-reviewers], hourly_rate: 130}
        costs:
          capex_labels: [capitalised]
        budgets:
          cdp:
            initiative: Customer data platform
            period: {start: 2026-01-01, end: 2026-12-31}
            amount: 120000
            split: {marketing: 50, it: 50}
        """
    )
)


@pytest.mark.parametrize(
    ("status", "resolution", "changelog", "when"),
    [
        # Approved: dated at the approval.
        (
            "Approved",
            None,
            moves(("2026-03-02T10:00", "In Review", "Approved")),
            "2026-03-02T10:00",
        ),
        # Approved -> Done keeps the approval date (Done is committed too).
        (
            "Done",
            "Done",
            moves(
                ("2026-03-02T10:00", "In Review", "Approved"),
                ("2026-03-09T10:00", "Approved", "Done"),
            ),
            "2026-03-02T10:00",
        ),
        # Sent back and approved again: the second approval.
        (
            "Approved",
            None,
            moves(
                ("2026-03-02T10:00", "In Review", "Approved"),
                ("2026-03-03T10:00", "Approved", "In Review"),
                ("2026-03-05T10:00", "In Review", "Approved"),
            ),
            "2026-03-05T10:00",
        ),
        # The changelog arrives in any order; it is sorted by time.
        (
            "Approved",
            None,
            moves(
                ("2026-03-05T10:00", "In Review", "Approved"),
                ("2026-03-01T10:00", "To Do", "In Review"),
            ),
            "2026-03-05T10:00",
        ),
        # Created directly in a committed status (imported): its creation.
        ("Done", "Done", (), "2026-01-01T00:00"),
        # Status names compare without case.
        (
            "APPROVED",
            None,
            moves(("2026-03-02T10:00", "in review", "approved")),
            "2026-03-02T10:00",
        ),
    ],
)
def test_a_one_off_cost_is_dated_when_the_request_was_committed(
    status, resolution, changelog, when
):
    f = facts("MKT-1", status=status, resolution=resolution, changelog=changelog)
    at, _reason = committed_at(f.issue, f.changelog, BOOK)
    assert at == t(when)


@pytest.mark.parametrize(
    ("status", "resolution", "reason"),
    [
        ("In Review", None, "status 'In Review' is not committed yet (Approved, Done)"),
        ("To Do", None, "status 'To Do' is not committed yet"),
        ("Done", "Won't Do", 'resolved as "Won\'t Do": not spent'),
        ("Done", "rejected", "resolved as 'rejected': not spent"),
        (None, None, "status None is not committed yet"),
    ],
)
def test_an_uncommitted_or_declined_request_has_not_spent(status, resolution, reason):
    f = facts("MKT-1", status=status, resolution=resolution)
    at, why = committed_at(f.issue, f.changelog, BOOK)
    assert at is None
    assert reason in why


def test_uncommitted_costs_are_pending_declined_ones_are_nothing():
    costs = collect_costs(
        BOOK,
        [
            facts(
                "MKT-1",
                initiative="Customer data platform",
                status="In Review",
                cost=1500,
                monthly=700,
            ),
            facts(
                "MKT-2",
                initiative="Customer data platform",
                status="Done",
                resolution="Won't Do",
                cost=9000,
            ),
        ],
        {},
    )
    assert costs.charges == ()
    assert [(p.issue_key, p.kind, p.amount) for p in costs.pending] == [
        ("MKT-1", "one-off", D(1500)),
        ("MKT-1", "monthly", D(700)),
    ]


def test_one_off_cost_department_and_expense():
    costs = collect_costs(
        BOOK,
        [
            facts(
                "IT-1",
                initiative="Customer data platform",
                status="Done",
                cost=3200,
                changelog=moves(("2026-03-02T10:00", "In Progress", "Done")),
            ),
            facts(
                "OPS-1",
                initiative="Customer data platform",
                status="Done",
                cost=10,
                labels=("capitalised",),
            ),
        ],
        {},
    )
    it, ops = costs.charges[1], costs.charges[0]  # sorted by date: OPS-1 was created earlier
    assert (it.issue_key, it.department, it.expense, it.amount) == ("IT-1", "it", "capex", D(3200))
    assert it.why == "IT-1: Cost 3200 USD, committed 2026-03-02 (In Progress -> Done)"
    assert (ops.issue_key, ops.department) == ("OPS-1", None)  # no department lists OPS


def test_worklogs_are_priced_with_the_rate_card_of_the_authors_team():
    costs = collect_costs(
        BOOK,
        [
            facts(
                "IT-1",
                initiative="Customer data platform",
                worklogs=(
                    wl("grace", "2026-03-02T09:00", 1.5),  # 1.5 h x 120 = 180
                    wl("kenji", "2026-03-02T13:00", 0.75),  # 45 min x 85 = 63.75
                    wl("both", "2026-03-03T09:00", 2),  # first team in file order: marketing
                ),
                labels=("capitalised",),
            )
        ],
        {
            "grace": ["it-architecture", "jira-users"],
            "kenji": ["marketing"],
            "both": ["security-reviewers", "marketing"],
        },
    )
    rows = [(c.team, c.department, c.amount, c.hours, c.expense) for c in costs.charges]
    assert rows == [
        ("architects", "it", D(180), D("1.5"), "capex"),
        ("marketing", "marketing", D("63.75"), D("0.75"), "capex"),
        ("marketing", "marketing", D(170), D(2), "capex"),
    ]
    assert costs.charges[0].why == (
        "IT-1: worklog grace-2026-03-02T09:00-0 (1.5 h on 2026-03-02) by grace, "
        "team architects at 120 USD/h"
    )


def test_a_worklog_without_a_team_is_skipped_with_the_fix_unless_there_is_a_default_team():
    issue = facts(
        "IT-1",
        initiative="Customer data platform",
        worklogs=(
            wl("zoe", "2026-03-02T09:00", 10),
            Worklog(id="w2", author=None, started=t("2026-03-02T09:00"), time_spent_seconds=60),
        ),
    )
    costs = collect_costs(BOOK, [issue], {"zoe": ["contractors"]})
    assert costs.charges == ()
    assert [s.reason for s in costs.skipped] == [
        "no team for groups [contractors]: add one of them to a team's groups, or set "
        "default_team in the budgets file",
        "no author, so no team and no rate",
    ]
    with_default = read_budgets(
        yaml_text(
            """
            kind: budgets
            currency: USD
            departments: {it: {projects: [IT]}}
            teams:
              ops: {department: it, groups: [it-service-desk], hourly_rate: 70}
            default_team: ops
            budgets:
              cdp:
                initiative: Customer data platform
                period: {start: 2026-01-01, end: 2026-12-31}
                amount: 1000
                split: {it: 100}
            """
        )
    )
    costs = collect_costs(with_default, [issue], {"zoe": ["contractors"]})
    assert [(c.team, c.amount) for c in costs.charges] == [("ops", D(700))]


def test_the_initiative_comes_from_the_parent_when_the_issue_has_none():
    epic = facts("IT-1", initiative="Customer data platform")
    story = facts("IT-2", parent="IT-1")
    subtask = facts("IT-3", parent="IT-2", worklogs=(wl("grace", "2026-03-02T09:00", 1),))
    stray = facts("IT-4", worklogs=(wl("grace", "2026-03-02T09:00", 1),))  # not joint spend
    costs = collect_costs(BOOK, [epic, story, subtask, stray], {"grace": ["it-architecture"]})
    assert [(c.issue_key, c.initiative) for c in costs.charges] == [
        ("IT-3", "Customer data platform")
    ]


@pytest.mark.parametrize(
    "value",
    ["Customer data platform", {"value": "Customer data platform"}, ["Customer data platform"]],
)
def test_the_initiative_field_may_be_text_a_select_list_or_labels(value):
    f = facts("MKT-1", status="Done", cost=1, extra={"Initiative": value})
    (charge,) = collect_costs(BOOK, [f], {}).charges
    assert charge.initiative == "Customer data platform"


@pytest.mark.parametrize(
    ("raw", "skipped"),
    [
        ("12,5 EUR", "not a number"),
        (-50, "negative: a cost is a positive amount"),
        (0, None),  # nothing to count, nothing to say
        ("", None),
    ],
)
def test_unusable_cost_values_are_skipped_with_a_reason(raw, skipped):
    f = facts("MKT-1", initiative="Customer data platform", status="Done", cost=raw)
    costs = collect_costs(BOOK, [f], {})
    assert costs.charges == ()
    assert [s.reason for s in costs.skipped] == ([skipped] if skipped else [])


def test_a_file_subscription_is_listed_with_its_range():
    book = read_budgets(
        yaml_text(
            """
            kind: budgets
            currency: USD
            departments: {it: {projects: [IT]}}
            subscriptions:
              support: {initiative: CDP, monthly: 400, start: 2026-10-01, end: 2026-12-31,
                        department: it}
            budgets:
              cdp:
                initiative: CDP
                period: {start: 2026-01-01, end: 2026-12-31}
                amount: 1000
                split: {it: 100}
            """
        )
    )
    (s,) = collect_costs(book, [], {}).subscriptions
    assert (s.source, s.monthly, s.start, s.end, s.department, s.expense) == (
        "subscriptions.support",
        D(400),
        date(2026, 10, 1),
        date(2026, 12, 31),
        "it",
        "opex",
    )


def test_worklog_author_display_name_is_used_in_reasons():
    w = Worklog(
        id="1",
        author=User(account_id="x1", display_name="Grace Liu"),
        started=t("2026-03-02T09:00"),
        time_spent_seconds=3600,
    )
    f = facts("IT-1", initiative="Customer data platform", worklogs=(w,))
    (charge,) = collect_costs(BOOK, [f], {"x1": ["it-architecture"]}).charges
    assert "by Grace Liu" in charge.why
